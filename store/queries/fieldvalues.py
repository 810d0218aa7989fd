"""Field-value reads (the ``complaint_values`` index): which complaints carry the values a
question names, and on which days; also a customer's open complaint ids, and the field values
of the complaints written since a time (the in-memory field index's refresh)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from c360.domain import OPEN_STATUSES
from store.models import ComplaintRow, ComplaintValueRow
from store.queries.base import _DAY, _run, _shape, _slices


@dataclass(frozen=True)
class ComplaintFields:
    """A complaint as field matching sees it, without its text: id, day, and the named values
    it carries (category, and attributes by name)."""

    complaint_id: str
    customer_id: str
    opened_at: datetime
    category: str | None
    attributes: dict[str, Any]

    kind = "complaint"

    @property
    def record_id(self) -> str:
        return f"complaint:{self.complaint_id}"


def customers_with_a_complaint_carrying_all(
    session: Session, customer_ids: Sequence[str], values: dict[str, Sequence[str]]
) -> set[str]:
    """Those of the customers having one complaint that carries a value of every field in
    ``values`` (field -> exact text values) at once. Counted in the database from the covering
    ``ix_complaint_values_lookup`` (a complaint has one value per field), so a description
    naming a value thousands of complaints carry ("via Web") returns a few ids, not rows."""
    if not values or not customer_ids:
        return set()
    cv = ComplaintValueRow
    found: set[str] = set()
    for part in _slices(sorted(set(customer_ids))):
        per_field = [
            select(cv.customer_id, cv.complaint_id).where(
                cv.customer_id.in_(list(part)), cv.field == name, cv.value.in_(list(wanted))
            )
            for name, wanted in values.items()
        ]
        hits = (per_field[0] if len(per_field) == 1 else union_all(*per_field)).subquery()
        stmt = (
            select(hits.c.customer_id)
            .group_by(hits.c.customer_id, hits.c.complaint_id)
            .having(func.count() == len(values))
            .distinct()
        )
        found.update(_run(session, stmt).scalars())
    return found


def complaint_days_named(
    session: Session,
    customer_id: str,
    days: Sequence[datetime],
    complaint_ids: Sequence[str],
    periods: Sequence[tuple[datetime, datetime]] = (),
) -> dict[str, Any]:
    """A customer's complaints opened on one of ``days`` (UTC), in one of ``periods`` (start,
    end; a month or year the question names) or having one of the ids: complaint id -> time
    key of when it was opened (as ``value_hits``, see ``stored_time``)."""
    conditions = [
        and_(ComplaintRow.opened_at >= start, ComplaintRow.opened_at < start + _DAY)
        for start in (datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days)
    ]
    conditions += [
        and_(ComplaintRow.opened_at >= start, ComplaintRow.opened_at < end)
        for start, end in periods
    ]
    if complaint_ids:
        conditions.append(ComplaintRow.complaint_id.in_([str(c) for c in complaint_ids]))
    if not conditions:
        return {}
    stmt = select(ComplaintRow.complaint_id, _time_key(ComplaintRow.opened_at)).where(
        ComplaintRow.customer_id == customer_id, or_(*conditions)
    )
    return {cid: key for cid, key in _run(session, stmt)}


def stored_time(key: Any) -> datetime:
    """The datetime of a ``value_hits``/``complaint_days_named`` time key."""
    if isinstance(key, datetime):
        return key.replace(tzinfo=UTC) if key.tzinfo is None else key.astimezone(UTC)
    return datetime.fromisoformat(str(key)).replace(tzinfo=UTC)


def _time_key(column):
    """A time column as the driver returns it, unconverted: SQLite's fixed-width text (which
    sorts as time does) or PostgreSQL's datetime. A question can match thousands of entries
    and only the ten newest need a datetime (``stored_time``)."""
    return type_coerce(column, String)


def value_hits(
    session: Session, customer_id: str, pairs: Sequence[tuple[str, str]]
) -> dict[str, tuple[Any, int]]:
    """The customer's complaints carrying one of ``pairs``: complaint id -> (time key of the
    day opened, see ``stored_time``; bit mask of the pairs it carries: bit i is ``pairs[i]``,
    and a complaint has one value per field). Index ranges of the covering
    ``ix_complaint_values_lookup``, a few columns a row: a question naming a value thousands
    of complaints carry reads thousands of index entries, not thousands of complaints."""
    cv = ComplaintValueRow
    bits: dict[str, dict[str, int]] = {}
    for i, (name, value) in enumerate(pairs):
        bits.setdefault(name, {})[value] = 1 << i
    keys: dict[str, Any] = {}
    masks: dict[str, int] = {}
    for name, by_value in bits.items():
        stmt = _shape(
            ("value_hits",),
            lambda: select(cv.complaint_id, _time_key(cv.opened_at), cv.value).where(
                cv.customer_id == bindparam("cid"),
                cv.field == bindparam("field"),
                cv.value.in_(bindparam("values", expanding=True)),
            ),
        )
        for part in _slices(sorted(by_value)):
            params = {"cid": customer_id, "field": name, "values": list(part)}
            for cid, key, value in _run(session, stmt, params).all():  # fetchall: fewer calls
                keys[cid] = key
                masks[cid] = masks.get(cid, 0) | by_value[value]
    return {cid: (keys[cid], mask) for cid, mask in masks.items()}


def open_complaint_ids(session: Session, customer_id: str) -> set[str]:
    """Ids of a customer's open complaints (uses ix_complaints_customer_status)."""
    stmt = _shape(
        ("open_ids",),
        lambda: select(ComplaintRow.complaint_id).where(
            ComplaintRow.customer_id == bindparam("cid"),
            ComplaintRow.status.in_(list(OPEN_STATUSES)),
        ),
    )
    return set(_run(session, stmt, {"cid": customer_id}).scalars())


def newest_complaint_write(session: Session) -> datetime | None:
    """When a complaint was last written (``ix_complaints_updated_at``): the watermark of
    the in-memory field index."""
    return session.execute(select(func.max(ComplaintRow.updated_at))).scalar()


def complaint_fields_since(
    session: Session, since: datetime | None
) -> Iterator[tuple[str, str | None, dict[str, Any] | None]]:
    """(customer id, category, attributes) of every complaint written at or after ``since``
    (all when None), streamed in batches: the first load reads every complaint's narrow
    columns once."""
    stmt = select(ComplaintRow.customer_id, ComplaintRow.category, ComplaintRow.attributes)
    if since is not None:
        stmt = stmt.where(ComplaintRow.updated_at >= since)
    for row in session.execute(stmt.execution_options(yield_per=5000)):
        yield row[0], row[1], row[2]
