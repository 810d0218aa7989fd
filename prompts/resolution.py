"""Fixed wording of how a customer was chosen: the reason each candidate fits a description
("has a complaint from VT on 3 Mar 2022 about Attempts to collect debt not owed"), the evidence
lines of the ``resolution`` explanation, and the question back when several customers fit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from prompts.brief import quote


def day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def fit_reason(
    state: str | None, on: date | None, about: str | None, named: Sequence[str] = ()
) -> str:
    """Why a customer fits a description, from its best-fitting complaint."""
    parts = ["has a complaint"]
    if state:
        parts.append(f"from {state}")
    if on:
        parts.append(f"on {day(on)}")
    if about:
        parts.append(f"about {about}")
    extra = [v for v in named if v and v != about]
    if extra:
        parts.append("(" + "; ".join(extra) + ")")
    return " ".join(parts)


def pays_reason(paid: str, named: Sequence[str] = ()) -> str:
    """A customer whose record carries the amount a description names."""
    field, _, amount = paid.rpartition(" ")
    extra = f" ({'; '.join(named)})" if named else ""
    return f"pays {amount} ({field.replace('_', ' ')}){extra}"


def period(start: date, end: date) -> str:
    """Evidence line of a month or year the question names ("month 2022-03", "year 2021")."""
    if start.month == 1 and end.year == start.year + 1 and end.month == 1:
        return f"year {start.year}"
    return f"month {start:%Y-%m}"


def complaint_ids_reason(ids: Sequence[str]) -> str:
    """A customer whose complaints' ids fit the piece of an id the question gives."""
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return f"has complaint {shown}" if len(ids) == 1 else f"has complaints {shown}"


def fields_reason(values: Sequence[str]) -> str:
    """A customer having one complaint that carries every named value."""
    return "has a complaint with " + "; ".join(values)


EVIDENCE_DAY = "day {}"
EVIDENCE_RECORD_STATE = "record state {} (negated: {})"
EVIDENCE_AMOUNT = "amount {:.2f}"
EVIDENCE_STATE = "state {}"
EVIDENCE_VALUE = "{}: {}"
EVIDENCE_ISSUE = "issue in other words: {} ~ {} ({:.2f})"
EVIDENCE_ID_FRAGMENT = "id {} {}"
EVIDENCE_UNKNOWN_NAME = "name not in the data: {}"
EVIDENCE_NAME_DOUBTED = "name word {} only; the description fits other customers"


def ambiguous(text: str, candidates: Sequence[tuple[str, str, float, str | None]]) -> str:
    """The question back, each candidate with the reason it fits when there is one."""
    lines = [f"Several customers could match {quote(text, 120)}. Which one did you mean?"]
    for cid, name, score, reason in candidates:
        why = f"; {reason}" if reason else ""
        lines.append(f"- {name} (customer {cid}, match {score:.2f}{why})")
    lines.append("Ask again with the full name or the customer id.")
    return "\n".join(lines)
