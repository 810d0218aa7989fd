"""Write side of the store: bulk upserts of records and chunks, cursors, ingest runs.

Every lookup takes a whole batch of ids (``IN (...)``, split in slices the drivers accept),
so ingest stays linear at a million records: no per-row SELECT. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from c360.domain import Complaint, Customer, Moment, Record, complaint_field_values
from store.models import (
    ChunkRow,
    ComplaintRow,
    ComplaintValueRow,
    CustomerRow,
    IngestRunRow,
    MomentRow,
    SyncCursorRow,
)

# SQLite's default limit on bound parameters is 32766 (older builds 999); stay well below.
IN_SLICE = 900

ROW_CLASS = {"customer": CustomerRow, "moment": MomentRow, "complaint": ComplaintRow}
ID_COLUMN = {"customer": "customer_id", "moment": "moment_id", "complaint": "complaint_id"}


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC, so say so."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _slices(items: Sequence[Any], size: int = IN_SLICE) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_hashes(session: Session, kind: str, ids: Sequence[str]) -> dict[str, str]:
    """Stored content hash per source id, for the ids that exist."""
    row_class = ROW_CLASS[kind]
    id_col = getattr(row_class, ID_COLUMN[kind])
    found: dict[str, str] = {}
    for part in _slices(list(ids)):
        for rid, digest in session.execute(
            select(id_col, row_class.content_hash).where(id_col.in_(part))
        ):
            found[rid] = digest
    return found


def existing_customer_ids(session: Session, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    found: set[str] = set()
    for part in _slices(wanted):
        found.update(
            session.scalars(
                select(CustomerRow.customer_id).where(CustomerRow.customer_id.in_(part))
            )
        )
    return found


def _row_values(record: Record, source: str, now: datetime) -> dict[str, Any]:
    values = asdict(record)
    values.pop("kind", None)
    if isinstance(record, Moment):  # the complaint it is about, as a column (see MomentRow)
        linked = (record.meta or {}).get("complaint_id")
        values["complaint_id"] = str(linked) if linked not in (None, "") else None
    values["source"] = source
    values["content_hash"] = record.hash()
    values["updated_at"] = now
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = utc(value)
    return values


def upsert_records(
    session: Session,
    kind: str,
    inserts: Sequence[tuple[Record, str]],
    updates: Sequence[tuple[Record, str]],
    now: datetime,
) -> None:
    """Insert new records and overwrite changed ones (by primary key), in bulk.
    ``inserts``/``updates`` hold ``(record, source)`` pairs of one kind."""
    row_class = ROW_CLASS[kind]
    if inserts:
        rows = []
        for record, source in inserts:
            values = _row_values(record, source, now)
            values["ingested_at"] = now
            rows.append(values)
        session.execute(insert(row_class), rows)
    if updates:
        session.execute(update(row_class), [_row_values(r, s, now) for r, s in updates])
    if kind == "complaint":
        _write_complaint_values(
            session,
            [r for r, _ in inserts],
            [r for r, _ in updates],  # type: ignore[misc]
        )


def _write_complaint_values(
    session: Session, inserted: Sequence[Complaint], updated: Sequence[Complaint]
) -> None:
    """Keep ``complaint_values`` (the field-value index) equal to the complaints' fields."""
    for part in _slices([c.complaint_id for c in updated]):
        session.execute(delete(ComplaintValueRow).where(ComplaintValueRow.complaint_id.in_(part)))
    rows = [
        {
            "complaint_id": c.complaint_id,
            "field": name,
            "customer_id": c.customer_id,
            "value": value,
            "opened_at": utc(c.opened_at),
        }
        for c in (*inserted, *updated)
        for name, value in complaint_field_values(c.category, c.attributes)
    ]
    if rows:
        session.execute(insert(ComplaintValueRow), rows)


def chunk_hashes_for_records(
    session: Session, record_ids: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """``record_id -> [(chunk_id, text_hash)]`` for the stored chunks of these records."""
    found: dict[str, list[tuple[str, str]]] = {}
    for part in _slices(list(record_ids)):
        stmt = select(ChunkRow.record_id, ChunkRow.chunk_id, ChunkRow.text_hash).where(
            ChunkRow.record_id.in_(part)
        )
        for rid, cid, digest in session.execute(stmt):
            found.setdefault(rid, []).append((cid, digest))
    return found


def embeddings_by_text_hash(session: Session, hashes: Iterable[str]) -> dict[str, bytes]:
    """A stored vector for each text hash that has one (the same text is never embedded twice)."""
    wanted = list(set(hashes))
    found: dict[str, bytes] = {}
    for part in _slices(wanted):
        stmt = select(ChunkRow.text_hash, ChunkRow.embedding).where(
            ChunkRow.text_hash.in_(part), ChunkRow.embedding.is_not(None)
        )
        for digest, blob in session.execute(stmt):
            found.setdefault(digest, blob)
    return found


def replace_chunks(
    session: Session, record_ids: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Drop these records' stored chunks and write ``rows`` (ChunkRow column dicts) instead."""
    for part in _slices(list(record_ids)):
        session.execute(delete(ChunkRow).where(ChunkRow.record_id.in_(part)))
    if rows:
        session.execute(
            insert(ChunkRow), [{**row, "occurred_at": utc(row.get("occurred_at"))} for row in rows]
        )


def mark_indexed(session: Session, chunk_ids: Sequence[str]) -> None:
    for part in _slices(list(chunk_ids)):
        session.execute(update(ChunkRow).where(ChunkRow.chunk_id.in_(part)).values(indexed=True))


def unindexed_chunks(session: Session, limit: int = 5000, after: str = "") -> list[ChunkRow]:
    """Chunks written to the store but not (yet) in the vector index, in chunk id order from
    ``after``: a crash between the commit and the Chroma upsert leaves these behind, and so does
    every run for the moment between its commit and its upsert (see ``in_progress_runs``)."""
    stmt = (
        select(ChunkRow)
        .where(ChunkRow.indexed == False, ChunkRow.embedding.is_not(None))  # noqa: E712 (uses the index)
        .where(ChunkRow.chunk_id > after)
        .order_by(ChunkRow.chunk_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def in_progress_runs(session: Session, other_than: int) -> int:
    """How many ingest runs other than ``other_than`` have started and not finished (a crashed
    run stays unfinished for ever, so callers treat this as "maybe someone is writing")."""
    stmt = (
        select(func.count())
        .select_from(IngestRunRow)
        .where(IngestRunRow.finished_at.is_(None), IngestRunRow.id != other_than)
    )
    return session.scalar(stmt) or 0


def written_at(session: Session, record_ids: Iterable[str]) -> dict[str, datetime]:
    """When each of these records was last written (``updated_at``), by record id."""
    by_kind: dict[str, list[str]] = {}
    for rid in set(record_ids):
        kind, _, source_id = rid.partition(":")
        if kind in ROW_CLASS:
            by_kind.setdefault(kind, []).append(source_id)
    found: dict[str, datetime] = {}
    for kind, ids in by_kind.items():
        row_class = ROW_CLASS[kind]
        id_col = getattr(row_class, ID_COLUMN[kind])
        for part in _slices(ids):
            for source_id, when in session.execute(
                select(id_col, row_class.updated_at).where(id_col.in_(part))
            ):
                found[f"{kind}:{source_id}"] = utc(when)
    return found


def get_cursor(session: Session, source_key: str) -> str | None:
    row = session.get(SyncCursorRow, source_key)
    return row.cursor_value if row else None


def set_cursor(session: Session, source_key: str, value: str | None, now: datetime) -> None:
    row = session.get(SyncCursorRow, source_key)
    if row is None:
        session.add(SyncCursorRow(source_key=source_key, cursor_value=value, updated_at=now))
    else:
        row.cursor_value = value
        row.updated_at = now


def start_run(session: Session, sources: list[str], now: datetime) -> int:
    run = IngestRunRow(started_at=now, sources=sources, summary={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, summary: dict[str, Any], now: datetime) -> None:
    run = session.get(IngestRunRow, run_id)
    if run is not None:
        run.finished_at = now
        run.summary = summary


def record_class(kind: str) -> type[Customer] | type[Moment] | type[Complaint]:
    return {"customer": Customer, "moment": Moment, "complaint": Complaint}[kind]
