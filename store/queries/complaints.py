"""Read side of the store: everything a brief or the resolver needs, one customer at a time.

Every query here is index-backed (primary keys, ``ix_moments_customer_time``,
``ix_complaints_customer_time``, ``ix_chunks_customer_id``), so its cost depends on the size of
one customer's history, never on the size of the store. The one exception is
``customer_name_rows``, which reads the narrow name columns of every customer to build the
in-memory name index (once, then only on change). Functions take the session first and use
``select()``; callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from c360.domain import OPEN_STATUSES, Complaint, Customer, Moment, split_record_id, utc
from store.models import ChunkRow, ComplaintRow, ComplaintValueRow, CustomerRow, MomentRow

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
    )


# --- customers ------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerNameRow:
    """The few columns the name index needs (no attributes, no text)."""

    customer_id: str
    name: str
    aliases: tuple[str, ...]
    emails: tuple[str, ...]
    domain: str | None


def get_customer(session: Session, customer_id: str) -> Customer | None:
    stmt = _shape(
        ("customer",),
        lambda: select(CustomerRow.__table__).where(CustomerRow.customer_id == bindparam("cid")),
    )
    row = _run(session, stmt, {"cid": customer_id}).first()
    return customer_from_row(row) if row is not None else None


def get_customers(session: Session, customer_ids: Iterable[str]) -> dict[str, Customer]:
    wanted = sorted(set(customer_ids))
    found: dict[str, Customer] = {}
    for part in _slices(wanted):
        for row in session.scalars(select(CustomerRow).where(CustomerRow.customer_id.in_(part))):
            found[row.customer_id] = customer_from_row(row)
    return found


def customer_name_rows(
    session: Session, customer_ids: Iterable[str] | None = None
) -> list[CustomerNameRow]:
    """Ids, names, aliases, emails and domain of all customers (or of the given ids)."""
    stmt = select(
        CustomerRow.customer_id,
        CustomerRow.name,
        CustomerRow.aliases,
        CustomerRow.emails,
        CustomerRow.domain,
    )
    rows = []
    if customer_ids is None:
        batches = [_run(session, stmt)]
    else:
        wanted = sorted(set(customer_ids))
        batches = [
            _run(session, stmt.where(CustomerRow.customer_id.in_(p))) for p in _slices(wanted)
        ]
    for result in batches:
        for cid, name, aliases, emails, domain in result:
            rows.append(
                CustomerNameRow(cid, name, tuple(aliases or ()), tuple(emails or ()), domain)
            )
    return rows


def customers_fingerprint(session: Session) -> tuple[int, str]:
    """A cheap 'did customers change?' check: count and newest update time."""
    count, newest = session.execute(select(func.count(), func.max(CustomerRow.updated_at))).one()
    return int(count or 0), str(newest or "")


# --- moments --------------------------------------------------------------------------


def get_moment(session: Session, moment_id: str) -> Moment | None:
    row = session.get(MomentRow, moment_id)
    return moment_from_row(row) if row is not None else None


def recent_moments(
    session: Session,
    customer_id: str,
    limit: int = 5,
    origins: Sequence[str] = EVIDENCE_ORIGINS,
    since: datetime | None = None,
    channels: Sequence[str] | None = None,
    until: datetime | None = None,
    direction: str | None = None,
) -> list[Moment]:
    """A customer's moments, newest first, optionally only those in [since, until), on some
    channels, in one direction (uses ix_moments_customer_time)."""

    # Plain rows, not ORM objects: a large customer has thousands, and building an ORM
    # instance per row cost more than the query (bench: eval's bureau questions).
    def build():
        stmt = select(MomentRow.__table__).where(
            MomentRow.customer_id == bindparam("cid"),
            MomentRow.origin.in_(bindparam("origins", expanding=True)),
        )
        if since is not None:
            stmt = stmt.where(MomentRow.occurred_at >= _at("since"))
        if until is not None:
            stmt = stmt.where(MomentRow.occurred_at < _at("until"))
        if channels:
            stmt = stmt.where(MomentRow.channel.in_(bindparam("channels", expanding=True)))
        if direction is not None:
            stmt = stmt.where(MomentRow.direction == bindparam("direction"))
        stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
        return stmt.limit(bindparam("limit")) if limit else stmt

    key = (
        "recent_moments",
        since is not None,
        until is not None,
        bool(channels),
        direction is not None,
        bool(limit),
    )
    params = {
        "cid": customer_id,
        "origins": list(origins),
        "since": since,
        "until": until,
        "channels": list(channels or ()),
        "direction": direction,
        "limit": limit,
    }
    return [moment_from_row(r) for r in _run(session, _shape(key, build), params).all()]


def linked_moments(
    session: Session,
    customer_id: str,
    complaint_ids: Sequence[str],
    origins: Sequence[str] = EVIDENCE_ORIGINS,
) -> list[Moment]:
    """A customer's moments linked to some of its complaints (``meta.complaint_id``, such as a
    company's response to a complaint), newest first, by ``ix_moments_complaint_id``: a large
    customer has thousands of moments and only a few are linked to the complaints named."""
    if not complaint_ids:
        return []

    # By ix_moments_complaint_id alone; the customer and origin are checked on the few rows
    # found (a planner may prefer the customer's time index and read all its moments).
    stmt = _shape(
        ("linked",),
        lambda: select(MomentRow.__table__).where(
            MomentRow.complaint_id.in_(bindparam("ids", expanding=True))
        ),
    )
    wanted = set(origins)
    found = [
        m
        for r in _run(session, stmt, {"ids": sorted({str(c) for c in complaint_ids})})
        if (m := moment_from_row(r)).customer_id == customer_id and m.origin in wanted
    ]
    found.sort(key=lambda m: (m.occurred_at, m.moment_id), reverse=True)
    return found


def exchange_moments(
    session: Session, customer_id: str | None = None, asker_id: str | None = None, limit: int = 10
) -> list[Moment]:
    """Logged question/answer exchanges, newest first, for a customer and/or an asker."""
    stmt = select(MomentRow.__table__).where(MomentRow.origin == "exchange")
    if customer_id is not None:
        stmt = stmt.where(MomentRow.customer_id == customer_id)
    stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
    if asker_id is None:
        if customer_id is not None:  # the brief's "recent questions": a prepared shape
            stmt = _shape(
                ("exchanges",),
                lambda: (
                    select(MomentRow.__table__)
                    .where(
                        MomentRow.customer_id == bindparam("cid"), MomentRow.origin == "exchange"
                    )
                    .order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
                    .limit(bindparam("limit"))
                ),
            )
            rows = _run(session, stmt, {"cid": customer_id, "limit": limit})
            return [moment_from_row(r) for r in rows]
        return [moment_from_row(r) for r in _run(session, stmt.limit(limit))]
    # The asker lives in meta (JSON, not portable to filter on): page through newest first.
    found: list[Moment] = []
    page, offset = max(limit * 4, 50), 0
    while len(found) < limit:
        rows = list(_run(session, stmt.offset(offset).limit(page)))
        for row in rows:
            if (row.meta or {}).get("asker_id") == asker_id:
                found.append(moment_from_row(row))
                if len(found) == limit:
                    break
        if len(rows) < page:
            break
        offset += page
    return found


def count_moments(
    session: Session, customer_id: str, origins: Sequence[str] = EVIDENCE_ORIGINS
) -> dict[str, int]:
    """Moments per channel for one customer."""
    stmt = (
        select(MomentRow.channel, func.count())
        .where(MomentRow.customer_id == customer_id, MomentRow.origin.in_(list(origins)))
        .group_by(MomentRow.channel)
    )
    return {channel: int(n) for channel, n in _run(session, stmt)}


# --- complaints ----------------------------------------------------------------------


def get_complaint(session: Session, complaint_id: str) -> Complaint | None:
    row = session.get(ComplaintRow, complaint_id)
    return complaint_from_row(row) if row is not None else None


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
    session: Session, customer_id: str, days: Sequence[datetime], complaint_ids: Sequence[str]
) -> dict[str, Any]:
    """A customer's complaints opened on one of ``days`` (UTC) or having one of the ids:
    complaint id -> time key of when it was opened (as ``value_hits``, see ``stored_time``)."""
    conditions = [
        and_(ComplaintRow.opened_at >= start, ComplaintRow.opened_at < start + _DAY)
        for start in (datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days)
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


# --- chunks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkVector:
    chunk_id: str
    record_id: str
    customer_id: str
    kind: str
    origin: str
    text: str
    occurred_at: datetime | None
    embedding: bytes | None


def customer_chunks(
    session: Session, customer_id: str, origins: Sequence[str] = EVIDENCE_ORIGINS
) -> list[ChunkVector]:
    """One customer's chunks with their stored vectors (uses ix_chunks_customer_id): the whole
    candidate set of a customer-scoped search, without touching Chroma."""
    stmt = select(
        ChunkRow.chunk_id,
        ChunkRow.record_id,
        ChunkRow.customer_id,
        ChunkRow.kind,
        ChunkRow.origin,
        ChunkRow.text,
        ChunkRow.occurred_at,
        ChunkRow.embedding,
    ).where(ChunkRow.customer_id == customer_id, ChunkRow.origin.in_(list(origins)))
    return [
        ChunkVector(cid, rid, cust, kind, origin, text, utc(at), blob)
        for cid, rid, cust, kind, origin, text, at, blob in _run(session, stmt)
    ]


# --- any record by id --------------------------------------------------------------------


def records_by_ids(
    session: Session, record_ids: Iterable[str]
) -> dict[str, Customer | Moment | Complaint]:
    """Domain records for ``<kind>:<id>`` strings; unknown ids are simply absent."""
    by_kind: dict[str, list[str]] = {}
    for rid in set(record_ids):
        kind, source_id = split_record_id(rid)
        by_kind.setdefault(kind, []).append(source_id)
    found: dict[str, Customer | Moment | Complaint] = {}
    for kind, ids in by_kind.items():
        if kind == "customer":
            for cust in get_customers(session, ids).values():
                found[cust.record_id] = cust
        elif kind == "moment":
            for part in _slices(sorted(ids)):
                for row in session.scalars(select(MomentRow).where(MomentRow.moment_id.in_(part))):
                    m = moment_from_row(row)
                    found[m.record_id] = m
        elif kind == "complaint":
            for part in _slices(sorted(ids)):
                for row in session.scalars(
                    select(ComplaintRow).where(ComplaintRow.complaint_id.in_(part))
                ):
                    c = complaint_from_row(row)
                    found[c.record_id] = c
    return found
