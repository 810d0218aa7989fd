"""Complaint reads: one customer's complaints by time or id, the newest per category, and the
one-aggregate digest of counts a brief states."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from c360.domain import OPEN_STATUSES, Complaint, utc
from store.models import ComplaintRow, ComplaintValueRow
from store.queries.base import _at, _run, _shape, _slices, complaint_from_row

# --- complaints ----------------------------------------------------------------------


def get_complaint(session: Session, complaint_id: str) -> Complaint | None:
    row = session.get(ComplaintRow, complaint_id)
    return complaint_from_row(row) if row is not None else None


def complaints_by_id_fragments(
    session: Session,
    prefixes: Sequence[str],
    suffixes: Sequence[str],
    limit: int = 200,
    customer_id: str | None = None,
) -> list[tuple[str, str]]:
    """(complaint id, customer id) of the complaints whose id starts with every prefix and ends
    with every suffix ("the complaint with ID starting 31970", "number ending 4755"), case
    ignored, at most ``limit``, of one customer when ``customer_id`` is given: a scan of the
    ids (case-folded, so no index range; a few ms at ten thousand complaints)."""
    c = ComplaintRow
    stmt = select(c.complaint_id, c.customer_id)
    if customer_id is not None:
        stmt = stmt.where(c.customer_id == customer_id)
    for prefix in prefixes:
        stmt = stmt.where(func.lower(c.complaint_id).like(_like(prefix.lower()) + "%", escape="\\"))
    for suffix in suffixes:
        stmt = stmt.where(func.lower(c.complaint_id).like("%" + _like(suffix.lower()), escape="\\"))
    if not prefixes and not suffixes:
        return []
    return [
        (str(a), str(b)) for a, b in session.execute(stmt.order_by(c.complaint_id).limit(limit))
    ]


class OpenedComplaint(NamedTuple):
    """A complaint as a description is matched against it: who, when, and the fields that say
    what it was about and how it stands, without its text."""

    complaint_id: str
    customer_id: str
    opened_at: datetime | None
    category: str | None
    attributes: dict[str, Any]
    status: str | None
    resolution: str | None


def _opened(session: Session, where, limit: int) -> list[OpenedComplaint]:
    c = ComplaintRow
    stmt = select(
        c.complaint_id, c.customer_id, c.opened_at, c.category, c.attributes, c.status, c.resolution
    ).where(where)
    return [
        OpenedComplaint(str(cid), str(cust), utc(at), cat, dict(attrs or {}), status, res)
        for cid, cust, at, cat, attrs, status, res in session.execute(stmt.limit(limit))
    ]


def _state_hits(states: Sequence[str]):
    """The ids of the complaints from the states (codes), from the field-value index."""
    v = ComplaintValueRow
    return select(v.complaint_id).where(
        v.field == "state", v.value.in_(sorted({s.upper() for s in states}))
    )


def complaints_of_states(
    session: Session, states: Sequence[str], limit: int
) -> list[OpenedComplaint]:
    """The complaints from the states (codes), read through the field-value index, at most
    ``limit``."""
    if not states:
        return []
    return _opened(session, ComplaintRow.complaint_id.in_(_state_hits(states).limit(limit)), limit)


def complaints_opened_in(
    session: Session,
    periods: Sequence[tuple[date, date]],
    states: Sequence[str] = (),
    limit: int = 20000,
) -> list[OpenedComplaint]:
    """Every complaint opened in one of the periods (first day, day after; UTC), from one of the
    ``states`` when given (found in the field-value index first: a year holds thousands of
    complaints, a year and a state a few dozen), at most ``limit``."""
    if not periods:
        return []

    def within(column):
        return or_(
            *[(column >= _midnight(a)) & (column < _midnight(b)) for a, b in sorted(set(periods))]
        )

    c, v = ComplaintRow, ComplaintValueRow
    where = within(c.opened_at)
    if states:
        where = where & c.complaint_id.in_(_state_hits(states).where(within(v.opened_at)))
    return _opened(session, where, limit)


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_complaints(
    session: Session,
    customer_id: str,
    open_only: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 0,
    oldest_first: bool = False,
) -> list[Complaint]:
    """A customer's complaints, newest first (oldest first on request), optionally only open
    ones, those opened in [since, until), at most ``limit`` (uses ix_complaints_customer_time).
    A large customer has thousands: callers ask for the slice they show,
    ``newest_by_category`` for a theme's newest and ``complaint_digest`` for the counts."""

    def build():
        c = ComplaintRow
        stmt = select(c.__table__).where(c.customer_id == bindparam("cid"))
        if open_only:
            stmt = stmt.where(c.status.in_(list(OPEN_STATUSES)))
        if since is not None:
            stmt = stmt.where(c.opened_at >= _at("since"))
        if until is not None:
            stmt = stmt.where(c.opened_at < _at("until"))
        if oldest_first:
            stmt = stmt.order_by(c.opened_at.asc(), c.complaint_id.asc())
        else:
            stmt = stmt.order_by(c.opened_at.desc(), c.complaint_id.desc())
        return stmt.limit(bindparam("limit")) if limit else stmt

    key = (
        "customer_complaints",
        open_only,
        since is not None,
        until is not None,
        bool(limit),
        oldest_first,
    )
    params = {
        "cid": customer_id,
        "since": since,
        "until": until,
        "limit": limit,
    }
    rows = _run(session, _shape(key, build), params).all()
    return [complaint_from_row(r) for r in rows]  # plain rows, as above


def newest_by_category(
    session: Session, customer_id: str, categories: Sequence[str | None], limit: int, slots: int = 5
) -> dict[str | None, list[Complaint]]:
    """The newest ``limit`` complaints of each category (None: uncategorised), newest first,
    in one statement (one limited index range of ``ix_complaints_customer_category`` each).
    Up to ``slots`` named categories share one prepared statement (an unused slot reads no
    row: its limit is 0), so it is prepared once, not once per number of categories."""
    if not categories:
        return {}
    cats = list(dict.fromkeys(categories))
    named = [cat for cat in cats if cat is not None]
    if len(named) > slots:
        slots = len(named)
    has_none = None in cats

    def build():
        c = ComplaintRow
        parts = []
        for i in range(slots + has_none):
            part = select(c.__table__).where(c.customer_id == bindparam("cid"))
            part = part.where(
                c.category.is_(None) if i == slots else c.category == bindparam(f"cat{i}")
            )
            part = part.order_by(c.opened_at.desc(), c.complaint_id.desc())
            parts.append(select(part.limit(bindparam(f"limit{i}")).subquery()))
        return parts[0] if len(parts) == 1 else union_all(*parts)

    params: dict[str, Any] = {"cid": customer_id, f"limit{slots}": limit}
    for i in range(slots):
        used = i < len(named)
        params[f"cat{i}"] = named[i] if used else ""
        params[f"limit{i}"] = limit if used else 0
    found: dict[str | None, list[Complaint]] = {cat: [] for cat in cats}
    for row in _run(session, _shape(("newest_by_category", slots, has_none), build), params):
        complaint = complaint_from_row(row)
        found[complaint.category].append(complaint)
    for members in found.values():
        members.sort(key=lambda x: (x.opened_at, x.complaint_id), reverse=True)
    return found


def customer_complaints_by_ids(
    session: Session, customer_id: str, complaint_ids: Iterable[str]
) -> list[Complaint]:
    """Those of the given complaints that belong to this customer, newest first."""
    wanted = sorted({str(c) for c in complaint_ids})
    found: list[Complaint] = []
    for part in _slices(wanted):
        # By primary key alone (a planner may prefer the customer index and read them all).
        stmt = _shape(
            ("complaints_by_id",),
            lambda: select(ComplaintRow.__table__).where(
                ComplaintRow.complaint_id.in_(bindparam("ids", expanding=True))
            ),
        )
        found.extend(
            c
            for r in _run(session, stmt, {"ids": list(part)})
            if (c := complaint_from_row(r)).customer_id == customer_id
        )
    found.sort(key=lambda c: (c.opened_at, c.complaint_id), reverse=True)
    return found


@dataclass(frozen=True)
class CategoryCount:
    category: str | None  # None: complaints without a category
    total: int
    open: int


@dataclass(frozen=True)
class ComplaintDigest:
    """A customer's complaint counts, by category, from one aggregate query: what a brief
    states about complaints without reading every complaint of a customer that has thousands."""

    total: int
    open: int
    categories: tuple[CategoryCount, ...]  # most complaints first, then by name
    newest_at: datetime | None


def a_customer_with_more_complaints_than(session: Session, n: int) -> str | None:
    """Some customer having more than ``n`` complaints, or None (stops at the first found)."""
    stmt = (
        select(ComplaintRow.customer_id)
        .group_by(ComplaintRow.customer_id)
        .having(func.count() > n)
        .limit(1)
    )
    return _run(session, stmt).scalar()


def complaint_digest(session: Session, customer_id: str) -> ComplaintDigest:
    """Counts by category from ``ix_complaints_customer_category`` alone."""

    def build():
        is_open = ComplaintRow.status.in_(list(OPEN_STATUSES))
        return (
            select(
                ComplaintRow.category,
                func.count(),
                func.sum(case((is_open, 1), else_=0)),
                func.max(ComplaintRow.opened_at),
            )
            .where(ComplaintRow.customer_id == bindparam("cid"))
            .group_by(ComplaintRow.category)
        )

    cats, newest = [], None
    rows = _run(session, _shape(("digest",), build), {"cid": customer_id})
    for category, total, n_open, latest in rows:
        cats.append(CategoryCount(category, int(total), int(n_open or 0)))
        latest = utc(latest)
        if latest is not None and (newest is None or latest > newest):
            newest = latest
    cats.sort(key=lambda c: (-c.total, c.category or ""))
    return ComplaintDigest(
        total=sum(c.total for c in cats),
        open=sum(c.open for c in cats),
        categories=tuple(cats),
        newest_at=newest,
    )
