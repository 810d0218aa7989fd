"""Chunk reads (a customer's chunks with their stored vectors) and any record by id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from c360.domain import Complaint, Customer, Moment, split_record_id, utc
from store.models import ChunkRow, ComplaintRow, CustomerRow, MomentRow
from store.queries.base import EVIDENCE_ORIGINS, _run, _slices, complaint_from_row, moment_from_row
from store.queries.customers import get_customers

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


def record_owners(session: Session, record_ids: Iterable[str]) -> dict[str, str]:
    """``<kind>:<id>`` -> the customer that owns the record (a customer owns itself), for
    the ids that exist; unknown ids and kinds are simply absent. Reads ids and owners only."""
    tables = {
        "customer": (CustomerRow.customer_id, CustomerRow.customer_id),
        "moment": (MomentRow.moment_id, MomentRow.customer_id),
        "complaint": (ComplaintRow.complaint_id, ComplaintRow.customer_id),
    }
    by_kind: dict[str, set[str]] = {}
    for rid in set(record_ids):
        kind, source_id = split_record_id(rid)
        by_kind.setdefault(kind, set()).add(source_id)
    owners: dict[str, str] = {}
    for kind, ids in by_kind.items():
        if kind not in tables:
            continue
        id_col, owner_col = tables[kind]
        for part in _slices(sorted(ids)):
            for source_id, owner in _run(
                session, select(id_col, owner_col).where(id_col.in_(part))
            ):
                owners[f"{kind}:{source_id}"] = owner
    return owners
