"""Ingest: raw rows or in-process records -> validated records -> store -> embeddings -> Chroma.

The pipeline works in batches. For each batch: validate (required fields, enums, known
customer, duplicate ids), compare content hashes with the store (one ``IN`` query per kind),
chunk the changed records, embed only texts whose hash has no stored vector, then write
records and chunk rows (``indexed=False``, tagged with the run) and tombstones for chunk ids
that went away (a record moved or shrank) in one transaction, upsert Chroma, delete the
tombstoned ids from Chroma, and mark the chunks indexed. Writing batch N overlaps with encoding
batch N+1 (one writer thread), because the model is the bottleneck and should never wait on
SQLite or Chroma.

Crashes. Every run is a row in ``ingest_runs`` (status, pid, host, heartbeat). A run starts by
repairing what dead runs left: their unindexed chunks go into Chroma and their tombstones out
of it, and the dead runs are recorded ``abandoned``. A run is dead when its process is gone
(same host: no such pid) or its heartbeat is older than ``HEARTBEAT_TIMEOUT`` (any host); a
live run's in-flight chunks are left to it. So after a SIGKILL at any point, the next ingest
(or ``c360 doctor --repair``) leaves the index equal to the store. A run that stops on an
error is recorded ``failed`` (or ``stopped`` when a source could not be read), never
``completed``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from c360.domain import KINDS, Chunk, Complaint, Customer, Moment, Record, RowError
from connectors.base import RawRow, SourceError
from connectors.canonical import RowProblem, parse_record, quoted, validate_record
from retrieval.chunking import chunk_record, record_origin, text_hash
from retrieval.embeddings import from_blob, to_blob
from store import records as store

log = logging.getLogger(__name__)

PLURAL = {"customer": "customers", "moment": "moments", "complaint": "complaints"}
# Records per pipeline batch (settings.ingest_batch, default 2000): large enough that the model
# sees big, length-sorted batches and the store sees few round trips; small enough that a crash
# loses little and memory stays flat.
# Recently embedded texts kept in memory so a text repeated within a run (a stock company
# response, say) is embedded once even before its batch is committed.
RECENT_VECTORS = 20000
# A running ingest stamps its run row this often (a background thread), so a run on another
# host whose stamp is older than HEARTBEAT_TIMEOUT is taken for dead. On the same host the pid
# answers at once.
HEARTBEAT_SECONDS = 15.0
HEARTBEAT_TIMEOUT = timedelta(minutes=2)
CRASH_POINTS = ("before_commit", "after_commit", "mid_index", "after_index")


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:  # no /proc (macOS): kill(0) is the answer
        return True


def run_is_alive(run, now: datetime, host: str | None = None) -> bool:
    """Whether a ``running`` ingest run (IngestRunRow) may still be writing: its heartbeat is
    recent and, when it ran on this host, its process still exists."""
    if run.status != "running":
        return False
    beat = store.utc(run.heartbeat_at or run.started_at)
    if beat is None or now - beat > HEARTBEAT_TIMEOUT:
        return False
    if run.pid is None:
        return False  # recorded before runs had pids (or by hand): nobody to wait for
    if run.host == (host or this_host()):
        return pid_alive(run.pid)
    return True


# Origins kept out of the global vector index (see IngestService._upsert_global).
GLOBAL_INDEX_EXCLUDES = frozenset({"exchange"})


@dataclass
class IngestSummary:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            k: {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in KINDS
        }
    )
    embedded: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_record_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0
    completed: bool = True
    failure: str | None = None  # why the run stopped early (a source could not be read)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            **{PLURAL[k]: dict(v) for k, v in self.counts.items()},
            "inserted": self.total("inserted"),
            "updated": self.total("updated"),
            "unchanged": self.total("unchanged"),
            "rejected": self.rejected,
            "embedded": self.embedded,
            "errors": [
                {"source": e.source, "line": e.line, "reason": e.reason, "text": str(e)}
                for e in errors
            ],
            "errors_omitted": len(self.errors) - len(errors),
            "new_record_ids": list(self.new_record_ids),
            "sources": list(self.sources),
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "failure": self.failure,
        }

    def merge(self, other: IngestSummary) -> None:
        """Fold another run's summary into this one (several sources in one command)."""
        for kind in KINDS:
            for outcome, n in other.counts[kind].items():
                self.counts[kind][outcome] += n
        self.embedded += other.embedded
        self.errors.extend(other.errors)
        self.new_record_ids.extend(other.new_record_ids)
        self.sources.extend(other.sources)
        self.seconds += other.seconds
        self.completed = self.completed and other.completed
        self.failure = "; ".join(f for f in (self.failure, other.failure) if f) or None

    def describe(self) -> str:
        """The human summary printed by ``c360 ingest``."""
        lines = []
        for kind in KINDS:
            c = self.counts[kind]
            if any(c.values()):
                lines.append(
                    f"{PLURAL[kind]:<10} inserted {c['inserted']}, updated {c['updated']}, "
                    f"unchanged {c['unchanged']}, rejected {c['rejected']}"
                )
        if not lines:
            lines.append("no records read")
        lines.append(f"embedded {self.embedded} texts in {self.seconds:.1f}s")
        if self.failure:
            lines.append(f"STOPPED: {self.failure}")
        elif self.errors:
            lines.append(
                f"completed with {self.rejected} rejected row(s) (listed above); every other row was "
                "ingested and no stored record was changed by a rejected row"
            )
        else:
            lines.append("completed: no rows rejected")
        return "\n".join(lines)


@dataclass
class _Item:
    record: Record
    source: str
    line: int
    dedupe: bool = False  # a customer derived from many rows (mapping): repeats are expected
    error_factory: Callable[[str], RowError] | None = None

    def error(self, reason: str) -> RowError:
        if self.error_factory:
            return self.error_factory(reason)
        return RowError(self.source, self.line, reason)


@dataclass
class _Prepared:
    """A validated, classified, embedded batch ready to be written."""

    upserts: dict[str, tuple[list[tuple[Record, str]], list[tuple[Record, str]]]]
    changed_ids: list[str]
    chunk_rows: list[dict[str, Any]]
    chunks: list[Chunk]
    vectors: np.ndarray
    origins: list[str]
    records: list[Record]


class _RunState:
    def __init__(self) -> None:
        # id -> where it was first seen, packed as (source number << 32 | line): a million ids
        # must not cost a million tuples.
        self.seen: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self.source_numbers: dict[str, int] = {}
        self.known_customers: set[str] = set()
        self.recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def mark_seen(self, kind: str, source_id: str, source: str, line: int) -> None:
        number = self.source_numbers.setdefault(source, len(self.source_numbers))
        self.seen[kind][source_id] = (number << 32) | line

    def first_seen(self, kind: str, source_id: str) -> str | None:
        packed = self.seen[kind].get(source_id)
        if packed is None:
            return None
        sources = {n: s for s, n in self.source_numbers.items()}
        return f"{sources[packed >> 32]}:{packed & 0xFFFFFFFF}"

    def remember(self, digest: str, vector: np.ndarray) -> None:
        self.recent[digest] = vector
        if len(self.recent) > RECENT_VECTORS:
            self.recent.popitem(last=False)


class IngestService:
    def __init__(self, sessions, embeddings, index, settings, clock) -> None:
        self.sessions = sessions
        self.embeddings = embeddings
        self.index = index
        self.settings = settings
        self.clock = clock
        self._listeners: list[Callable[[IngestSummary, list[Record]], None]] = []

    # --- public API -----------------------------------------------------------------
    def add_listener(self, fn: Callable[[IngestSummary, list[Record]], None]) -> None:
        """``fn(summary, records)`` runs after each committed batch with the inserted and
        updated records (ownership rules subscribe here)."""
        self._listeners.append(fn)

    def add_records(self, records: Iterable[Record], source: str) -> IngestSummary:
        """Ingest in-process records (logged moments, demo data). Naive datetimes are UTC."""

        def items() -> Iterator[list[_Item | RowError]]:
            batch: list[_Item | RowError] = []
            for n, record in enumerate(records, start=1):
                record = _utc_record(record)
                try:
                    validate_record(record)
                    batch.append(_Item(record, source, n))
                except RowProblem as exc:
                    batch.append((record.kind, RowError(source, n, str(exc))))
                if len(batch) >= self.settings.ingest_batch:
                    yield batch
                    batch = []
            if batch:
                yield batch

        return self._run(items(), [source])

    def ingest_paths(
        self,
        paths: Sequence[str | Path],
        kind: str | None = None,
        mapping: str | Path | None = None,
        progress: bool | None = None,
        encoding: str | None = None,
    ) -> IngestSummary:
        """Ingest files (CSV, JSONL, JSON array), read as UTF-8 unless ``encoding`` is given. Customers files go first so moments and
        complaints in the same run can refer to them. A missing file or unreadable mapping
        stops the run before anything is written (SourceError)."""
        from connectors.files import FileConnector, order_for_ingest
        from connectors.mapping import load_mapping

        loaded_mapping = load_mapping(mapping) if mapping else None
        connectors = [
            FileConnector(p, kind=kind, mapping=loaded_mapping, encoding=encoding) for p in paths
        ]
        connectors = order_for_ingest(connectors)
        return self._run_connectors(
            connectors, loaded_mapping, progress=progress, total=_size_hint(connectors)
        )

    def ingest_sql(
        self,
        url: str,
        query: str,
        kind: str | None,
        mapping: str | Path | None = None,
        cursor_column: str | None = None,
        source_key: str | None = None,
        progress: bool | None = None,
    ) -> IngestSummary:
        """Ingest the rows of a SQL query. With ``cursor_column`` the largest value seen is
        stored under ``source_key`` and the next run reads only newer rows."""
        from connectors.mapping import load_mapping
        from connectors.sql import SqlConnector

        loaded_mapping = load_mapping(mapping) if mapping else None
        connector = SqlConnector(
            url, query, kind=kind, cursor_column=cursor_column, name=source_key
        )
        with self.sessions() as session:
            cursor = store.get_cursor(session, connector.source_key) if cursor_column else None
        summary = self._run_connectors(
            [connector], loaded_mapping, progress=progress, cursor=cursor, total=None
        )
        if cursor_column and summary.completed and connector.max_cursor is not None:
            with self.sessions() as session, session.begin():
                store.set_cursor(
                    session, connector.source_key, connector.max_cursor, self.clock.now()
                )
        return summary

    def ingest_sources(
        self, source_file: str | Path, progress: bool | None = None
    ) -> IngestSummary:
        """Every source listed in a YAML source file (SQL queries and files), customers first.
        A source that cannot be read stops that source only; the summary says which."""
        from connectors.canonical import normalise_kind
        from connectors.sql import load_sources

        sources = load_sources(source_file)
        sources.sort(
            key=lambda s: 0 if s.get("kind") and normalise_kind(str(s["kind"])) == "customer" else 1
        )
        total = IngestSummary()
        for entry in sources:
            try:
                if entry.get("path"):
                    part = self.ingest_paths(
                        [entry["path"]],
                        kind=entry.get("kind"),
                        mapping=entry.get("mapping"),
                        progress=progress,
                        encoding=entry.get("encoding"),
                    )
                else:
                    part = self.ingest_sql(
                        entry["url"],
                        entry["query"],
                        kind=entry.get("kind"),
                        mapping=entry.get("mapping"),
                        cursor_column=entry.get("cursor_column"),
                        source_key=entry["name"],
                        progress=progress,
                    )
            except SourceError as exc:
                part = IngestSummary(
                    sources=[str(entry.get("name"))], completed=False, failure=str(exc)
                )
            total.merge(part)
        return total

    # --- connectors -> items --------------------------------------------------------------
    def _run_connectors(self, connectors, mapping, progress, total, cursor=None) -> IngestSummary:
        from connectors.mapping import apply_mapping

        bar = _progress_bar(progress, total)
        now = self.clock.now()

        def items() -> Iterator[list[_Item | tuple[str | None, RowError]]]:
            for connector in connectors:
                batches = (
                    connector.changes_since(cursor) if cursor is not None else connector.load_all()
                )
                for rows in batches:
                    batch: list[Any] = []
                    for raw in rows:
                        batch.extend(
                            _parse_raw(raw, connector.kind, mapping, apply_mapping, now=now)
                        )
                    if bar is not None:
                        bar.update(len(rows))
                    yield batch

        try:
            return self._run(items(), [c.name for c in connectors])
        finally:
            if bar is not None:
                bar.close()

    # --- the pipeline -------------------------------------------------------------------
    def _run(self, batches: Iterator[list[Any]], sources: list[str]) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary(sources=sources)
        with self.sessions() as session, session.begin():
            run_id = store.start_run(
                session, sources, self.clock.now(), pid=os.getpid(), host=this_host()
            )
        status = "failed"
        heartbeat = _Heartbeat(self, run_id)
        try:
            self.repair(run_id)
            state = _RunState()
            pending: tuple[Future, _Prepared] | None = None
            number = 0
            with ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="c360-ingest-writer"
            ) as writer:
                try:
                    for batch in _split(batches, self.settings.ingest_batch):
                        prepared = self._prepare(batch, state, summary)
                        if pending is not None:
                            self._finish(pending, summary)
                        number += 1
                        pending = (writer.submit(self._write, prepared, run_id, number), prepared)
                    if pending is not None:
                        self._finish(pending, summary)
                        pending = None
                    status = "completed"
                except SourceError as exc:
                    if pending is not None:
                        self._finish(pending, summary)
                    summary.completed = False
                    summary.failure = str(exc)
                    status = "stopped"
        except BaseException as exc:
            # Batches committed before the error stay (and are indexed, or repaired by the
            # next run); the run says it did not complete, and why, without record values.
            summary.completed = False
            summary.failure = _describe_failure(exc)
            raise
        finally:
            heartbeat.stop()
            summary.seconds = time.perf_counter() - started
            with self.sessions() as session, session.begin():
                store.finish_run(
                    session,
                    run_id,
                    summary.to_dict(max_errors=100) | {"new_record_ids": []},
                    self.clock.now(),
                    status=status,
                    failure=summary.failure,
                )
        return summary

    def _finish(self, pending: tuple[Future, _Prepared], summary: IngestSummary) -> None:
        future, prepared = pending
        future.result()
        if prepared.records:
            for fn in self._listeners:
                try:
                    fn(summary, prepared.records)
                except Exception as exc:  # a broken subscriber must not stop the ingest
                    # The type and the frames only: the message may quote a record's text.
                    log.error(
                        "ingest listener %r failed (%s); ingest continues\n%s",
                        fn,
                        type(exc).__name__,
                        "".join(traceback.format_tb(exc.__traceback__)),
                    )

    def _prepare(self, batch: list[Any], state: _RunState, summary: IngestSummary) -> _Prepared:
        # 1. split errors from records; customers first so the batch's own customers count.
        items: list[_Item] = []
        errors: list[RowError] = []
        for entry in batch:
            if isinstance(entry, _Item):
                items.append(entry)
            else:
                kind, error = entry
                errors.append(error)
                if kind in KINDS:
                    summary.add(kind, "rejected")
        items.sort(key=lambda it: KINDS.index(it.record.kind))

        # 2. duplicates within the run, unknown customers.
        accepted: list[_Item] = []
        needed = {it.record.customer_id for it in items if it.record.kind != "customer"}
        needed -= state.known_customers
        needed -= {it.record.customer_id for it in items if it.record.kind == "customer"}
        if needed:
            with self.sessions() as session:
                state.known_customers |= store.existing_customer_ids(session, needed)
        for it in items:
            rec = it.record
            if rec.source_id in state.seen[rec.kind]:
                if it.dedupe:
                    continue
                first = state.first_seen(rec.kind, rec.source_id)
                errors.append(
                    it.error(
                        f"duplicate {rec.kind} id {quoted(rec.source_id)} (first at {first}); "
                        "the first one was kept"
                    )
                )
                summary.add(rec.kind, "rejected")
                continue
            if rec.kind != "customer" and rec.customer_id not in state.known_customers:
                errors.append(
                    it.error(
                        f"unknown customer {quoted(rec.customer_id)}: ingest that customer first "
                        "(customers file, or list it before moments/complaints) or fix customer_id"
                    )
                )
                summary.add(rec.kind, "rejected")
                continue
            state.mark_seen(rec.kind, rec.source_id, it.source, it.line)
            if rec.kind == "customer":
                state.known_customers.add(rec.customer_id)
            accepted.append(it)

        # Report in input order, whichever check caught the row.
        summary.errors.extend(sorted(errors, key=lambda e: (e.source, e.line)))

        # 3. classify by content hash against the store.
        by_kind: dict[str, list[_Item]] = {k: [] for k in KINDS}
        for it in accepted:
            by_kind[it.record.kind].append(it)
        upserts: dict[str, tuple[list, list]] = {}
        changed: list[Record] = []
        updated_ids: list[str] = []
        with self.sessions() as session:
            for kind, kind_items in by_kind.items():
                if not kind_items:
                    continue
                stored = store.existing_hashes(
                    session, kind, [it.record.source_id for it in kind_items]
                )
                inserts, updates = [], []
                for it in kind_items:
                    rec = it.record
                    old = stored.get(rec.source_id)
                    if old is None:
                        inserts.append((rec, it.source))
                        summary.add(kind, "inserted")
                        summary.new_record_ids.append(rec.record_id)
                        changed.append(rec)
                    elif old != rec.hash():
                        updates.append((rec, it.source))
                        summary.add(kind, "updated")
                        updated_ids.append(rec.record_id)
                        changed.append(rec)
                    else:
                        summary.add(kind, "unchanged")
                upserts[kind] = (inserts, updates)

            # 4. chunks of changed records; vectors reused by text hash where possible.
            chunks: list[Chunk] = []
            origins: list[str] = []
            hashes: list[str] = []
            for rec in changed:
                for chunk in chunk_record(
                    rec, self.settings.chunk_words, self.settings.chunk_overlap_words
                ):
                    chunks.append(chunk)
                    origins.append(record_origin(rec))
                    hashes.append(text_hash(chunk.text))
            vectors_by_hash: dict[str, np.ndarray] = {}
            missing = {h for h in hashes if h not in state.recent}
            if missing:
                for digest, blob in store.embeddings_by_text_hash(session, missing).items():
                    vectors_by_hash[digest] = from_blob(blob)
        for h in hashes:
            if h in state.recent:
                vectors_by_hash[h] = state.recent[h]
        to_embed: dict[str, str] = {}
        for chunk, h in zip(chunks, hashes, strict=True):
            if h not in vectors_by_hash and h not in to_embed:
                to_embed[h] = chunk.text
        if to_embed:
            encoded = self.embeddings.encode(list(to_embed.values()))
            # Counted here rather than from the model's global counter: a bot answering
            # questions while an ingest runs embeds queries through the same model.
            summary.embedded += len(to_embed)
            for h, vec in zip(to_embed.keys(), encoded, strict=True):
                vectors_by_hash[h] = vec
        for h in to_embed:
            state.remember(h, vectors_by_hash[h])
        vectors = (
            np.stack([vectors_by_hash[h] for h in hashes]).astype(np.float32, copy=False)
            if chunks
            else np.zeros((0, self.embeddings.dimension), dtype=np.float32)
        )
        chunk_rows = [
            {
                "chunk_id": c.chunk_id,
                "record_id": c.record_id,
                "customer_id": c.customer_id,
                "kind": c.kind,
                "origin": origin,
                "text": c.text,
                "text_hash": h,
                "occurred_at": c.occurred_at,
                "embedding": to_blob(vectors[i]),
                "indexed": False,
            }
            for i, (c, origin, h) in enumerate(zip(chunks, origins, hashes, strict=True))
        ]
        return _Prepared(
            upserts=upserts,
            changed_ids=[r.record_id for r in changed],
            chunk_rows=chunk_rows,
            chunks=chunks,
            vectors=vectors,
            origins=origins,
            records=changed,
        )

    def _write(self, prepared: _Prepared, run_id: int | None = None, number: int = 0) -> None:
        """Store first (committed: records, chunks unindexed, tombstones), then Chroma (upsert,
        delete the tombstoned ids), then mark indexed and drop the tombstones."""
        if not prepared.changed_ids:
            return
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            for kind in KINDS:  # customers first: moments and complaints refer to them
                if kind in prepared.upserts:
                    inserts, updates = prepared.upserts[kind]
                    store.upsert_records(session, kind, inserts, updates, now)
            removed = store.replace_chunks(
                session, prepared.changed_ids, prepared.chunk_rows, run_id=run_id, now=now
            )
            if run_id is not None:
                store.heartbeat(session, run_id, now)
            self._crash_point("before_commit", number)
        self._crash_point("after_commit", number)
        if self._crash_due("mid_index", number):
            half = len(prepared.chunks) // 2
            self._upsert_global(
                prepared.chunks[:half], prepared.vectors[:half], prepared.origins[:half]
            )
            self._crash_point("mid_index", number)
        self._upsert_global(prepared.chunks, prepared.vectors, prepared.origins)
        if removed:
            self.index.delete(removed)
        self._crash_point("after_index", number)
        written = [c.chunk_id for c in prepared.chunks]
        with self.sessions() as session, session.begin():
            store.mark_indexed(session, written, run_id=run_id)
            if removed:
                store.drop_tombstones(session, removed)
            # Another ingest may have rewritten some of these ids after our commit and put its
            # text in Chroma before our upsert overwrote it: Chroma gets what the store holds.
            moved_on = store.chunks_by_id(
                session, [*store.rewritten_chunk_ids(session, written, run_id), *removed]
            )
        if moved_on:
            self._upsert_rows(moved_on)

    # --- crash repair -------------------------------------------------------------------
    def repair(self, run_id: int | None = None) -> dict[str, int]:
        """Finish what dead runs left half done: index their unindexed chunks, delete their
        tombstoned ids from Chroma, and record them ``abandoned``. ``run_id`` is the calling
        run (never counted dead); another live run's in-flight work is left to it. Runs at
        the start of every ingest and from ``c360 doctor --repair``. Returns what it did."""
        done = {"indexed": 0, "deleted": 0, "abandoned": 0}
        now = self.clock.now()
        with self.sessions() as session:
            dead = [
                r
                for r in store.running_runs(session)
                if r.id != run_id and not run_is_alive(r, now)
            ]
        after = ""
        while True:  # tombstones first: an id written again has already lost its tombstone
            with self.sessions() as session:
                rows = store.tombstones(session, after=after)
                if not rows:
                    break
                after = rows[-1].chunk_id
                busy = self._live_runs(session, other_than=run_id)
            ids = [t.chunk_id for t in rows if t.run_id is None or t.run_id not in busy]
            if ids:
                self.index.delete(ids)
                with self.sessions() as session, session.begin():
                    store.drop_tombstones(session, ids)
                    back = store.chunks_by_id(session, ids)
                if back:
                    self._upsert_rows(back)
                done["deleted"] += len(ids)
        after = ""
        while True:
            with self.sessions() as session:
                rows = store.unindexed_chunks(session, after=after)
                if not rows:
                    break
                after = rows[-1].chunk_id
                # Chunks first, then runs: a run registers before it commits chunks and marks
                # them indexed before it finishes, so a live run owning any of these rows is
                # seen here.
                busy = self._live_runs(session, other_than=run_id)
            rows = [r for r in rows if r.run_id is None or r.run_id not in busy]
            if rows:
                log.warning("indexing %d chunk(s) left unindexed by a run that died", len(rows))
                self._upsert_rows(rows)
                done["indexed"] += len(rows)
        if dead:
            with self.sessions() as session, session.begin():
                by = f"run {run_id}" if run_id is not None else "c360 doctor --repair"
                store.abandon_runs(
                    session,
                    [r.id for r in dead],
                    self.clock.now(),
                    f"the process died before the run finished; its committed batches were "
                    f"kept and their indexing finished by {by}",
                )
            done["abandoned"] = len(dead)
        return done

    def _live_runs(self, session, other_than: int | None) -> set[int]:
        now = self.clock.now()
        return {
            r.id for r in store.running_runs(session) if r.id != other_than and run_is_alive(r, now)
        }

    def _upsert_rows(self, rows) -> None:
        """Put stored chunk rows (with their stored vectors) into Chroma and mark them indexed."""
        rows = [r for r in rows if r.embedding is not None]
        if not rows:
            return
        chunks = [
            Chunk(r.chunk_id, r.record_id, r.customer_id, r.kind, r.text, store.utc(r.occurred_at))
            for r in rows
        ]
        vectors = np.stack([from_blob(r.embedding) for r in rows])
        self._upsert_global(chunks, vectors, [r.origin for r in rows])
        by_run: dict[int | None, list[str]] = {}
        for r in rows:
            by_run.setdefault(r.run_id, []).append(r.chunk_id)
        with self.sessions() as session, session.begin():
            for owner, ids in by_run.items():
                store.mark_indexed(session, ids, run_id=owner)

    # --- the crash tests' hook ------------------------------------------------------------
    def _crash_due(self, point: str, number: int) -> bool:
        """Test only: ``C360_TEST_CRASH_AT=point:N`` names a point of the run's Nth batch
        (``CRASH_POINTS``). Unset (always, outside the crash tests) this is False."""
        spec = self.settings.test_crash_at
        return bool(spec) and spec == f"{point}:{number}"

    def _crash_point(self, point: str, number: int) -> None:
        if self._crash_due(point, number):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: a real crash

    def _upsert_global(self, chunks, vectors: np.ndarray, origins: list[str]) -> None:
        """Put chunks into the global (Chroma) index, except those of origins it must not hold.

        Logged exchanges are history, never evidence, and the global index only serves evidence
        (resolving a customer from a description, the baseline). Their vectors stay in the
        store beside their rows, so "indexed" still holds for them; keeping them out of Chroma
        also keeps its upserts (which hold the GIL for their whole call) off the Slack bot's
        path, where exchanges are written all day."""
        keep = [i for i, origin in enumerate(origins) if origin not in GLOBAL_INDEX_EXCLUDES]
        if keep:
            self.index.upsert([chunks[i] for i in keep], vectors[keep], [origins[i] for i in keep])


class _Heartbeat:
    """Stamps the run's ``heartbeat_at`` every ``HEARTBEAT_SECONDS`` from a daemon thread, so
    runs on other hosts can tell this one is alive however long a batch takes."""

    def __init__(self, service: IngestService, run_id: int) -> None:
        self._service = service
        self._run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="c360-ingest-heartbeat", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self._service.sessions() as session, session.begin():
                    store.heartbeat(session, self._run_id, self._service.clock.now())
            except Exception:  # a missed beat only makes the run look older
                log.debug("ingest heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()


def _split(batches: Iterator[list[Any]], size: int) -> Iterator[list[Any]]:
    """Batches of at most ``size`` entries (connectors read in their own batch sizes)."""
    for batch in batches:
        for start in range(0, max(len(batch), 1), size):
            yield batch[start : start + size]


def _describe_failure(exc: BaseException) -> str:
    """Why a run stopped, for its run row: the error's type and first line. SQLAlchemy errors
    carry no parameter values (engines are made with ``hide_parameters``), so no record text."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


def _parse_raw(
    raw: RawRow, kind: str | None, mapping, apply_mapping, now: datetime | None = None
) -> list[Any]:
    """A raw row -> items (records with their location) or (kind, RowError). Whatever is wrong
    with one row (an unexpected exception included) rejects that row, never the run; a reason
    names fields and short values, never a record's text."""
    try:
        return _parse_row(raw, kind, mapping, apply_mapping, now)
    except Exception as exc:
        log.debug(
            "%s:%s: %s while reading the row\n%s",
            raw.source,
            raw.line,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return [(kind, raw.error(f"unreadable row ({type(exc).__name__})"))]


def _parse_row(raw: RawRow, kind: str | None, mapping, apply_mapping, now) -> list[Any]:
    if "__error__" in raw.data:  # the connector could not even read this row
        return [(kind, raw.error(raw.data["__error__"]))]
    if mapping is not None:
        try:
            outputs = apply_mapping(mapping, raw.data)
        except RowProblem as exc:
            return [(kind, raw.error(str(exc)))]
    else:
        if kind is None:
            return [
                (
                    None,
                    raw.error(
                        "unknown record kind: name the file customers.*, moments.* or complaints.*, or pass --kind"
                    ),
                )
            ]
        outputs = [(kind, raw.data, False)]
    result: list[Any] = []
    for out_kind, values, dedupe in outputs:
        try:
            record = parse_record(out_kind, values, now=now)
        except RowProblem as exc:
            result.append((out_kind if out_kind in KINDS else kind, raw.error(str(exc))))
            continue
        result.append(_Item(record, raw.source, raw.line, dedupe=dedupe, error_factory=raw.error))
    return result


def _utc_record(record: Record) -> Record:
    """In-process records may carry naive datetimes: they are UTC by convention."""
    changes = {}
    for name in ("created_at", "occurred_at", "opened_at", "resolved_at"):
        value = getattr(record, name, None)
        if isinstance(value, datetime):
            fixed = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            if fixed is not value:
                changes[name] = fixed
    return replace(record, **changes) if changes else record


def _size_hint(connectors) -> Callable[[], int | None]:
    def total() -> int | None:
        hints = [c.size_hint() for c in connectors]
        return None if any(h is None for h in hints) else sum(hints)

    return total


def _progress_bar(progress: bool | None, total):
    import sys

    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    if callable(total):
        total = total()
    return tqdm(total=total or None, unit="row", desc="ingest", file=sys.stderr, dynamic_ncols=True)


__all__ = ["IngestService", "IngestSummary", "Customer", "Moment", "Complaint"]
