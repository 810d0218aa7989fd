"""Ingest: raw rows or in-process records -> validated records -> store -> embeddings -> Chroma.

The pipeline works in batches. For each batch: validate (required fields, enums, known
customer, duplicate ids), compare content hashes with the store (one ``IN`` query per kind),
chunk the changed records, embed only texts whose hash has no stored vector, then write
records and chunk rows (``indexed=False``) in one transaction, upsert Chroma, and mark the
chunks indexed. A crash between the commit and Chroma leaves ``indexed=False`` rows that the
next run indexes first. Writing batch N overlaps with encoding batch N+1 (one writer thread),
because the model is the bottleneck and should never wait on SQLite or Chroma.
"""

from __future__ import annotations

import logging
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
# Records per pipeline batch: large enough that the model sees big, length-sorted batches and
# the store sees few round trips; small enough that a crash loses little and memory stays flat.
BATCH_RECORDS = 2000
# Recently embedded texts kept in memory so a text repeated within a run (a stock company
# response, say) is embedded once even before its batch is committed.
RECENT_VECTORS = 20000
# A run's batch sits committed but unindexed for the seconds its Chroma upsert takes. Unindexed
# chunks whose record was written longer ago than this were left by a run that died.
IN_FLIGHT_GRACE = timedelta(minutes=10)


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
    stale_chunk_ids: list[str]
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
                if len(batch) >= BATCH_RECORDS:
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
            run_id = store.start_run(session, sources, self.clock.now())
        self._index_pending(run_id)
        state = _RunState()
        pending: tuple[Future, _Prepared] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="c360-ingest-writer") as writer:
            try:
                for batch in batches:
                    prepared = self._prepare(batch, state, summary)
                    if pending is not None:
                        self._finish(pending, summary)
                    pending = (writer.submit(self._write, prepared), prepared)
                if pending is not None:
                    self._finish(pending, summary)
                    pending = None
            except SourceError as exc:
                if pending is not None:
                    self._finish(pending, summary)
                summary.completed = False
                summary.failure = str(exc)
            finally:
                summary.seconds = time.perf_counter() - started
                with self.sessions() as session, session.begin():
                    store.finish_run(
                        session,
                        run_id,
                        summary.to_dict(max_errors=100) | {"new_record_ids": []},
                        self.clock.now(),
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
            old_chunks = store.chunk_hashes_for_records(session, updated_ids) if updated_ids else {}
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
        new_ids = {c.chunk_id for c in chunks}
        stale = [
            cid for rid in updated_ids for cid, _ in old_chunks.get(rid, []) if cid not in new_ids
        ]
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
            stale_chunk_ids=stale,
            records=changed,
        )

    def _write(self, prepared: _Prepared) -> None:
        """Store first (committed, chunks unindexed), then Chroma, then mark indexed."""
        if not prepared.changed_ids:
            return
        now = self.clock.now()
        with self.sessions() as session, session.begin():
            for kind in KINDS:  # customers first: moments and complaints refer to them
                if kind in prepared.upserts:
                    inserts, updates = prepared.upserts[kind]
                    store.upsert_records(session, kind, inserts, updates, now)
            store.replace_chunks(session, prepared.changed_ids, prepared.chunk_rows)
        self._upsert_global(prepared.chunks, prepared.vectors, prepared.origins)
        if prepared.stale_chunk_ids:
            self.index.delete(prepared.stale_chunk_ids)
        with self.sessions() as session, session.begin():
            store.mark_indexed(session, [c.chunk_id for c in prepared.chunks])

    def _index_pending(self, run_id: int) -> None:
        """Index chunks a run committed but never got into Chroma (it crashed in between).

        Every run leaves its own batch in that state for a moment (commit, Chroma upsert, mark
        indexed), so while another run is unfinished its in-flight chunks look the same as a
        crash's leftovers; indexing them here would only repeat that run's work (concurrent
        small runs, such as exchange logging, used to re-index each other's batches). So when
        another run is in progress, only chunks whose record was written more than
        ``IN_FLIGHT_GRACE`` ago are taken; with no other run in progress, all of them are."""
        after = ""
        while True:
            with self.sessions() as session:
                rows = store.unindexed_chunks(session, after=after)
                if not rows:
                    return
                after = rows[-1].chunk_id
                # Chunks first, then runs: a run registers before it commits chunks and marks
                # them indexed before it finishes, so a run that owns any of these rows is
                # still seen unfinished here.
                if store.in_progress_runs(session, other_than=run_id):
                    cutoff = self.clock.now() - IN_FLIGHT_GRACE
                    written = store.written_at(session, {r.record_id for r in rows})
                    rows = [
                        r
                        for r in rows
                        if written.get(r.record_id) is None or written[r.record_id] < cutoff
                    ]
            if not rows:
                continue
            log.warning("indexing %d chunk(s) left unindexed by an earlier run", len(rows))
            chunks = [
                Chunk(
                    r.chunk_id, r.record_id, r.customer_id, r.kind, r.text, store.utc(r.occurred_at)
                )
                for r in rows
            ]
            vectors = np.stack([from_blob(r.embedding) for r in rows])
            self._upsert_global(chunks, vectors, [r.origin for r in rows])
            with self.sessions() as session, session.begin():
                store.mark_indexed(session, [r.chunk_id for r in rows])

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
