"""The ingest pipeline: ``IngestService`` (the package docstring tells the whole story)."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from c360.domain import KINDS, Chunk, Record, RowError
from c360.services.ingest.rows import parse_raw, progress_bar, size_hint, split_batches, utc_record
from c360.services.ingest.runs import Heartbeat, RunRepair, describe_failure, this_host
from c360.services.ingest.summary import IngestSummary, Item, Prepared, RunState
from connectors.base import SourceError
from connectors.canonical import RowProblem, quoted, validate_record
from retrieval.chunking import chunk_record, record_origin, text_hash
from retrieval.embeddings import from_blob, to_blob
from store import records as store

log = logging.getLogger(__name__)


def chunk_row(chunk: Chunk, origin: str, digest: str, vector: np.ndarray) -> dict[str, Any]:
    """The ``chunks`` table row of an embedded chunk, written before the vector index has it
    (``indexed`` False until the index write is confirmed)."""
    return {
        "chunk_id": chunk.chunk_id,
        "record_id": chunk.record_id,
        "customer_id": chunk.customer_id,
        "kind": chunk.kind,
        "origin": origin,
        "text": chunk.text,
        "text_hash": digest,
        "occurred_at": chunk.occurred_at,
        "embedding": to_blob(vector),
        "indexed": False,
    }


class IngestService(RunRepair):
    def __init__(self, sessions, embeddings, index, settings, clock) -> None:
        self.sessions = sessions
        self.embeddings = embeddings
        self.index = index
        self.settings = settings
        self.clock = clock
        self._listeners: list[Callable[[IngestSummary, list[Record]], None]] = []
        self._removal_listeners: list[Callable[[list[str]], None]] = []

    # --- public API -----------------------------------------------------------------
    def add_listener(self, fn: Callable[[IngestSummary, list[Record]], None]) -> None:
        """``fn(summary, records)`` runs after each committed batch with the inserted and
        updated records (ownership rules subscribe here)."""
        self._listeners.append(fn)

    def add_removal_listener(self, fn: Callable[[list[str]], None]) -> None:
        """``fn(customer_ids)`` runs after each committed batch of a live source that deleted
        or merged away customers (they may still exist: another source's records keep one)."""
        self._removal_listeners.append(fn)

    def add_records(self, records: Iterable[Record], source: str) -> IngestSummary:
        """Ingest in-process records (logged moments, demo data). Naive datetimes are UTC."""

        def items() -> Iterator[list[Item | RowError]]:
            batch: list[Item | RowError] = []
            for n, record in enumerate(records, start=1):
                record = utc_record(record)
                try:
                    validate_record(record)
                    batch.append(Item(record, source, n))
                except RowProblem as exc:
                    batch.append((record.kind, RowError(source, n, str(exc))))
                if len(batch) >= self.settings.ingest_batch:
                    yield batch
                    batch = []
            if batch:
                yield batch

        return self._run(items(), [source])

    def ingest_batches(self, batches: Iterator[list[Any]], sources: list[str]) -> IngestSummary:
        """Ingest batches of ``Item``s and ``(kind, RowError)``s made by a caller (the live
        sources of ``c360 sync``); an ``EffectBatch``'s effects (deletions, merges, the
        source's cursor) are applied in the transaction that writes its records."""
        return self._run(batches, sources)

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
            connectors, loaded_mapping, progress=progress, total=size_hint(connectors)
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
            if entry.get("connector"):  # an API source: `c360 sync` reads it
                continue
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

        bar = progress_bar(progress, total)
        now = self.clock.now()

        def items() -> Iterator[list[Item | tuple[str | None, RowError]]]:
            for connector in connectors:
                batches = (
                    connector.changes_since(cursor) if cursor is not None else connector.load_all()
                )
                for rows in batches:
                    batch: list[Any] = []
                    for raw in rows:
                        batch.extend(
                            parse_raw(raw, connector.kind, mapping, apply_mapping, now=now)
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
        heartbeat = Heartbeat(self, run_id)
        try:
            self.repair(run_id)
            state = RunState()
            pending: tuple[Future, Prepared] | None = None
            number = 0
            with ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="c360-ingest-writer"
            ) as writer:
                try:
                    for batch in split_batches(batches, self.settings.ingest_batch):
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
            summary.failure = describe_failure(exc)
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

    def _finish(self, pending: tuple[Future, Prepared], summary: IngestSummary) -> None:
        future, prepared = pending
        future.result()
        calls: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        if prepared.records:
            calls += [(fn, (summary, prepared.records)) for fn in self._listeners]
        effects = prepared.effects
        removed = [d[9:] for d in effects.deleted if d.startswith("customer:")] if effects else []
        removed += list(effects.merged) if effects else []
        if removed:
            calls += [(fn, (removed,)) for fn in self._removal_listeners]
        for fn, args in calls:
            try:
                fn(*args)
            except Exception as exc:  # a broken subscriber must not stop the ingest
                # The type and the frames only: the message may quote a record's text.
                log.error(
                    "ingest listener %r failed (%s); ingest continues\n%s",
                    fn,
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )

    def _prepare(self, batch: list[Any], state: RunState, summary: IngestSummary) -> Prepared:
        # 1. split errors from records; customers first so the batch's own customers count.
        items: list[Item] = []
        errors: list[RowError] = []
        for entry in batch:
            if isinstance(entry, Item):
                items.append(entry)
            else:
                kind, error = entry
                errors.append(error)
                if kind in KINDS:
                    summary.add(kind, "rejected")
        items.sort(key=lambda it: KINDS.index(it.record.kind))

        # 2. duplicates within the run, unknown customers.
        accepted: list[Item] = []
        needed = {it.record.customer_id for it in items if it.record.kind != "customer"}
        needed -= state.known_customers
        needed -= {it.record.customer_id for it in items if it.record.kind == "customer"}
        if needed:
            with self.sessions() as session:
                state.known_customers |= store.existing_customer_ids(session, needed)
        for it in items:
            rec = it.record
            if rec.source_id in state.seen[rec.kind] and not it.revision:
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
        by_kind: dict[str, list[Item]] = {k: [] for k in KINDS}
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
            chunk_row(c, origin, h, vectors[i])
            for i, (c, origin, h) in enumerate(zip(chunks, origins, hashes, strict=True))
        ]
        return Prepared(
            upserts=upserts,
            changed_ids=[r.record_id for r in changed],
            chunk_rows=chunk_rows,
            chunks=chunks,
            vectors=vectors,
            origins=origins,
            records=changed,
            effects=getattr(batch, "effects", None),
        )

    def _write(self, prepared: Prepared, run_id: int | None = None, number: int = 0) -> None:
        """Store first (committed: records, chunks unindexed, tombstones), then Chroma (upsert,
        delete the tombstoned ids), then mark indexed and drop the tombstones."""
        effects = prepared.effects
        if not prepared.changed_ids and effects is None:
            return
        now = self.clock.now()
        moved: list[str] = []
        with self.sessions() as session, session.begin():
            for kind in KINDS:  # customers first: moments and complaints refer to them
                if kind in prepared.upserts:
                    inserts, updates = prepared.upserts[kind]
                    store.upsert_records(session, kind, inserts, updates, now)
            removed = store.replace_chunks(
                session, prepared.changed_ids, prepared.chunk_rows, run_id=run_id, now=now
            )
            if effects is not None:
                moved, gone = self._apply_effects(session, effects, run_id, now)
                removed = sorted(set(removed) | set(gone))
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
        if moved:  # records of a merged customer, now under the surviving one
            with self.sessions() as session:
                rows = store.chunks_by_id(session, moved)
            self._upsert_rows(rows)  # marks them indexed

    @staticmethod
    def _apply_effects(session, effects, run_id, now) -> tuple[list[str], list[str]]:
        """Merges, deletions and the cursor of a live source's page, in the batch's
        transaction. Returns (chunk ids moved to another customer, chunk ids removed)."""
        from store import sync as sync_store

        moved: list[str] = []
        for old, new in sorted(effects.merged.items()):
            moved += sync_store.redirect_customer(session, old, new)
        deleted = [*effects.deleted, *(f"customer:{old}" for old in sorted(effects.merged))]
        removed = (
            sync_store.delete_records(session, deleted, run_id, now, source=effects.source)
            if deleted
            else []
        )
        if effects.apply is not None:
            effects.apply(session, now)
        return moved, removed
