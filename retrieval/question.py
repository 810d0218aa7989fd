"""Reading a question that describes a customer instead of naming it.

People write dates, places, amounts and ids in their own words: "March 3, 2022", "3/3/2022",
"on the 3rd", "last Tuesday"; "a borrower in Vermont" rather than "VT"; "$29.85 a month";
"the account whose ID starts with 7590-". ``parse`` reads those into values the store holds
(ISO days, two-letter state codes, amounts, id prefixes and suffixes) and says which words of
the question they took (``spans``), so the name matcher never reads "Vermont", "VT" where a
place goes, "March" or the word "ID" as part of a company name.

Pure functions, no store: the resolver and the field matcher use the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from rapidfuzz.distance import OSA

from c360.us_states import US_STATES

# --- US states and territories (USPS codes, as the CFPB export writes them) -------------------
STATES: dict[str, str] = US_STATES
STATE_ALIASES = {"washington dc": "DC", "washington d c": "DC", "d c": "DC", "us virgin islands":
                 "VI", "u s virgin islands": "VI"}  # fmt: skip
# The military postal "states" as people write them ("Armed Forces in the Americas", "the
# Armed Forces Pacific"): places, never a company whose name shares a word ("AmeriCash").
_ARMED = {"AA": ("americas",), "AE": ("europe", "africa", "canada", "middle east"),
          "AP": ("pacific",)}  # fmt: skip
STATE_ALIASES |= {
    f"armed forces {link}{where}": code
    for code, places in _ARMED.items()
    for where in places
    for link in ("", "in ", "in the ", "of the ", "the ")
} | {f"{where} armed forces": code for code, places in _ARMED.items() for where in places}
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()} | STATE_ALIASES
_LONGEST_STATE = max(len(name.split()) for name in _STATE_BY_NAME)
# State and territory names of more than one word ("Rhode Island", "Armed Forces Americas"):
# a word of one ("Island", "Americas") read as a name only with the whole phrase.
MULTIWORD_STATES = frozenset(tuple(n.split()) for n in _STATE_BY_NAME if " " in n)
# Words before a place ("a borrower in Vermont", "from VT", "based in Ohio").
PLACE_BEFORE = {"in", "from", "within", "across", "near", "around", "based", "located", "living",
                "lives", "resident", "residents", "state", "stationed", "deployed"}  # fmt: skip
# Words after a state that make it a place ("a Vermont borrower", "VT consumer").
PLACE_AFTER = {"borrower", "borrowers", "consumer", "consumers", "customer", "customers",
               "resident", "residents", "complaint", "complaints", "complainant", "caller",
               "client", "clients", "user", "users", "person", "homeowner", "member", "state",
               "applicant", "applicants", "debtor", "cardholder", "servicemember", "retiree",
               "filer", "renter"}  # fmt: skip
# (Not "student", "veteran", "family": words of names such as "Vermont Student Assistance".)
# Legal or entity words after a code make the code part of a name ("... of VT Inc").
_NAME_AFTER = {"inc", "llc", "corp", "corporation", "co", "company", "ltd", "bank", "lp", "na",
               "group", "holdings", "financial", "services", "credit", "federal", "trust"}  # fmt: skip


# Words a question uses for the kind of customer or record it means: never a name on their own.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ROLE_WORDS = _words(
    """
    lender lenders servicer servicers service services bank banks company companies customer
    customers client clients borrower borrowers consumer consumers account accounts id ids
    identifier number creditor creditors collector collectors agency agencies bureau bureaus
    firm firms business businesses provider providers institution issuer issuers processor
    card cards loan loans mortgage mortgages debt debts complaint complaints telco subscriber
    subscribers member members person people user record records case cases ticket tickets
    """
)

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}  # fmt: skip
WEEKDAYS = {
    d: i
    for i, names in enumerate(
        [("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"),
         ("thursday", "thu", "thurs"), ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")]
    )
    for d in names
}  # fmt: skip
DATE_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS) | {"today", "yesterday", "ago", "last"}

_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)[-/.](?P<m>[01]?\d)[-/.](?P<day>[0-3]?\d)\b"),
    re.compile(r"\b(?P<m>[01]?\d)[/.-](?P<day>[0-3]?\d)[/.-](?P<year>(?:19|20)?\d\d)\b"),
    re.compile(rf"\b{_MON}\s+(?:the\s+)?{_DAY}\b(?:,?\s*{_YEAR}\b)?", re.I),
    re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MON}\b(?:,?\s*{_YEAR}\b)?", re.I),
]
_ON_THE_DAY = re.compile(r"\b(?:on\s+)?the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b(?!\s+of\b)", re.I)
_RELATIVE = re.compile(
    r"\b(?:(?P<today>today)|(?P<yesterday>yesterday)|(?P<n>\d{1,3}|a|one|two|three|four|five|six"
    r"|seven)\s+days?\s+ago|(?:(?P<last>last|this|past)\s+)?(?P<wd>"
    + "|".join(sorted(WEEKDAYS, key=len, reverse=True))
    + r")\b)",
    re.I,
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7}  # fmt: skip
_N = r"(?P<n>\d{1,2}|a|one|two|three|four|five|six|seven)"
# "a week ago (today)", "two weeks ago": that day.
_WEEKS_AGO = re.compile(rf"\b{_N}\s+weeks?\s+ago(?:\s+today)?\b", re.I)

# Months and years ("March 2022", "3/2022", "2022-03", "in March", "last month", "in 2021"):
# a period, not a day. A bare year only after a word that puts a time there ("in 2021",
# "during 2022", "2022's"): a four-digit number elsewhere may be a piece of an id.
_MONTH_PERIODS = [
    re.compile(rf"\b{_MON}\s+(?:of\s+)?{_YEAR}\b", re.I),
    re.compile(r"(?<![\d/.-])(?P<m>[01]?\d)/(?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<m>[01]\d)\b(?![-/]\d)"),
    re.compile(
        r"\b(?P<lead>in|during|of|for|from|since|around|throughout|last|this|past)\s+"
        rf"(?:(?:early|late|mid)[\s-]+)?{_MON}\b(?!\s*[0-3]?\d\b)",
        re.I,
    ),
]
_RELATIVE_MONTH = re.compile(
    rf"\b(?:(?P<rel>last|this|past|previous)\s+month|{_N}\s+months?\s+ago)\b", re.I
)
_YEAR_PERIOD = re.compile(
    r"\b(?:(?:in|during|of|for|from|since|throughout|around|year|back\s+in)\s+"
    r"(?:(?:early|late|mid)[\s-]+)?(?P<year>(?:19|20)\d\d)\b(?![-/]\d)"
    r"|(?P<year2>(?:19|20)\d\d)'s\b|(?P<rel>last|this|past|previous)\s+year\b)",
    re.I,
)

_MONEY = re.compile(
    r"(?:\$\s?(?P<a>\d[\d,]*(?:\.\d{1,2})?))|(?:\b(?P<b>\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars|usd)\b)",
    re.I,
)
_ID_CHARS = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_ID_PREFIX = [
    re.compile(
        r"\b(?:starts?|starting|begins?|beginning|prefix(?:ed)?)\s+(?:with\s+|by\s+)?"
        rf"[\"'`]?(?P<frag>{_ID_CHARS})",
        re.I,
    ),
    re.compile(
        r"(?<![\w-])(?P<frag>[A-Za-z0-9]*\d[A-Za-z0-9]*-)(?:something|\.\.\.|…|x+|\*+|\?+)?(?!\w)"
    ),
]
_ID_SUFFIX = [
    re.compile(
        r"\b(?:ends?|ending|suffix(?:ed)?)\s+(?:with\s+|in\s+|by\s+)?"
        rf"[\"'`]?(?P<frag>-?{_ID_CHARS})",
        re.I,
    ),
    re.compile(r"(?<![\w-])(?P<frag>-[A-Za-z0-9]*[A-Za-z0-9]{3,})\b"),
]


# "7590-something", "7590-xxxx", "7590-...": the written-out rest of an id piece.
_ELLIPSIS = re.compile(r"-?(?:something|x{2,}|\*+|\?+|\.{3}|…)$", re.I)
# An id spoken of: a lower-case piece ("the customer ID ending in ippbe") is an id's piece.
_ID_NEAR = re.compile(
    r"\b(?:ID|id|Id|IDs|identifier)\b|\b(?:customer|account|number)\s+(?:whose\s+\w+\s+|that\s+|which\s+)?"
    r"(?:ends?|ending|starts?|starting|begins?|beginning)\b",
    re.I,
)


@dataclass
class Parsed:
    """What a question says besides names, and where (character spans of the question)."""

    dates: list[date] = field(default_factory=list)
    # Months and years named without a day: (first day, day after the last), any order.
    periods: list[tuple[date, date]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # two-letter codes
    amounts: list[float] = field(default_factory=list)
    id_prefixes: list[str] = field(default_factory=list)
    id_suffixes: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def without_spans(self, text: str, mark: str = " ") -> str:
        """The question with every parsed phrase blanked (names are looked for in the rest);
        with ``mark``, each phrase becomes that one character (where a phrase ends)."""
        out = list(text)
        for start, end in self.spans:
            for i in range(start, end):
                out[i] = " "
            if mark != " " and start < end:
                out[start] = mark
        return re.sub(r"\s{2,}", " ", "".join(out)).strip()

    @property
    def empty(self) -> bool:
        return not (
            self.dates
            or self.periods
            or self.states
            or self.amounts
            or self.id_prefixes
            or self.id_suffixes
        )

    @property
    def when(self) -> list[tuple[date, date]]:
        """Every time the question names, as ranges: each day, then each month or year."""
        return [(d, d + timedelta(days=1)) for d in self.dates] + list(self.periods)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None, today: date, month: int, day: int) -> int:
    """A year as written ("22" -> 2022), or when left out the latest year in which that day is
    not after today (people ask about the past)."""
    if text:
        y = int(text)
        return y + 2000 if y < 100 else y
    candidate = _valid(today.year, month, day)
    return today.year if candidate is None or candidate <= today else today.year - 1


def parse_dates(text: str, today: date) -> tuple[list[date], list[tuple[int, int]]]:
    """Every day the text names, absolute or relative to ``today`` (the reader's day), with the
    spans that named them. US order for numeric dates ("3/4/2022" is March 4)."""
    found: list[date] = []
    spans: list[tuple[int, int]] = []

    def taken(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in spans)

    def add(d: date | None, m: re.Match) -> None:
        if d is not None and not taken(m.start(), m.end()):
            found.append(d)
            spans.append((m.start(), m.end()))

    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
            day = int(g["day"])
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            add(_valid(_year(g.get("year"), today, month, day), month, day), m)
    for m in _ON_THE_DAY.finditer(text):
        day = int(m.group("day"))
        d = _valid(today.year, today.month, day)
        if d is None or d > today:  # "the 28th" asked on the 3rd: last month's
            first = today.replace(day=1) - timedelta(days=1)
            d = _valid(first.year, first.month, day)
        add(d, m)
    for m in _WEEKS_AGO.finditer(text):
        n = m.group("n").lower()
        add(today - timedelta(days=7 * (_NUMBER_WORDS.get(n) or int(n))), m)
    for m in _RELATIVE.finditer(text):
        if m.group("today"):
            add(today, m)
        elif m.group("yesterday"):
            add(today - timedelta(days=1), m)
        elif m.group("n"):
            n = m.group("n").lower()
            add(today - timedelta(days=_NUMBER_WORDS.get(n) or int(n)), m)
        elif m.group("wd"):
            wd = m.group("wd")
            on = text[max(0, m.start() - 3) : m.start()].lower() == "on "
            if not (m.group("last") or on):
                continue  # "Sunday" alone may be a name; "last/this/on Sunday" is a day
            back = (today.weekday() - WEEKDAYS[wd.lower()]) % 7 or 7
            add(today - timedelta(days=back), m)
    return found, spans


def _month(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def parse_periods(text: str, today: date) -> tuple[list[tuple[date, date]], list[tuple[int, int]]]:
    """Months and years the text names without a day ("March 2022", "3/2022", "in March",
    "last month", "two months ago", "in 2021", "last year"), as (first day, day after), with
    the spans that named them. A month without a year is its latest one not after today."""
    found: list[tuple[date, date]] = []
    spans: list[tuple[int, int]] = []

    def add(period: tuple[date, date], start: int, end: int) -> None:
        if not any(s < end and start < e for s, e in spans):
            found.append(period)
            spans.append((start, end))

    for pattern in _MONTH_PERIODS:
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
            if not 1 <= month <= 12:
                continue
            if g.get("year"):
                year = int(g["year"])
            else:
                lead = (g.get("lead") or "").lower()
                year = today.year if month <= today.month else today.year - 1
                if lead == "last" and month == today.month:
                    year -= 1
                if g.get("mon", "").lower() == "may" and lead in ("", "for", "of", "from"):
                    continue  # "for may ..." is a verb more often than a month
            start = m.start("mon") if g.get("mon") and g.get("lead") else m.start()
            add(_month(year, month), start, m.end())
    for m in _RELATIVE_MONTH.finditer(text):
        back = 0 if (m.group("rel") or "").lower() == "this" else 1
        if m.group("n"):
            n = m.group("n").lower()
            back = _NUMBER_WORDS.get(n) or int(n)
        index = today.year * 12 + today.month - 1 - back
        add(_month(index // 12, index % 12 + 1), m.start(), m.end())
    for m in _YEAR_PERIOD.finditer(text):
        if m.group("rel"):
            year = today.year - (m.group("rel").lower() != "this")
        else:
            year = int(m.group("year") or m.group("year2"))
        add((date(year, 1, 1), date(year + 1, 1, 1)), m.start(), m.end())
    return found, spans


def parse_states(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """State and territory codes the text names where a place goes: a full name ("Vermont",
    any case, not followed by a legal word), or a two-letter code typed in capitals after a
    place word ("from VT") or before a person word ("a VT borrower"), or in lower case where
    only a place fits ("from ut on 3/9/23", "a ky resident"). A code elsewhere ("... of XX
    Inc") may be part of a company's name and is left to the name matcher."""
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    words = [
        (m.group(), m.start(), m.end()) for m in re.finditer(r"[A-Za-z]+(?:\.[A-Za-z]\.?)?", text)
    ]
    lower = [w.lower().replace(".", " ").strip() for w, _, _ in words]
    i = 0
    while i < len(words):
        matched = False
        for n in range(_LONGEST_STATE, 0, -1):
            if i + n > len(words):
                continue
            phrase = " ".join(lower[i : i + n])
            code = _STATE_BY_NAME.get(phrase)
            after = lower[i + n] if i + n < len(words) else ""
            before = _place_word_before(lower, i)
            if code is None and (before in PLACE_BEFORE or after in PLACE_AFTER):
                code = _slipped_state(phrase)  # "a borrower in Pensylvania"
            if code is None:
                continue
            # "Armed Forces ..." names a place wherever it stands; other names where a place
            # goes ("Texas Capital Bank", "R & B of Virginia": where a name goes).
            armed = "armed forces" in phrase and after not in _NAME_AFTER
            if not armed and before not in PLACE_BEFORE and after not in PLACE_AFTER:
                continue
            found.append(code)
            spans.append((words[i][1], words[i + n - 1][2]))
            i += n
            matched = True
            break
        if matched:
            continue
        word = words[i][0]
        if len(word) == 2 and word.upper() in STATES:
            before = _place_word_before(lower, i)
            after = lower[i + 1] if i + 1 < len(words) else ""
            if word.isupper():
                place = (
                    before in PLACE_BEFORE or after in PLACE_AFTER
                ) and after not in _NAME_AFTER
            else:
                place = _lower_code_is_place(lower[i], before, after)
            if place:
                found.append(word.upper())
                spans.append((words[i][1], words[i][2]))
        i += 1
    return found, spans


# Two-letter codes that are also everyday words ("in", "me", "or"): a place in lower case only
# between a place word and a person word ("from a me resident" is not a way to say Maine).
_CODE_WORDS = frozenset({"in", "me", "or", "hi", "id", "as", "ok"})
# What may follow a place typed in lower case ("from ga on the 3rd", "lodged in il about ...").
_AFTER_LOWER_PLACE = PLACE_AFTER | {
    "", "on", "filed", "received", "lodged", "submitted", "sent", "about", "regarding", "over",
    "in", "during", "last", "yesterday", "today", "that", "which", "who", "and", "via", "by",
    "against", "back", "this", "earlier", "sometime", "around", "at",
}  # fmt: skip


def _lower_code_is_place(code: str, before: str, after: str) -> bool:
    """A state code typed in lower case ("a complaint from ut", "a ky resident"): a place only
    where nothing else fits: after a place word and before a person word, a day, a verb of
    filing or the end; or between "a" and a person word. Codes that are everyday words ("in",
    "me", "or") need both a place word before and a person word after."""
    if code in _CODE_WORDS or before in ("a", "an"):
        return (before in PLACE_BEFORE or before in ("a", "an")) and after in PLACE_AFTER
    if before in PLACE_BEFORE:
        return after in _AFTER_LOWER_PLACE or _one_slip(after, "about")
    return False


def _slipped_state(phrase: str) -> str | None:
    """The state whose name the phrase is one slip from (a letter dropped, added or changed,
    or two neighbours swapped), when the name is long enough (6+ letters) and no other
    state's name is as close; read only where a place goes."""
    if len(phrase) < 6:
        return None
    near = [
        code
        for name, code in _STATE_BY_NAME.items()
        if len(name) >= 6 and abs(len(name) - len(phrase)) <= 1 and _one_slip(phrase, name)
    ]
    return near[0] if len(set(near)) == 1 else None


def _one_slip(a: str, b: str) -> bool:
    """One slip apart: a letter dropped, added or changed, or two neighbours swapped (the
    optimal string alignment distance is 1)."""
    return OSA.distance(a, b) == 1


def _place_word_before(lower: list[str], i: int) -> str:
    """The word before token i, read as a place word: "out of Rhode Island" as "from"."""
    if i >= 2 and lower[i - 1] == "the":  # "in the District of Columbia"
        i -= 1
    before = lower[i - 1] if i else ""
    if before == "of" and i >= 2 and lower[i - 2] == "out":
        return "from"
    return before


def parse_amounts(text: str) -> tuple[list[float], list[tuple[int, int]]]:
    found, spans = [], []
    for m in _MONEY.finditer(text):
        raw = (m.group("a") or m.group("b")).replace(",", "")
        try:
            found.append(float(raw))
        except ValueError:
            continue
        spans.append((m.start(), m.end()))
    return found, spans


def parse_id_fragments(text: str) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Prefixes and suffixes of ids the text gives ("ID starting 7590-", "ending in -VHVEG",
    "account 7590-something"), without their joining hyphen."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    spans: list[tuple[int, int]] = []
    for patterns, out in ((_ID_SUFFIX, suffixes), (_ID_PREFIX, prefixes)):
        for pattern in patterns:
            for m in pattern.finditer(text):
                frag = _ELLIPSIS.sub("", m.group("frag")).strip("-_").strip()
                if len(frag) < 2 or frag.lower() in ROLE_WORDS or frag.lower() in ("the", "a"):
                    continue
                if (
                    not any(c.isdigit() for c in frag)
                    and not frag.isupper()
                    and not (m.group("frag").startswith("-") or _ID_NEAR.search(text))
                ):
                    continue  # "starts with a late fee": words, not an id
                if any(s <= m.start("frag") < e for s, e in spans):
                    continue
                out.append(frag)
                spans.append((m.start("frag"), m.end("frag")))
    # "the ID"/"account" words before a fragment are part of the reference, not a name.
    for m in re.finditer(r"\b(?:ID|id|Id|IDs)\b", text):
        if prefixes or suffixes:
            spans.append((m.start(), m.end()))
    return prefixes, suffixes, spans


def parse(text: str, now: datetime | None = None, tz: tzinfo | None = None) -> Parsed:
    """Everything ``parse_*`` reads from the question, with ``now`` (default: the current time)
    seen in the reader's time zone ``tz`` (default: ``now``'s own, else UTC)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    today = now.astimezone(tz).date() if tz else now.date()
    out = Parsed()
    out.id_prefixes, out.id_suffixes, id_spans = parse_id_fragments(text)
    out.dates, date_spans = parse_dates(_blank(text, id_spans), today)
    out.periods, period_spans = parse_periods(_blank(text, id_spans + date_spans), today)
    date_spans = date_spans + period_spans
    out.states, state_spans = parse_states(text)
    out.amounts, money_spans = parse_amounts(_blank(text, id_spans + date_spans))
    out.spans = sorted(id_spans + date_spans + state_spans + money_spans)
    return out


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            chars[i] = " "
    return "".join(chars)
