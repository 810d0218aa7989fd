"""`c360 doctor`: is the vector index equal to the store, did every ingest run finish?

The store is the system of record; Chroma is derived from its chunk rows (ids, metadata, text
and the vectors kept beside them). The check reads both id sets in full, in pages:

- ``missing_vectors``: a chunk row (of an origin the global index holds, see
  ``GLOBAL_INDEX_EXCLUDES``) with no vector in Chroma;
- ``orphan_vectors``: a vector in Chroma with no chunk row (or of an excluded origin);
- ``stale_vectors``: in both, but Chroma's record id, customer id, kind, origin or text differ
  from the row's (a record moved to another customer, or its text changed);
- ``unfinished_runs``: ingest runs recorded ``running`` whose process is gone (killed);
- ``suspicious_records``: records whose text addresses an AI (informational; see
  ``c360.safety.suspicious``), never a reason to call the store unhealthy.

A live ingest's in-flight work (chunks it committed and has not indexed yet, ids it is about to
delete) is counted as ``in_flight_vectors``, not as a fault. ``repair`` first runs the ingest
repair (what dead runs left), then makes Chroma equal to the store from the stored vectors:
upserts missing and stale ids, deletes orphans. Nothing is embedded again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from c360.safety.suspicious import is_suspicious
from c360.services.ingest import GLOBAL_INDEX_EXCLUDES, run_is_alive
from retrieval.chunking import text_hash
from store import records as store
from store.models import ChunkRow, ComplaintRow, IndexTombstoneRow, MomentRow

PAGE = 5000
EXAMPLES = 10
FAULTS = ("missing_vectors", "orphan_vectors", "stale_vectors", "unfinished_runs")


@dataclass
class DoctorReport:
    missing: list[str] = field(default_factory=list)
    orphan: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unfinished_runs: list[int] = field(default_factory=list)
    suspicious_records: list[str] = field(default_factory=list)
    in_flight: int = 0
    store_chunks: int = 0
    index_vectors: int = 0

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.orphan or self.stale or self.unfinished_runs)

    def counts(self) -> dict[str, Any]:
        return {
            "missing_vectors": len(self.missing),
            "orphan_vectors": len(self.orphan),
            "stale_vectors": len(self.stale),
            "unfinished_runs": len(self.unfinished_runs),
            "suspicious_records": len(self.suspicious_records),
            "in_flight_vectors": self.in_flight,
            "store_chunks": self.store_chunks,
            "index_vectors": self.index_vectors,
            "healthy": self.healthy,
        }

    def to_dict(self) -> dict[str, Any]:
        return self.counts() | {
            "examples": {
                "missing_vectors": self.missing[:EXAMPLES],
                "orphan_vectors": self.orphan[:EXAMPLES],
                "stale_vectors": self.stale[:EXAMPLES],
                "unfinished_runs": self.unfinished_runs[:EXAMPLES],
                "suspicious_records": self.suspicious_records[:EXAMPLES],
            }
        }

    def describe(self) -> str:
        c = self.counts()
        lines = [
            f"store chunks {c['store_chunks']}, index vectors {c['index_vectors']}"
            + (f" ({c['in_flight_vectors']} in flight)" if self.in_flight else ""),
            f"missing vectors {c['missing_vectors']}, orphan vectors {c['orphan_vectors']}, "
            f"stale vectors {c['stale_vectors']}, unfinished runs {c['unfinished_runs']}",
            f"records addressing an AI (shown as written, never followed): "
            f"{c['suspicious_records']}",
        ]
        if self.healthy:
            lines.append("healthy: the index equals the store and every run finished")
        else:
            lines.append("NOT healthy: run `c360 doctor --repair` (or any `c360 ingest`)")
        return "\n".join(lines)


class DoctorService:
    def __init__(self, sessions, index, ingest, clock) -> None:
        self.sessions = sessions
        self.index = index
        self.ingest = ingest  # a provider of the IngestService (it owns the run repair)
        self.clock = clock

    def check(self) -> DoctorReport:
        report = DoctorReport()
        now = self.clock.now()
        # Runs first, then chunks: a run that owns any chunk read below registered before.
        with self.sessions() as session:
            runs = store.running_runs(session)
        live = {r.id for r in runs if run_is_alive(r, now)}
        report.unfinished_runs = sorted(r.id for r in runs if r.id not in live)
        expected: dict[str, tuple[str, str, str, str, str]] = {}
        excluded: set[str] = set()
        in_flight: set[str] = set()
        for rows in self._pages(
            select(
                ChunkRow.chunk_id,
                ChunkRow.record_id,
                ChunkRow.customer_id,
                ChunkRow.kind,
                ChunkRow.origin,
                ChunkRow.text_hash,
                ChunkRow.indexed,
                ChunkRow.run_id,
            ),
            ChunkRow.chunk_id,
        ):
            for cid, rid, customer, kind, origin, digest, indexed, run_id in rows:
                report.store_chunks += 1
                if origin in GLOBAL_INDEX_EXCLUDES:
                    excluded.add(cid)
                    continue
                expected[cid] = (rid, customer, kind, origin, digest)
                if not indexed and run_id in live:
                    in_flight.add(cid)
        leaving: set[str] = set()
        for rows in self._pages(
            select(IndexTombstoneRow.chunk_id, IndexTombstoneRow.run_id),
            IndexTombstoneRow.chunk_id,
        ):
            leaving.update(cid for cid, run_id in rows if run_id in live)
        seen: set[str] = set()
        for ids, metas, docs in self._index_pages():
            for cid, meta, doc in zip(ids, metas, docs, strict=True):
                report.index_vectors += 1
                seen.add(cid)
                want = expected.get(cid)
                if want is None:
                    if cid in leaving:
                        report.in_flight += 1
                    else:
                        report.orphan.append(cid)
                    continue
                meta = meta or {}
                got = (
                    meta.get("record_id"),
                    meta.get("customer_id"),
                    meta.get("kind"),
                    meta.get("origin", "data"),
                    text_hash(doc or ""),
                )
                if got != want:
                    if cid in in_flight:
                        report.in_flight += 1
                    else:
                        report.stale.append(cid)
        for cid in expected:
            if cid not in seen:
                if cid in in_flight:
                    report.in_flight += 1
                else:
                    report.missing.append(cid)
        report.missing.sort()
        report.orphan.sort()
        report.stale.sort()
        report.suspicious_records = self._suspicious()
        return report

    def repair(self) -> tuple[DoctorReport, dict[str, int], DoctorReport]:
        """(before, what was done, after). Safe while an ingest runs: its work is left to it."""
        before = self.check()
        done = dict(self.ingest().repair(None))
        middle = self.check()
        with self.sessions() as session:
            rows = store.chunks_by_id(session, [*middle.missing, *middle.stale])
        rows = [r for r in rows if r.origin not in GLOBAL_INDEX_EXCLUDES]
        if rows:
            self.ingest()._upsert_rows(rows)
        if middle.orphan:
            self.index.delete(middle.orphan)
        done["upserted"] = len(rows)
        done["deleted"] = done.get("deleted", 0) + len(middle.orphan)
        return before, done, self.check()

    # --- reading ----------------------------------------------------------------------
    def _pages(self, stmt, key) -> Iterator[list[Any]]:
        """Rows of ``stmt`` in pages, in ``key`` order (keyset paging: millions of rows)."""
        after = ""
        while True:
            with self.sessions() as session:
                rows = session.execute(stmt.where(key > after).order_by(key).limit(PAGE)).all()
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def _index_pages(self) -> Iterator[tuple[list[str], list[dict], list[str]]]:
        collection = self.index.collection
        offset = 0
        while True:
            res = collection.get(include=["metadatas", "documents"], limit=PAGE, offset=offset)
            ids = res["ids"]
            if not ids:
                return
            yield ids, res["metadatas"], res["documents"]
            offset += len(ids)

    def _suspicious(self) -> list[str]:
        """Record ids (moments and complaints; not logged exchanges) whose text addresses an
        AI, in id order."""
        found: list[str] = []
        for rows in self._pages(
            select(MomentRow.moment_id, MomentRow.text).where(MomentRow.origin != "exchange"),
            MomentRow.moment_id,
        ):
            found.extend(f"moment:{mid}" for mid, text in rows if is_suspicious(text))
        for rows in self._pages(
            select(ComplaintRow.complaint_id, ComplaintRow.text, ComplaintRow.resolution),
            ComplaintRow.complaint_id,
        ):
            found.extend(
                f"complaint:{cid}"
                for cid, text, resolution in rows
                if is_suspicious(text) or is_suspicious(resolution)
            )
        return found
