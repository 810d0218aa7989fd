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

``records_named`` is the whole walk for one customer in one call: the best-matching complaints
(from the history the brief read, or from the store's field-value index when the history is
long), the responses linked to them, and only the cited records read in full. The caller passes
its session; nothing here opens one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from c360.domain import COMPLAINT_MATCH_FIELDS, FIELD_VALUE_MAX, Moment
from store import queries as Q

if TYPE_CHECKING:
    from retrieval.fieldindex import FieldIndex

_NORM = re.compile(r"[^a-z0-9]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_DIGITS = re.compile(r"\b(\d{4,})\b")

MATCH_CITES = 10  # records cited for "these N match what you asked" (the rest are counted)
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
    "compensation": ("monetary relief",),
    "payout": ("monetary relief",),
    "paid out": ("monetary relief",),
    "reimbursed": ("monetary relief", "refund"),
    "answered on time": ("timely_response=yes",),
    "responded on time": ("timely_response=yes",),
    "on time": ("timely_response=yes",),
    "disputed": ("consumer_disputed=yes",),
    "non monetary relief": ("non-monetary relief",),
    "non money relief": ("non-monetary relief",),
    "relief without money": ("non-monetary relief",),
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


PART_WEIGHT = 0.9  # one of a value's listed alternatives named: below any whole value
_PARTS = re.compile(r",\s*(?:or\s+)?|\s+or\s+", re.I)


@lru_cache(maxsize=4096)
def value_parts(raw: str) -> tuple[str, ...]:
    """The alternatives a value lists ("Payday loan, title loan, or personal loan" -> "payday
    loan", "title loan", "personal loan"), normalised: each of two words or more, none an
    "other ..." catch-all; empty for a value that lists nothing."""
    parts = [norm(p) for p in _PARTS.split(raw)]
    parts = [p for p in parts if len(p.split()) >= 2 and not p.strip().startswith("other ")]
    return tuple(parts) if len(parts) >= 2 else ()


def _named_phrase(terms: QuestionTerms, value: Any, parts: bool) -> tuple[str, float]:
    """(the phrase the question names, its weight): the whole value (``_value_named``), or,
    with ``parts``, one of the alternatives it lists ("personal loan trouble" names the product
    "Payday loan, title loan, or personal loan" through one of its parts)."""
    weight = _value_named(terms, value)
    if weight or not parts or not isinstance(value, str):
        return (value_phrase(str(value).strip()) if weight else "", weight)
    for part in value_parts(value.strip()):
        if part in terms.text:
            return part, PART_WEIGHT
    return "", 0.0


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
    """The weight of the field values (category, then ``COMPLAINT_FIELDS``) the question names,
    whole or by one of the alternatives a value lists."""
    named: dict[str, float] = {}
    for value in values:
        phrase, weight = _named_phrase(terms, value, parts=True)
        if weight:
            named[phrase] = max(weight, named.get(phrase, 0.0))
    # A value inside another named value of the record ("Credit reporting" inside "Credit
    # reporting, credit repair services, ...") is that phrase again, not a second field; so is
    # the same phrase named by two fields ("title loan": a sub-product, a product's part).
    return sum(
        w for phrase, w in named.items() if not any(phrase != o and phrase in o for o in named)
    )


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


# --- one customer's records named by their fields, from the store -----------------------------
@dataclass
class BestComplaints:
    """The best-scored complaints of one customer for a question."""

    score: float  # the best tier's score
    count: int  # complaints in the best tier
    newest: list[Any]  # its newest MATCH_CITES complaints (full, or id and day only)


@dataclass
class NamedRecords:
    """What ``records_named`` found: the complaints counted, and the records to cite."""

    count: int  # complaints in the best tier
    total: int  # those complaints plus the responses linked to the cited ones
    records: list[Any]  # the cited complaints (in full), then their responses; MATCH_CITES


def _best_tier(ranked: list[tuple[float, Any]], open_only: bool) -> BestComplaints | None:
    """The best-scored complaints of a ranking (newest first within a score)."""
    if not ranked:
        return None
    best = ranked[0][0]
    top = [r for s, r in ranked if s >= best - 1e-9]
    if open_only:
        top = [r for r in top if r.is_open] or top
    return BestComplaints(best, len(top), top[:MATCH_CITES])


def _named_days(terms: QuestionTerms) -> list[datetime]:
    days = []
    for text in sorted(terms.dates):
        try:
            days.append(datetime.fromisoformat(text))
        except ValueError:  # "2019-13-45" names no day
            continue
    return days


def _with_values(
    pairs: list[tuple[str, str]], mask: int, complaint_id: str = "", opened_at=None
) -> Q.ComplaintFields:
    """A complaint carrying the pairs of a value mask (``Q.value_hits``); no day and no id
    unless given, so that it scores its values alone."""
    named = {name: value for i, (name, value) in enumerate(pairs) if mask >> i & 1}
    attrs = {k: v for k, v in named.items() if k != "category"}
    return Q.ComplaintFields(complaint_id, "", opened_at, named.get("category"), attrs)


@dataclass(frozen=True)
class FieldQuestion:
    """A question about one customer's records, as field matching reads it."""

    customer_id: str
    question: str
    index: FieldIndex  # the field values the store holds (``retrieval.fieldindex``)
    now: datetime | None  # the reader's time, for days named relative to it
    open_only: bool = False  # the open complaints among the best, when there are any
    complaints: Sequence[Any] | None = None  # the whole history, newest first, when read


def best_complaints(session, asked: FieldQuestion) -> BestComplaints | None:
    """The complaints the question names best by their fields (product, issue, state,
    channel, day, id; ``rank_by_fields``): how many, and the newest ``MATCH_CITES`` of them.
    With ``open_only``, the open ones among them when there are any. From ``complaints`` (the
    whole history, newest first) when the caller read it; otherwise from the store's
    field-value index: ids, days and values of the complaints carrying a named value (index
    entries, not complaints), scored once per combination of values."""
    customer_id, question, open_only = asked.customer_id, asked.question, asked.open_only
    if asked.complaints is not None:
        ranked = rank_by_fields(question, asked.complaints, (), asked.now)
        return _best_tier(ranked, open_only)
    terms = question_terms(question, asked.now)
    values = asked.index.named_values(question)
    days = _named_days(terms)
    ids = sorted(terms.numbers)
    if any(terms.id_pieces):  # "the complaint with ID starting 31970": the ids that fit
        prefixes, suffixes = terms.id_pieces
        fitting = Q.complaints_by_id_fragments(
            session, prefixes, suffixes, MATCH_CITES, customer_id
        )
        ids = sorted({*ids, *(complaint_id for complaint_id, _ in fitting)})
    periods = [
        (
            datetime.fromisoformat(a).replace(tzinfo=UTC),
            datetime.fromisoformat(b).replace(tzinfo=UTC),
        )
        for a, b in terms.periods
    ]
    if not (values or days or ids or periods):
        return None
    pairs = [(name, value) for name, spellings in values.items() for value in spellings]
    # Every complaint carrying a named value, as (day, which values): a few columns from
    # one covering index. Scored once per combination of values; those named by day or id
    # (a few) one by one, as their day and id add to the score.
    entries = Q.value_hits(session, customer_id, pairs)
    named = Q.complaint_days_named(session, customer_id, days, ids, periods)
    for c, key in named.items():
        entries.setdefault(c, (key, 0))
    by_mask: dict[int, float] = {}
    scores: dict[str, float] = {}
    for c, (key, mask) in entries.items():
        if c in named:
            opened = Q.stored_time(key)
            scores[c] = complaint_match(terms, _with_values(pairs, mask, c, opened))
        else:
            if mask not in by_mask:
                by_mask[mask] = complaint_match(terms, _with_values(pairs, mask))
            scores[c] = by_mask[mask]
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return None
    top = [c for c, s in scores.items() if s >= best - 1e-9]
    if open_only:
        open_ids = Q.open_complaint_ids(session, customer_id)
        top = [c for c in top if c in open_ids] or top
    top.sort(key=lambda c: (entries[c][0], c), reverse=True)
    newest = [
        Q.ComplaintFields(c, customer_id, Q.stored_time(entries[c][0]), None, {})
        for c in top[:MATCH_CITES]
    ]
    return BestComplaints(best, len(top), newest)


def _hydrated(session, customer_id: str, records: list[Any]) -> list[Any]:
    """The records in order, each field-only complaint row replaced by the full complaint."""
    ids = [r.complaint_id for r in records if isinstance(r, Q.ComplaintFields)]
    full = {c.complaint_id: c for c in Q.customer_complaints_by_ids(session, customer_id, ids)}
    out = []
    for r in records:
        if isinstance(r, Q.ComplaintFields):
            if r.complaint_id in full:  # gone since it was matched: not cited
                out.append(full[r.complaint_id])
        else:
            out.append(r)
    return out


def records_named(session, asked: FieldQuestion) -> NamedRecords | None:
    """The records of one customer the question names by their fields, ready to cite: the
    best-matching complaints (``best_complaints``), then the responses linked to them. When
    the complaints alone fill the cited slots, no moment is read; otherwise only the moments
    linked to those complaints, never every moment of a large customer. Only the cited
    complaints are read in full. None when the question names no record by a field."""
    found = best_complaints(session, asked)
    if found is None:
        return None
    customer_id, top = asked.customer_id, found.newest
    moments = (
        Q.linked_moments(session, customer_id, [c.complaint_id for c in top])
        if found.count < MATCH_CITES
        else []
    )
    matched = [r for _, r in with_linked_moments([(found.score, r) for r in top], moments)]
    if not matched:
        return None
    total = found.count + sum(isinstance(r, Moment) for r in matched)
    return NamedRecords(found.count, total, _hydrated(session, customer_id, matched[:MATCH_CITES]))
