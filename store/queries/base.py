"""Shared pieces of the store's read side: statement shapes built once, the Core execute,
IN slicing, and stored rows -> domain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import DateTime, bindparam
from sqlalchemy.orm import Session

from c360.domain import Complaint, Customer, Moment, utc
from store.models import ComplaintRow, CustomerRow, MomentRow

# Origins that are evidence for facts about a customer; "exchange" is history only.
EVIDENCE_ORIGINS = ("data", "logged")
IN_SLICE = 900  # bound parameters per IN (...), well under every driver's limit
_DAY = timedelta(days=1)
T = TypeVar("T")


_SHAPES: dict[tuple, Any] = {}


def _shape(key: tuple, build):
    """A statement built once per shape, its values left as bind parameters: building a
    SELECT cost more than running it on a small index range (about 0.5 ms against 0.1 ms), and
    a brief runs a dozen of them. (A cache of statement text, never of results.)"""
    stmt = _SHAPES.get(key)
    if stmt is None:
        stmt = _SHAPES[key] = build()
    return stmt


def _at(name: str):
    return bindparam(name, type_=DateTime(timezone=True))


def _run(session: Session, stmt, params: dict[str, Any] | None = None):
    """Execute a Core statement on the session's connection (its transaction), skipping the
    ORM's per-statement machinery: a brief runs a dozen small reads, and that overhead cost
    more than the reads (bench: eval's large-customer questions)."""
    return session.connection().execute(stmt, params or {})


def _slices(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), IN_SLICE):
        yield items[start : start + IN_SLICE]


# --- row -> domain ------------------------------------------------------------------


@cache
def _columns(cls: type) -> tuple[tuple[str, str], ...]:
    """(field, how it is read) for each constructor field of the domain class ``cls``."""
    plan = []
    for f in fields(cls):
        if f.init:
            kind = str(f.type).split("[")[0]
            plan.append((f.name, kind if kind in ("list", "dict", "int") else ""))
    return tuple(plan)


def record_from_row(cls: type[T], row: Any) -> T:
    """The domain value ``cls`` from a stored row (ORM or Core), each field read from the
    column of its name: times in UTC (``utc``: SQLite hands them back naive), lists and
    mappings copied (NULL reads as empty), a NULL count as 0. The one row -> domain rule."""
    values = {}
    for name, kind in _columns(cls):
        value = getattr(row, name)
        if kind == "list":
            value = list(value or [])
        elif kind == "dict":
            value = dict(value or {})
        elif kind == "int":
            value = value or 0
        elif isinstance(value, datetime):
            value = utc(value)
        values[name] = value
    return cls(**values)


def customer_from_row(row: CustomerRow) -> Customer:
    return record_from_row(Customer, row)


def moment_from_row(row: MomentRow) -> Moment:
    return record_from_row(Moment, row)


def complaint_from_row(row: ComplaintRow) -> Complaint:
    return record_from_row(Complaint, row)
