"""How customer names are written and read: the word lists and the normalisation the name index
uses.

A name is read as lower-case ASCII tokens with corporate suffix spellings unified ("N.A." ->
"na", "Corporation" -> "corp"); its core is the name without trailing legal words. Some words
never name a customer alone: common question words (``STOPWORDS``), words common in company
names (``GENERIC``), and the words that say what kind of thing, which place or which day a
question means (``WEAK``: role words, state codes, months and weekdays). Words of a multi-word
place ("Island" of "Rhode Island") are evidence for a name only when the name has the whole
place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from retrieval.question import DATE_WORDS, MULTIWORD_STATES, ROLE_WORDS, STATES

# Corporate suffixes: spelled variants map to one canonical token, then trailing suffix tokens
# are dropped to form the core name.
CANONICAL = {
    "corporation": "corp",
    "incorporated": "inc",
    "limited": "ltd",
    "company": "co",
    "companies": "cos",
    "holding": "holdings",
}
SUFFIXES = {
    "inc", "corp", "ltd", "llc", "co", "cos", "holdings", "na", "group", "plc", "lp", "llp",
    "pllc", "sa", "ag", "gmbh", "bv", "nv", "pty", "pc", "and", "the",
}  # fmt: skip
MULTI_SUFFIXES = (("national", "association"),)
# Suffixes that name a kind of entity rather than a legal form: "Umbrella Holdings" and
# "Umbrella Health" are two companies, and "Umbrella" alone does not say which. ("GreenSky,
# LLC" beside "GreenSky Servicing, LLC" is read as GreenSky: a legal form tells nothing.)
DESCRIPTIVE_SUFFIXES = frozenset({"holdings", "group"})
LEADING_DROP = {"the"}
ACRONYM_SKIP = {"and", "of", "the", "for", "de"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common words of questions: never typo-corrected, never enough on their own to name a customer.
STOPWORDS = _words(
    """
    a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just last
    latest me more most my new newest no nor not now of off on once only or other our out over
    own recent recently same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours customer customers client clients account
    accounts company brief tell show give summary summarize status open opened closed complaint
    complaints issue issues call calls email emails meeting meetings note notes moment moments
    ticket tickets chat question questions ask asked many much any anything something
    everything happen happened going went say said says think know need needs want wants lately
    today yesterday week weeks month months year years day days time times ago since still
    please thanks thank hi hello hey regarding re vs next prepare prep renewal plan plans their
    whats hows whos bank
    """
)

# Words common in company names: a match on them alone says nothing about which company.
GENERIC = _words(
    """
    industries international services service solutions financial finance bank bancorp credit
    capital systems technologies technology partners global national american america first
    trust federal mortgage loan loans lending funding insurance management associates
    enterprises resources consulting business united general acquisition acquisitions recovery
    collection collections consumer home auto card cards payment payments savings union
    community investments investment securities data information network software health care
    energy media retail labs products digital one new
    """
)

# Words that say what kind of thing, which place or which day a question means: role words
# ("lender", "servicer", "ID"), state codes, months and weekdays. Never enough on their own to
# name a customer, even when one customer's name contains one ("... Lender Services ...", "...
# of VT Inc", "ID Recovery"): a name match needs a word that is not one of these. (A state
# name where a place goes, "a borrower in Vermont", is taken out before names are read:
# ``question.parse``; where a name goes, "for Florida", it may be one.)
WEAK = ROLE_WORDS | DATE_WORDS | {code.lower() for code in STATES}

_ABBREV = re.compile(r"\b(?:[a-z]\.){2,}")
_WORD = re.compile(r"[a-z0-9]+")


def normalize_tokens(text: str) -> list[str]:
    """Lower-case ASCII word tokens; "N.A." -> "na", "&" -> "and", suffix spellings unified."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"(?<=\w)'s\b", "", text).replace("'", "")  # "Acme Corp's" -> "acme corp"
    text = _ABBREV.sub(lambda m: m.group().replace(".", "") + " ", text)
    return [CANONICAL.get(t, t) for t in _WORD.findall(text)]


def core_tokens(tokens: Sequence[str]) -> tuple[str, ...]:
    """The name without corporate suffixes ("wells fargo and co" -> "wells fargo")."""
    toks = list(tokens)
    while toks and toks[0] in LEADING_DROP and len(toks) > 1:
        toks.pop(0)
    changed = True
    while changed and len(toks) > 1:
        changed = False
        for multi in MULTI_SUFFIXES:
            if len(toks) > len(multi) and tuple(toks[-len(multi) :]) == multi:
                del toks[-len(multi) :]
                changed = True
        if len(toks) > 1 and toks[-1] in SUFFIXES:
            toks.pop()
            changed = True
    return tuple(toks) if toks else tuple(tokens)


def acronyms(core: Sequence[str]) -> set[str]:
    if len(core) < 2:
        return set()
    found = {"".join(t[0] for t in core)}
    content = [t for t in core if t not in ACRONYM_SKIP]
    if len(content) >= 2:
        found.add("".join(t[0] for t in content))
    return {a for a in found if len(a) >= 2}


def place_phrases(tokens: Sequence[str]) -> list[tuple[str, ...] | None]:
    """For each token, the multi-word state or territory name it is part of ("rhode island",
    "armed forces in the americas"), wherever it stands in the question; else None."""
    out: list[tuple[str, ...] | None] = [None] * len(tokens)
    longest = max(len(p) for p in MULTIWORD_STATES)
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 1, -1):
            phrase = tuple(tokens[i : i + n])
            if phrase in MULTIWORD_STATES:
                out[i : i + n] = [phrase] * n
                i += n
                break
        else:
            i += 1
    return out


def rests_on_place(
    place: Sequence[tuple[str, ...] | None], i: int, j: int, name: Sequence[str]
) -> bool:
    """Whether tokens i..j of the question are all words of places the name does not carry
    whole: "Island" of "Rhode Island" is no evidence for "Island Finance"; "New York" is for
    "New York Community Bank"."""
    if i >= j or j > len(place) or any(place[k] is None for k in range(i, j)):
        return False
    return any(not contains(name, place[k]) for k in range(i, j))


def contains(seq: Sequence[str], sub: Sequence[str] | None) -> bool:
    n = len(sub or ())
    return bool(sub) and any(tuple(seq[k : k + n]) == tuple(sub) for k in range(len(seq) - n + 1))


# Words that say a company follows ("Halvora Lending Services", "Quorvex Financial Group").
COMPANY_KIND = GENERIC | SUFFIXES | frozenset({"lenders", "lender", "servicing", "bancshares"})


def coined_company_words(text: str, known: Callable[[str], bool]) -> list[str]:
    """Words typed in any case that are no word we know (``known``: our names' and field
    values' words, and ordinary English) and stand right before a company-kind word ("halvora
    lending services"): the name of a company we do not have. Names are looked up first, so
    a typo of one of ours ("exerian") has resolved before this is asked."""
    tokens = normalize_tokens(text)
    out = []
    for word, after in zip(tokens, tokens[1:], strict=False):
        if (
            len(word) >= 4
            and word.isalpha()
            and after in COMPANY_KIND
            and word not in STOPWORDS
            and word not in WEAK
            and word not in COMPANY_KIND
            and not known(word)
        ):
            out.append(word)
    return out
