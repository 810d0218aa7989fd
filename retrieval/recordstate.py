"""States of a record in the asker's words: "still pending", "answered late", "escalated",
"refunded", "closed without a refund".

A state is matched against every field a complaint carries (its canonical ``status``, the
free-text resolution, every attribute, as ``name=value`` and as the value), on word
boundaries: "open" is a state, "Opening an account" is not. The phrases and what a record
carrying each state has somewhere in its fields are ``fieldmatch.RECORD_STATES`` (one table for
the ranking of a customer's records and for descriptions). A state said with a negation
("without a refund", "not escalated", "never answered late") is the record *not* carrying it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from retrieval.fieldmatch import RECORD_STATES, norm

# Needles that are stems, matched as a word's start ("escalat": escalated, escalation).
_STEMS = frozenset({"escalat"})
_NEGATION = re.compile(
    r"(?:\bwithout|\bno|\bnot|\bnever|n t|\bnor)\s+(?:(?:a|an|any|the|yet|been|being|get|got|getting)\s+)*$"
)


# Words after a state's phrase that make it something else: "a fixed rate", "fixed income".
_NOT_A_STATE = re.compile(r" (?:rate|rates|income|term|amount|fee|fees|payment|payments)\b")


@dataclass(frozen=True)
class RecordState:
    """One state the question names: its phrase, what carries it, and whether it is negated."""

    phrase: str
    needles: tuple[str, ...]
    negated: bool = False

    def carried_by(
        self, status: Any, resolution: Any, attributes: Mapping[str, Any] | None
    ) -> bool:
        """Whether a complaint with these fields is in this state (or, negated, is not)."""
        return carries(self.needles, status, resolution, attributes) != self.negated


def named_states(question: str) -> list[RecordState]:
    """The record states the question names, longest phrase first, one per place in the text
    ("still pending" is not also "pending")."""
    text = norm(question)
    found: list[RecordState] = []
    taken: list[tuple[int, int]] = []
    for phrase in sorted(RECORD_STATES, key=len, reverse=True):
        for m in re.finditer(rf" {re.escape(phrase)} ", text):
            start, end = m.start() + 1, m.end() - 1
            if any(s < end and start < e for s, e in taken):
                continue
            if _NOT_A_STATE.match(text, end):  # "fixed rate mortgage", "fixed income"
                continue
            taken.append((start, end))
            negated = bool(_NEGATION.search(text[:start]))
            found.append(RecordState(phrase, RECORD_STATES[phrase], negated))
    return found


def _hay(status: Any, resolution: Any, attributes: Mapping[str, Any] | None) -> str:
    texts = [str(status or ""), str(resolution or "")]
    for key, value in (attributes or {}).items():
        if isinstance(value, (str, bool, int)):
            texts.append(f"{key}={value}")
            if isinstance(value, str):
                texts.append(value)
    return " | ".join(texts).lower()


def carries(
    needles: tuple[str, ...], status: Any, resolution: Any, attributes: Mapping[str, Any] | None
) -> bool:
    """Whether any of the fields carries one of the needles, on word boundaries."""
    hay = _hay(status, resolution, attributes)
    for needle in needles:
        end = "" if needle in _STEMS else r"(?![a-z0-9])"
        if re.search(rf"(?<![a-z0-9-]){re.escape(needle)}{end}", hay):
            return True
    return False
