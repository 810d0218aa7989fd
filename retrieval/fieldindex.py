"""The field-value index: which customers' complaints carry which field values (products,
issues, states, channels), kept in memory. Resolution reads it: a description made of field
values names customers ("the company with complaints about <issue> in <State>"), and the values
a question names are blanked before its words are read as a company name."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from datetime import datetime

from c360.domain import complaint_field_values
from retrieval.fieldmatch import (
    _NORM,
    QuestionTerms,
    _named_phrase,
    _value_named,
    norm,
    question_terms,
    value_parts,
)
from store import queries as Q


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
        # ... and first word of each alternative a value lists ("personal loan" of "Payday
        # loan, title loan, or personal loan"): the records of a customer are ranked by those.
        self.by_part_word: dict[str, list[tuple[str, str]]] = {}
        self.order: dict[tuple[str, str], int] = {}

    def add(self, customer_id: str, category: str | None, attributes: dict | None) -> None:
        for name, text in complaint_field_values(category, attributes):
            key = (name, norm(text))
            if key not in self.order:
                words = key[1].split()
                if words:
                    self.by_word.setdefault(words[0], []).append(key)
                for part in value_parts(text):
                    self.by_part_word.setdefault(part.split()[0], []).append(key)
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
        for key in self._candidate_keys(terms, parts=True):
            hits = [raw for raw in self.variants[key] if _named_phrase(terms, raw, parts=True)[1]]
            if hits:
                out.setdefault(key[0], []).extend(sorted(hits))
        return out

    def spellings(self, keys: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
        """Every stored spelling of the given (field, value) keys, by field."""
        out: dict[str, list[str]] = {}
        for key in keys:
            out.setdefault(key[0], []).extend(sorted(self.variants.get(key, ())))
        return out

    def _candidate_keys(self, terms: QuestionTerms, parts: bool = False) -> list[tuple[str, str]]:
        """The keys whose value (or, with ``parts``, one of its listed alternatives) starts with
        a word of the question, in the order first seen (the order breaks ties between equally
        long values)."""
        words = set(terms.text.split())
        found = {key for word in words for key in self.by_word.get(word, ())}
        if parts:
            found |= {key for word in words for key in self.by_part_word.get(word, ())}
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
    a value a complaint no longer carries stays (it still masks a field name, never a fact).
    The caller owns the session."""
    newest = Q.newest_complaint_write(session)
    if newest is None or (since is not None and newest <= since):
        return since if newest is None else newest
    for customer_id, category, attributes in Q.complaint_fields_since(session, since):
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
