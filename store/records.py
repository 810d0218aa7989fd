"""Write side of the store: bulk upserts of records and chunks, cursors, ingest runs.

Every lookup takes a whole batch of ids (``IN (...)``, split in slices the drivers accept),
so ingest stays linear at a million records: no per-row SELECT. Callers own the transaction.

Inserts are upserts (``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL): two ingests
that both saw an id as new both finish, the later write wins. Rows are written in primary-key
order, so two PostgreSQL transactions over overlapping ids lock them in the same order and
cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from c360.domain import (  # utc: re-exported, callers read it as records.utc
    Complaint,
    Customer,
    Moment,
    Record,
    complaint_field_values,
    utc,
)
from store.models import (
    ChunkRow,
    ComplaintRow,
    ComplaintValueRow,
    CustomerRow,
    IndexTombstoneRow,
    IngestRunRow,
    MomentRow,
    SyncCursorRow,
)

# SQLite's default limit on bound parameters is 32766 (older builds 999); stay well below.
IN_SLICE = 900

ROW_CLASS = {"customer": CustomerRow, "moment": MomentRow, "complaint": ComplaintRow}
ID_COLUMN = {"customer": "customer_id", "moment": "moment_id", "complaint": "complaint_id"}


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


def _upsert(session: Session, row_class, rows: list[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` (same keys each), overwriting the row with the same ``keys`` if one
    exists, except its ``ingested_at`` (when it was first seen)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # other databases: plain inserts (concurrent ingests of one id may then conflict)
        session.execute(insert(row_class), rows)
        return
    stmt = dialect_insert(row_class)
    changing = [k for k in rows[0] if k not in keys and k != "ingested_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={k: getattr(stmt.excluded, k) for k in changing}
    )
    session.execute(stmt, rows)


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
    id_column = ID_COLUMN[kind]
    if inserts:
        rows = []
        for record, source in inserts:
            values = _row_values(record, source, now)
            values["ingested_at"] = now
            rows.append(values)
        _upsert(session, row_class, rows, [id_column])
    if updates:
        rows = sorted((_row_values(r, s, now) for r, s in updates), key=lambda v: v[id_column])
        session.execute(update(row_class), rows)
    if kind == "complaint":
        _write_complaint_values(
            session,
            [r for r, _ in inserts],
            [r for r, _ in updates],  # type: ignore[misc]
        )


def _write_complaint_values(
    session: Session, inserted: Sequence[Complaint], updated: Sequence[Complaint]
) -> None:
    """Keep ``complaint_values`` (the field-value index) equal to the complaints' fields.
    Inserted ones too: another ingest may have written the same complaint meanwhile."""
    for part in _slices(sorted(c.complaint_id for c in (*inserted, *updated))):
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
    _upsert(session, ComplaintValueRow, rows, ["complaint_id", "field"])


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
    session: Session,
    record_ids: Sequence[str],
    rows: Sequence[dict[str, Any]],
    run_id: int | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Drop these records' stored chunks and write ``rows`` (ChunkRow column dicts) instead.

    Chunk ids that existed and are not in ``rows`` (the record shrank or moved) get a tombstone
    in the same transaction; ids written again lose theirs. Returns the tombstoned ids, which
    the caller deletes from the vector index after the commit (then ``drop_tombstones``)."""
    new_ids = {row["chunk_id"] for row in rows}
    removed: list[str] = []
    for part in _slices(sorted(record_ids)):
        removed.extend(
            session.scalars(
                select(ChunkRow.chunk_id).where(ChunkRow.record_id.in_(part)).with_for_update()
            )
        )
        session.execute(delete(ChunkRow).where(ChunkRow.record_id.in_(part)))
    gone = sorted(set(removed) - new_ids)
    for part in _slices(sorted(new_ids)):
        session.execute(delete(IndexTombstoneRow).where(IndexTombstoneRow.chunk_id.in_(part)))
    _upsert(
        session,
        IndexTombstoneRow,
        [
            {"chunk_id": cid, "run_id": run_id, "created_at": now or datetime.now(UTC)}
            for cid in gone
        ],
        ["chunk_id"],
    )
    _upsert(
        session,
        ChunkRow,
        [{**row, "run_id": run_id, "occurred_at": utc(row.get("occurred_at"))} for row in rows],
        ["chunk_id"],
    )
    return gone


def tombstones(session: Session, limit: int = 5000, after: str = "") -> list[IndexTombstoneRow]:
    """Chunk ids waiting to leave the vector index, in id order from ``after``."""
    stmt = (
        select(IndexTombstoneRow)
        .where(IndexTombstoneRow.chunk_id > after)
        .order_by(IndexTombstoneRow.chunk_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def drop_tombstones(session: Session, chunk_ids: Sequence[str]) -> None:
    for part in _slices(sorted(chunk_ids)):
        session.execute(delete(IndexTombstoneRow).where(IndexTombstoneRow.chunk_id.in_(part)))


def rewritten_chunk_ids(
    session: Session, chunk_ids: Sequence[str], run_id: int | None
) -> list[str]:
    """Those of ``chunk_ids`` now stored as written by a run other than ``run_id``."""
    other = ChunkRow.run_id.is_not(None) if run_id is None else ChunkRow.run_id != run_id
    if run_id is not None:
        other = other | ChunkRow.run_id.is_(None)
    found: list[str] = []
    for part in _slices(sorted(chunk_ids)):
        found.extend(
            session.scalars(select(ChunkRow.chunk_id).where(ChunkRow.chunk_id.in_(part), other))
        )
    return found


def chunks_by_id(session: Session, chunk_ids: Iterable[str]) -> list[ChunkRow]:
    found: list[ChunkRow] = []
    for part in _slices(sorted(set(chunk_ids))):
        found.extend(session.scalars(select(ChunkRow).where(ChunkRow.chunk_id.in_(part))))
    return found


def mark_indexed(session: Session, chunk_ids: Sequence[str], run_id: int | None = None) -> None:
    """Mark chunks indexed, only as written by run ``run_id`` (None: as written by no recorded
    run): a chunk another run rewrote meanwhile is that run's to index."""
    owner = ChunkRow.run_id.is_(None) if run_id is None else ChunkRow.run_id == run_id
    for part in _slices(sorted(chunk_ids)):
        session.execute(
            update(ChunkRow).where(ChunkRow.chunk_id.in_(part), owner).values(indexed=True)
        )


def unindexed_chunks(session: Session, limit: int = 5000, after: str = "") -> list[ChunkRow]:
    """Chunks written to the store but not (yet) in the vector index, in chunk id order from
    ``after``: a crash between the commit and the Chroma upsert leaves these behind, and so does
    every run for the moment between its commit and its upsert (``ChunkRow.run_id`` tells
    which run; see ``running_runs``)."""
    stmt = (
        select(ChunkRow)
        .where(ChunkRow.indexed == False, ChunkRow.embedding.is_not(None))  # noqa: E712 (uses the index)
        .where(ChunkRow.chunk_id > after)
        .order_by(ChunkRow.chunk_id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


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


def start_run(
    session: Session,
    sources: list[str],
    now: datetime,
    pid: int | None = None,
    host: str | None = None,
) -> int:
    run = IngestRunRow(
        started_at=now,
        sources=sources,
        summary={},
        status="running",
        pid=pid,
        host=host,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run.id


def heartbeat(session: Session, run_id: int, now: datetime) -> None:
    session.execute(
        update(IngestRunRow)
        .where(IngestRunRow.id == run_id, IngestRunRow.status == "running")
        .values(heartbeat_at=now)
    )


def finish_run(
    session: Session,
    run_id: int,
    summary: dict[str, Any],
    now: datetime,
    status: str = "completed",
    failure: str | None = None,
) -> None:
    run = session.get(IngestRunRow, run_id)
    if run is not None:
        run.finished_at = now
        run.summary = summary
        run.status = status
        run.failure = failure


def running_runs(session: Session) -> list[IngestRunRow]:
    """Runs recorded as running: alive, or dead without having said so (killed)."""
    return list(session.scalars(select(IngestRunRow).where(IngestRunRow.status == "running")))


def abandon_runs(session: Session, run_ids: Sequence[int], now: datetime, reason: str) -> None:
    """Close runs whose process died: their committed work stays, their indexing was redone."""
    for part in _slices(sorted(run_ids)):
        session.execute(
            update(IngestRunRow)
            .where(IngestRunRow.id.in_(part), IngestRunRow.status == "running")
            .values(status="abandoned", finished_at=now, failure=reason)
        )


def record_class(kind: str) -> type[Customer] | type[Moment] | type[Complaint]:
    return {"customer": Customer, "moment": Moment, "complaint": Complaint}[kind]
