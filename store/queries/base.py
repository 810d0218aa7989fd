"""Shared pieces of the store's read side: statement shapes built once, the Core execute,
IN slicing, and stored rows -> domain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam
from sqlalchemy.orm import Session

from c360.domain import Complaint, Customer, Moment, utc
from store.models import ComplaintRow, CustomerRow, MomentRow

# Origins that are evidence for facts about a customer; "exchange" is history only.
EVIDENCE_ORIGINS = ("data", "logged")
IN_SLICE = 900  # bound parameters per IN (...), well under every driver's limit
_DAY = timedelta(days=1)


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


def customer_from_row(row: CustomerRow) -> Customer:
    return Customer(
        customer_id=row.customer_id,
        name=row.name,
        aliases=list(row.aliases or []),
        domain=row.domain,
        emails=list(row.emails or []),
        segment=row.segment,
        plan=row.plan,
        arr=row.arr,
        owner=row.owner,
        region=row.region,
        created_at=utc(row.created_at),
        attributes=dict(row.attributes or {}),
        url=row.url,
    )


def moment_from_row(row: MomentRow) -> Moment:
    return Moment(
        moment_id=row.moment_id,
        customer_id=row.customer_id,
        occurred_at=utc(row.occurred_at),
        text=row.text,
        channel=row.channel,
        direction=row.direction,
        author=row.author,
        tags=list(row.tags or []),
        origin=row.origin,
        meta=dict(row.meta or {}),
        url=row.url,
    )


def complaint_from_row(row: ComplaintRow) -> Complaint:
    return Complaint(
        complaint_id=row.complaint_id,
        customer_id=row.customer_id,
        opened_at=utc(row.opened_at),
        text=row.text,
        category=row.category,
        status=row.status,
        resolved_at=utc(row.resolved_at),
        resolution=row.resolution,
        severity=row.severity,
        attributes=dict(row.attributes or {}),
        url=row.url,
    )
