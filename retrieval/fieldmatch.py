"""Field matching: which of one customer's records does a question name by their fields?

Dense and BM25 ranking see a record's text only. Questions often name a record by its structured
fields instead: the product ("regarding Mortgage"), the state ("from CA"), the channel ("via
referral"), the day it was received ("received on 2019-06-25") or its id. Those values live in
the record's category, attributes and dates, not (always) in its text. This module counts, per
record, how many distinct fields the question names exactly, so the brief can put the records
that match the most fields first and cite all of the best ones.

Matching is exact on normalised phrases (case and punctuation ignored), never fuzzy: a field
counts only when its whole value appears in the question. Short all-capital codes ("CA", "NY")
must be typed in capitals, so the English words "in", "or" and "me" never match a state. A
company's response moment carries its complaint's id (``meta.complaint_id``) and inherits that
complaint's match, so "how did they respond to the complaint about X" finds both.

It also reads which field a question asks for (``asked_fields``), so an answer can say a field is
not in the data instead of quoting whatever is nearest.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from c360.domain import COMPLAINT_MATCH_FIELDS, FIELD_VALUE_MAX, complaint_field_values

_NORM = re.compile(r"[^a-z0-9]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_DIGITS = re.compile(r"\b(\d{4,})\b")

# Complaint attributes worth matching (others are codes or free text: zip, consent, response).
COMPLAINT_FIELDS = COMPLAINT_MATCH_FIELDS
# Values too common to say anything when they appear ("Other", "None", "Yes").
IGNORED_VALUES = {"other", "none", "yes", "no", "n a", "na", "i do not know"}

# What a question can ask for that a record may simply not have: phrases -> field names
# (customer fields and attributes, complaint attributes). Checked on the resolved customer.
ASKED_FIELDS: dict[str, tuple[str, ...]] = {
    "e mail address": ("emails", "email"),
    "email address": ("emails", "email"),
    "e mail": ("emails", "email"),
    "email": ("emails", "email"),
    "phone number": ("phone", "phones", "phone_number"),
    "telephone": ("phone", "phones", "phone_number"),
    "mobile number": ("phone", "phones", "phone_number"),
    "address": ("address", "street", "postal_address"),
    "dispute": ("consumer_disputed",),
    "disputed": ("consumer_disputed",),
    "birthday": ("birthday", "date_of_birth"),
    "date of birth": ("birthday", "date_of_birth"),
    "credit score": ("credit_score",),
    "income": ("income", "annual_income"),
}
_ASKING = re.compile(r"\b(what|what's|whats|which|did|does|do|is|was|has|have|give|tell|show)\b")


def norm(text: str) -> str:
    return " " + _NORM.sub(" ", text.lower()).strip() + " "


@dataclass(frozen=True)
class QuestionTerms:
    text: str  # normalised, padded with spaces
    upper_tokens: frozenset[str]  # tokens typed in capitals ("CA")
    dates: frozenset[str]  # ISO dates in the question
    numbers: frozenset[str]  # digit runs of 4+ (ids)
    record_states: tuple[tuple[str, ...], ...] = ()  # ``RECORD_STATES`` needles asked for
    periods: tuple[tuple[str, str], ...] = ()  # months and years named: ISO first day, day after
    id_pieces: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # id prefixes, suffixes


# States of a record in the asker's words -> what a record carrying that state has somewhere
# in its fields (status, resolution notes, any attribute): a text to find in a value, or
# "field=value" for one field exactly ("timely_response=no": answered late).
RECORD_STATES: dict[str, tuple[str, ...]] = {
    "pending": ("in progress", "in_progress", "pending", "open"),
    "still waiting": ("in progress", "in_progress", "pending", "open"),
    "still open": ("in progress", "in_progress", "pending", "open"),
    "unresolved": ("in progress", "in_progress", "pending", "open"),
    "in progress": ("in progress", "in_progress"),
    "not answered yet": ("in progress", "in_progress", "pending"),
    "answered late": ("untimely", "timely_response=no"),
    "late answer": ("untimely", "timely_response=no"),
    "late response": ("untimely", "timely_response=no"),
    "responded late": ("untimely", "timely_response=no"),
    "replied late": ("untimely", "timely_response=no"),
    "not on time": ("untimely", "timely_response=no"),
    "untimely": ("untimely", "timely_response=no"),
    "escalated": ("escalat",),
    "refunded": ("monetary relief", "refund"),
    "refund": ("monetary relief", "refund"),
    "money back": ("monetary relief", "refund"),
    "compensated": ("monetary relief",),
    "fixed": ("relief",),  # monetary or not; "fixed without a refund": not monetary
    "explained": ("with explanation",),
    "explanation": ("with explanation",),
}


def question_terms(question: str, now: datetime | None = None) -> QuestionTerms:
    """The question's words and values. Days in any common form ("March 3, 2022", "3/3/2022",
    "yesterday" from ``now``) count as ISO days, state names ("in Vermont") as their codes."""
    from retrieval.question import parse

    parsed = parse(question, now)
    codes = sorted(set(parsed.states))
    text = norm(question)
    states = tuple(needles for phrase, needles in RECORD_STATES.items() if f" {phrase} " in text)
    return QuestionTerms(
        text=text + "".join(f"{c.lower()} " for c in codes),
        upper_tokens=frozenset(t for t in re.findall(r"[A-Za-z]+", question) if t.isupper())
        | frozenset(codes),
        dates=frozenset(_DATE.findall(question)) | {d.isoformat() for d in parsed.dates},
        numbers=frozenset(_DIGITS.findall(question)),
        record_states=tuple(dict.fromkeys(states)),
        periods=tuple((a.isoformat(), b.isoformat()) for a, b in parsed.periods),
        id_pieces=(
            tuple(p.lower() for p in parsed.id_prefixes),
            tuple(p.lower() for p in parsed.id_suffixes),
        ),
    )


def record_state_named(needles: tuple[str, ...], record: Any) -> bool:
    """Whether any field of the record (status, resolution notes, attributes) carries the state
    these needles describe."""
    attrs = getattr(record, "attributes", None) or {}
    texts = [str(getattr(record, "status", "") or ""), str(getattr(record, "resolution", "") or "")]
    texts += [f"{k}={v}" for k, v in attrs.items() if isinstance(v, (str, bool, int))]
    texts += [str(v) for v in attrs.values() if isinstance(v, str)]
    hay = " | ".join(texts).lower()
    return any(n in hay for n in needles)


@lru_cache(maxsize=16384)
def value_phrase(raw: str) -> str:
    """``norm`` of a field value, remembered: a store holds few distinct values (products,
    issues, states, channels) on many records, and every question compares each of them."""
    return norm(raw)


def _value_named(terms: QuestionTerms, value: Any) -> float:
    """0 when the question does not name the value; else a weight that prefers longer values
    (so "Credit card or prepaid card" beats "Credit card" when both appear)."""
    if value in (None, "") or isinstance(value, (bool, list, dict)):
        return 0.0
    if len(str(value)) > FIELD_VALUE_MAX:  # prose, not a field value (as the index keeps them)
        return 0.0
    raw = str(value).strip()
    phrase = value_phrase(raw)
    core = phrase[1:-1]  # without the padding spaces
    if core in IGNORED_VALUES or not core:
        return 0.0
    if len(core) <= 3:
        if raw.isupper() and raw.isalpha():
            return 1.0 if raw in terms.upper_tokens else 0.0
        return 1.0 if raw.isalpha() and phrase in terms.text and len(raw) == 3 else 0.0
    return 1.0 + min(len(phrase), 100) / 1000.0 if phrase in terms.text else 0.0


def _values_score(terms: QuestionTerms, values: Sequence[Any]) -> float:
    """The weight of the field values (category, then ``COMPLAINT_FIELDS``) the question names."""
    named: list[tuple[str, float]] = []
    for value in values:
        weight = _value_named(terms, value)
        if weight:
            named.append((value_phrase(str(value).strip()), weight))
    # A value inside another named value of the record ("Credit reporting" inside "Credit
    # reporting, credit repair services, ...") is that phrase again, not a second field.
    return sum(w for phrase, w in named if not any(phrase != o and phrase in o for o, _ in named))


def complaint_match(
    terms: QuestionTerms, complaint: Any, memo: dict[Any, float] | None = None
) -> float:
    """How many distinct fields of the complaint the question names (weighted, see
    ``_value_named``), plus its day and its id. ``memo`` remembers the score of each
    combination of values for this question: a large customer's thousands of complaints
    share a few dozen combinations."""
    attrs = complaint.attributes or {}
    values = (complaint.category, *(attrs.get(name) for name in COMPLAINT_FIELDS))
    if memo is None:
        score = _values_score(terms, values)
    else:
        try:
            score = memo[values]
        except KeyError:
            score = memo[values] = _values_score(terms, values)
        except TypeError:  # an unhashable value (a list of tags)
            score = _values_score(terms, values)
    opened = complaint.opened_at
    if terms.dates and opened is not None and opened.date().isoformat() in terms.dates:
        score += 1.0
    elif terms.periods and opened is not None:
        day = opened.date().isoformat()
        score += any(a <= day < b for a, b in terms.periods)
    for needles in terms.record_states:  # "pending", "answered late", "refunded"
        if record_state_named(needles, complaint):
            score += 1.0
    if terms.numbers and str(complaint.complaint_id) in terms.numbers:
        score += 2.0  # an id names one record outright
    elif any(terms.id_pieces):  # "the complaint with ID starting 31970"
        own = str(complaint.complaint_id).lower()
        prefixes, suffixes = terms.id_pieces
        if all(own.startswith(p) for p in prefixes) and all(own.endswith(x) for x in suffixes):
            score += 2.0
    return score


def moment_match(moment: Any, by_complaint: dict[str, float]) -> float:
    """A moment linked to a complaint (``meta.complaint_id``) inherits that complaint's score."""
    linked = str((moment.meta or {}).get("complaint_id") or "")
    return by_complaint.get(linked, 0.0)


def rank_by_fields(
    question: str, complaints: Sequence[Any], moments: Iterable[Any] = (), now=None
) -> list[tuple[float, Any]]:
    """(score, record) for every record the question names by at least one field, best first;
    complaints before their moments at equal score, newest first within a score. ``now``: the
    reader's time, for days named relative to it ("yesterday")."""
    terms = question_terms(question, now)
    memo: dict[Any, float] = {}
    ranked = [(s, c) for c in complaints if (s := complaint_match(terms, c, memo)) > 0]
    return with_linked_moments(ranked, moments)


def with_linked_moments(
    ranked: Sequence[tuple[float, Any]], moments: Iterable[Any]
) -> list[tuple[float, Any]]:
    """Complaints already scored (``rank_by_fields`` without moments) plus the moments linked
    to them (``meta.complaint_id``), each with its complaint's score, in ranking order. Lets a
    caller look at the complaints first and fetch moments only when they are needed, without
    scoring every complaint twice."""
    by_complaint = {str(rec.complaint_id): s for s, rec in ranked}
    scored: list[tuple[float, int, Any]] = [(s, 0, rec) for s, rec in ranked]
    for m in moments:
        if getattr(m, "origin", "data") == "exchange":
            continue
        s = moment_match(m, by_complaint)
        if s > 0:
            scored.append((s, 1, m))

    def when(rec: Any) -> datetime:
        return getattr(rec, "opened_at", None) or getattr(rec, "occurred_at", None) or _EPOCH

    # Newest first, then (stable) best score first and complaints before moments.
    scored.sort(key=lambda t: when(t[2]), reverse=True)
    scored.sort(key=lambda t: (-round(t[0], 6), t[1]))
    return [(s, rec) for s, _, rec in scored]


def asked_fields(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """The fields a question asks for, as (phrase, candidate field names). Only when the
    question asks (what/which/did/is ...): a statement mentioning "email" asks nothing."""
    text = norm(question)
    if not _ASKING.search(text):
        return []
    found = []
    for phrase in sorted(ASKED_FIELDS, key=len, reverse=True):  # longest first, then consume it
        if f" {phrase} " in text:
            found.append((phrase, ASKED_FIELDS[phrase]))
            text = text.replace(f" {phrase} ", "  ")
    return found


def asked_outside_values(question: str, values: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """``asked_fields``, not counting a field phrase that is part of a field value the question
    names ("credit score" in the issue "Unable to get your credit report or credit score",
    "dispute" in "Billing dispute for services"): that is the value, not a request for the
    field. A value that is only a piece of the phrase ("Phone" in "phone number") leaves the
    phrase alone."""
    text = norm(question)
    for value in sorted({value_phrase(v.strip()) for v in values}, key=len, reverse=True):
        if any(f" {p} " in value and value.strip() != p for p in ASKED_FIELDS):
            text = text.replace(value, " ")
    return asked_fields(text)


def field_value(record: Any, names: Sequence[str]) -> tuple[bool, Any]:
    """(known, value): whether the record has any of these fields at all, and the first
    non-empty value. A known field whose value is empty is 'not in the data' as well."""
    attrs = getattr(record, "attributes", None) or {}
    known = False
    for name in names:
        for holder in (record.__dict__, attrs):
            if name in holder:
                known = True
                value = holder[name]
                if value not in (None, "", [], {}):
                    return True, value
    return known, None


# --- amounts: "how much do they pay", "what is their ARR" ------------------------------------
# Words in a field's name that make it money, and what a question may call it.
MONEY_NAME_WORDS = {"charge", "charges", "amount", "price", "cost", "fee", "fees", "spend",
                    "revenue", "arr", "mrr", "balance", "payment", "payments", "bill", "billing"}  # fmt: skip
MONEY_QUESTION_WORDS = {"much", "amount", "charge", "charges", "charged", "pay", "pays", "paid",
                        "paying", "spend", "spends", "spent", "bill", "billed", "price", "cost",
                        "costs", "worth"}  # fmt: skip
# A name word -> the question words that point at it ("per month" -> monthly_charges).
NAME_WORD_ALIASES = {
    "arr": {"arr", "annual", "annually", "yearly", "year", "recurring", "revenue", "worth"},
    "mrr": {"mrr", "monthly", "month"},
    "monthly": {"monthly", "month"},
    "total": {"total", "overall", "lifetime", "altogether"},
    "annual": {"annual", "annually", "yearly", "year"},
}


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[A-Z])", name) if w]


def amount_fields(record: Any, question: str) -> list[tuple[str, float]]:
    """The money fields of a customer record (``arr`` and numeric attributes whose name is a
    money word: charges, fees, balance ...) that a question about an amount points at, as
    (field name, value). The fields whose name the question names ("monthly", "total", "ARR")
    when it names one; else every money field (a bare "how much do they pay?"). Empty when the
    record has no money field: the amount is not in the data."""
    fields: list[tuple[str, float]] = []
    if getattr(record, "arr", None) is not None:
        fields.append(("arr", record.arr))
    for name, value in sorted((getattr(record, "attributes", None) or {}).items()):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if {w.lower() for w in _name_words(name)} & MONEY_NAME_WORDS:
            fields.append((name, value))
    if not fields:
        return []
    asked = set(_NORM.sub(" ", question.lower()).split())

    def named(name: str) -> int:
        words = {w.lower() for w in _name_words(name)} - MONEY_NAME_WORDS | (
            {"arr"} if name == "arr" else set()
        )
        return sum(1 for w in words if asked & NAME_WORD_ALIASES.get(w, {w}))

    best = max(named(n) for n, _ in fields)
    return [(n, v) for n, v in fields if named(n) == best] if best else fields


# --- resolving a customer from the fields its complaints name --------------------------------
class FieldIndex:
    """Which customers have complaints with a given field value: value -> customer ids.

    Serves descriptions such as "the company with complaints about <sub-issue> in <State> via
    <channel>": those words are fields, not text, so the vector index cannot see them. Built
    lazily from the store's narrow columns (category, attributes) and kept in memory: the
    distinct values are few (products, issues, states, channels), so the map stays small.
    """

    def __init__(self) -> None:
        self.customers: dict[tuple[str, str], set[str]] = {}  # (field, value) -> customers
        self.raw: dict[tuple[str, str], str] = {}  # one spelling, for display
        self.variants: dict[tuple[str, str], set[str]] = {}  # every spelling stored
        # First word of a value -> its keys, in the order first seen: a question can name only
        # values whose first word it contains, so a question checks a handful of values, not
        # every value of the store (a thousand or more).
        self.by_word: dict[str, list[tuple[str, str]]] = {}
        self.order: dict[tuple[str, str], int] = {}

    def add(self, customer_id: str, category: str | None, attributes: dict | None) -> None:
        for name, text in complaint_field_values(category, attributes):
            key = (name, norm(text))
            if key not in self.order:
                words = key[1].split()
                if words:
                    self.by_word.setdefault(words[0], []).append(key)
                self.order[key] = len(self.order)
            self.customers.setdefault(key, set()).add(customer_id)
            self.raw.setdefault(key, text)
            self.variants.setdefault(key, set()).add(text)

    def named_values(self, question: str) -> dict[str, list[str]]:
        """Every stored spelling of every value the question names, by field: what a complaint
        must carry (in the database, exactly) for ``complaint_match`` to count a field. Wider
        than ``named`` (every named value, not the longest per field), so that filtering on it
        first loses no complaint that the ranking would score."""
        terms = question_terms(question)
        out: dict[str, list[str]] = {}
        for key in self._candidate_keys(terms):
            hits = [raw for raw in self.variants[key] if _value_named(terms, raw)]
            if hits:
                out.setdefault(key[0], []).extend(sorted(hits))
        return out

    def spellings(self, keys: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
        """Every stored spelling of the given (field, value) keys, by field."""
        out: dict[str, list[str]] = {}
        for key in keys:
            out.setdefault(key[0], []).extend(sorted(self.variants.get(key, ())))
        return out

    def _candidate_keys(self, terms: QuestionTerms) -> list[tuple[str, str]]:
        """The keys whose value starts with a word of the question, in the order first seen
        (the order breaks ties between equally long values)."""
        found = {key for word in set(terms.text.split()) for key in self.by_word.get(word, ())}
        return sorted(found, key=self.order.__getitem__)

    def named(self, question: str) -> list[tuple[str, str]]:
        """The (field, value) keys the question names, longest value per field."""
        terms = question_terms(question)
        best: dict[str, tuple[float, tuple[str, str]]] = {}
        for key in self._candidate_keys(terms):
            weight = _value_named(terms, self.raw[key])
            if weight and weight > best.get(key[0], (0.0, key))[0]:
                best[key[0]] = (weight, key)
        keys = [key for _, key in best.values()]
        # A value inside a longer named value ("loan" in "... repaying your loan") is part of
        # that phrase, not a field of its own.
        return [k for k in keys if not any(k != o and k[1] in o[1] for o in keys)]

    def candidates(
        self, question: str, min_fields: int = 2
    ) -> tuple[list[tuple[str, str]], set[str]]:
        """(named keys, customers having every named value somewhere). Empty when the
        question names fewer than ``min_fields`` fields: one field describes nobody."""
        keys = self.named(question)
        if len(keys) < min_fields:
            return keys, set()
        sets = sorted((self.customers[k] for k in keys), key=len)
        found = set(sets[0])
        for s in sets[1:]:
            found &= s
        return keys, found


def add_complaints_since(session, index: FieldIndex, since: datetime | None) -> datetime | None:
    """Add the complaints written at or after ``since`` (all when None) to ``index``; returns
    the newest write time seen, the ``since`` of the next call. Adding is idempotent, so the
    rows written at exactly ``since`` are read again rather than missed. The index only grows:
    a value a complaint no longer carries stays (it still masks a field name, never a fact)."""
    from sqlalchemy import func, select

    from store.models import ComplaintRow

    newest = session.execute(select(func.max(ComplaintRow.updated_at))).scalar()
    if newest is None or (since is not None and newest <= since):
        return since if newest is None else newest
    stmt = select(ComplaintRow.customer_id, ComplaintRow.category, ComplaintRow.attributes)
    if since is not None:
        stmt = stmt.where(ComplaintRow.updated_at >= since)
    for customer_id, category, attributes in session.execute(
        stmt.execution_options(yield_per=5000)
    ):
        index.add(customer_id, category, attributes)
    return newest


def mask_named(question: str, index: FieldIndex) -> str:
    """The question with the field values it names blanked out ("regarding Credit card or
    prepaid card at Suntrust" -> "regarding at Suntrust"), so a product, issue or state is
    never read as a company name ("Card Corporation", "CA" as an acronym)."""
    out = question
    for key in index.named(question):
        raw = index.raw[key]
        if len(raw) <= 3 and raw.isupper():
            out = re.sub(rf"\b{re.escape(raw)}\b", " ", out)
            continue
        words = [re.escape(w) for w in _NORM.sub(" ", raw.lower()).split()]
        pattern = r"\b" + r"[^A-Za-z0-9]+".join(words) + r"\b"
        out = re.sub(pattern, " ", out, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", out).strip()


_CAPITALIZED = re.compile(r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]{3,})\b")


def unknown_names(question: str, *vocabularies: Container[str]) -> list[str]:
    """Capitalized words inside the question (not its first word) that no vocabulary (customer
    name words, field value words) contains: the name of a company we do not have. A
    description of a customer ("the lender with complaints about ...") has none, so it still
    goes to description search."""
    return [
        w
        for w in _CAPITALIZED.findall(question.strip())
        if not any(w.lower() in vocab for vocab in vocabularies)
    ]


def value_words(index: FieldIndex) -> frozenset[str]:
    """Every word of every field value the index holds."""
    return frozenset(w for raw in index.raw.values() for w in _NORM.sub(" ", raw.lower()).split())
