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
from datetime import UTC, datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from c360.domain import OPEN_STATUSES, Complaint, Customer, Moment, split_record_id
from store.models import ChunkRow, ComplaintRow, CustomerRow, MomentRow

# Origins that are evidence for facts about a customer; "exchange" is history only.
EVIDENCE_ORIGINS = ("data", "logged")
IN_SLICE = 900  # bound parameters per IN (...), well under every driver's limit


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything stored is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
        created_at=_utc(row.created_at),
        attributes=dict(row.attributes or {}),
    )


def moment_from_row(row: MomentRow) -> Moment:
    return Moment(
        moment_id=row.moment_id,
        customer_id=row.customer_id,
        occurred_at=_utc(row.occurred_at),
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
        opened_at=_utc(row.opened_at),
        text=row.text,
        category=row.category,
        status=row.status,
        resolved_at=_utc(row.resolved_at),
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
    row = session.get(CustomerRow, customer_id)
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
        batches = [session.execute(stmt)]
    else:
        wanted = sorted(set(customer_ids))
        batches = [
            session.execute(stmt.where(CustomerRow.customer_id.in_(p))) for p in _slices(wanted)
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
) -> list[Moment]:
    """A customer's moments, newest first (uses ix_moments_customer_time)."""
    # Plain rows, not ORM objects: a large customer has thousands, and building an ORM
    # instance per row cost more than the query (bench: eval's bureau questions).
    stmt = select(MomentRow.__table__).where(
        MomentRow.customer_id == customer_id, MomentRow.origin.in_(list(origins))
    )
    if since is not None:
        stmt = stmt.where(MomentRow.occurred_at >= since)
    if channels:
        stmt = stmt.where(MomentRow.channel.in_(list(channels)))
    stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return [moment_from_row(r) for r in session.execute(stmt)]


def linked_moments(
    session: Session,
    customer_id: str,
    complaint_ids: Sequence[str],
    origins: Sequence[str] = EVIDENCE_ORIGINS,
) -> list[Moment]:
    """A customer's moments linked to some of its complaints (``meta.complaint_id``, such as a
    company's response to a complaint), newest first. Filters in the database: a large customer
    has thousands of moments and only a few are linked to the complaints a question names."""
    if not complaint_ids:
        return []
    linked = cast(MomentRow.meta["complaint_id"].as_string(), String)
    stmt = (
        select(MomentRow.__table__)
        .where(
            MomentRow.customer_id == customer_id,
            MomentRow.origin.in_(list(origins)),
            linked.in_([str(c) for c in complaint_ids]),
        )
        .order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
    )
    return [moment_from_row(r) for r in session.execute(stmt)]


def exchange_moments(
    session: Session, customer_id: str | None = None, asker_id: str | None = None, limit: int = 10
) -> list[Moment]:
    """Logged question/answer exchanges, newest first, for a customer and/or an asker."""
    stmt = select(MomentRow).where(MomentRow.origin == "exchange")
    if customer_id is not None:
        stmt = stmt.where(MomentRow.customer_id == customer_id)
    stmt = stmt.order_by(MomentRow.occurred_at.desc(), MomentRow.moment_id.desc())
    if asker_id is None:
        return [moment_from_row(r) for r in session.scalars(stmt.limit(limit))]
    # The asker lives in meta (JSON, not portable to filter on): page through newest first.
    found: list[Moment] = []
    page, offset = max(limit * 4, 50), 0
    while len(found) < limit:
        rows = list(session.scalars(stmt.offset(offset).limit(page)))
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
    return {channel: int(n) for channel, n in session.execute(stmt)}


# --- complaints ----------------------------------------------------------------------


def get_complaint(session: Session, complaint_id: str) -> Complaint | None:
    row = session.get(ComplaintRow, complaint_id)
    return complaint_from_row(row) if row is not None else None


def customer_complaints(
    session: Session, customer_id: str, open_only: bool = False
) -> list[Complaint]:
    """A customer's complaints, newest first (uses ix_complaints_customer_time)."""
    stmt = select(ComplaintRow.__table__).where(ComplaintRow.customer_id == customer_id)
    if open_only:
        stmt = stmt.where(ComplaintRow.status.in_(list(OPEN_STATUSES)))
    stmt = stmt.order_by(ComplaintRow.opened_at.desc(), ComplaintRow.complaint_id.desc())
    return [complaint_from_row(r) for r in session.execute(stmt)]  # plain rows, as above


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
        ChunkVector(cid, rid, cust, kind, origin, text, _utc(at), blob)
        for cid, rid, cust, kind, origin, text, at, blob in session.execute(stmt)
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
