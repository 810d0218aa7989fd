"""Ingest runs: bookkeeping (pid, host, heartbeat), telling a dead run from a live one, and the
repair of what dead runs left half done (unindexed chunks, tombstones); also the crash tests'
hook (``C360_TEST_CRASH_AT``) and the global index writes both the pipeline and the repair use.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from c360.domain import Chunk
from retrieval.embeddings import from_blob
from store import records as store

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

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


# Origins kept out of the global vector index (see RunRepair._upsert_global).
GLOBAL_INDEX_EXCLUDES = frozenset({"exchange"})


class RunRepair:
    """Crash repair and index writes of ``IngestService`` (which sets ``sessions``, ``index``,
    ``settings`` and ``clock``)."""

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
        # Tombstones first: an id written again has already lost its tombstone.
        for rows in self._orphaned(store.tombstones, run_id):
            ids = [t.chunk_id for t in rows]
            if ids:
                self.index.delete(ids)
                with self.sessions() as session, session.begin():
                    store.drop_tombstones(session, ids)
                    back = store.chunks_by_id(session, ids)
                if back:
                    self._upsert_rows(back)
                done["deleted"] += len(ids)
        for rows in self._orphaned(store.unindexed_chunks, run_id):
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

    def _orphaned(self, read, run_id: int | None) -> Iterator[list]:
        """Pages of ``read(session, after=chunk_id)`` (tombstones or unindexed chunks), each
        without the rows of a live run other than ``run_id``."""
        after = ""
        while True:
            with self.sessions() as session:
                rows = read(session, after=after)
                if not rows:
                    return
                # Rows, then runs, then the rows again: a run registers before it commits
                # chunks and marks them indexed (drops its tombstones) before it finishes. A
                # run that finished after the first read is no longer live, but its rows have
                # left the second read, so they are not taken for a dead run's.
                busy = self._live_runs(session, other_than=run_id)
                still = {r.chunk_id for r in read(session, after=after)}
                after = rows[-1].chunk_id
            yield [
                r
                for r in rows
                if r.chunk_id in still and (r.run_id is None or r.run_id not in busy)
            ]

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
        import numpy as np  # a repair only: `c360 ask` reads run states and never gets here

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


class Heartbeat:
    """Stamps the run's ``heartbeat_at`` every ``HEARTBEAT_SECONDS`` from a daemon thread, so
    runs on other hosts can tell this one is alive however long a batch takes."""

    def __init__(self, service: RunRepair, run_id: int) -> None:
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


def describe_failure(exc: BaseException) -> str:
    """Why a run stopped, for its run row: the error's type and first line. SQLAlchemy errors
    carry no parameter values (engines are made with ``hide_parameters``), so no record text."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]
