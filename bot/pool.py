"""The bounded pool where the heavy work (retrieval, logging, Web API replies) runs.

Bolt's own listener pool is shared with acknowledgements, so slow work there delays acks past
Slack's 3 seconds. Listeners ack at once and hand the work here. The queue is bounded: when it
is full, ``submit`` refuses immediately and the caller answers "busy, try again" instead of
letting requests pile up until they are stale.

Its threads run at a lower CPU priority than the request threads (``nice``: Linux schedules
each thread on its own, ``setpriority`` on a thread id touches that thread alone), so when the
cores are busy answering, an ack that arrives gets a core first instead of waiting its turn
behind the answers. The embedding model's forward pass runs in the answering thread (one
intra-op thread, ``slack_model_threads``), so it is lowered with it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


def lower_thread_priority(increment: int) -> int | None:
    """Lower the calling thread's CPU priority by ``increment`` nice steps (at most to 19); the
    thread's nice value after, or None where a thread's priority cannot be set on its own (only
    Linux: elsewhere ``setpriority`` takes a process id, and a thread id could name another
    process) or the call failed. Raising a priority back needs privileges, so this only lowers."""
    if increment <= 0 or not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()
    try:
        target = min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment)
        os.setpriority(os.PRIO_PROCESS, tid, target)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError as exc:
        log.warning("could not lower the priority of thread %d: %s", tid, exc)
        return None


class WorkPool:
    def __init__(
        self,
        workers: int = 4,
        queue_size: int = 200,
        name: str = "c360-work",
        *,
        nice: int = 0,
    ) -> None:
        """``nice``: how many steps lower than the creating thread the pool's threads run
        (0: the same priority; the bot passes ``Settings.slack_work_nice``)."""
        if workers < 1 or queue_size < 0 or not 0 <= nice <= 19:
            raise ValueError(
                "a work pool needs at least 1 worker, a queue size >= 0 and a nice step in 0..19"
            )
        self.workers = workers
        self.queue_size = queue_size
        self.nice = nice
        self._executor = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix=name,
            initializer=lower_thread_priority if nice else None,
            initargs=(nice,) if nice else (),
        )
        # running + waiting jobs; a slot is taken on submit and freed when the job ends
        self._slots = threading.BoundedSemaphore(workers + queue_size)
        self._lock = threading.Lock()
        self.rejected = 0
        self._jobs = 0  # running + waiting
        self.max_jobs = 0

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_error: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> Future | None:
        """Run ``fn`` in the pool; ``None`` (at once) when the pool is full.

        If ``fn`` raises, the error is logged with an id and ``on_error(error_id)`` is called,
        so the user is told something went wrong instead of hearing nothing."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                self.rejected += 1
            log.warning(
                "work pool full (%d running + %d queued); refusing a job",
                self.workers,
                self.queue_size,
            )
            return None

        with self._lock:
            self._jobs += 1
            self.max_jobs = max(self.max_jobs, self._jobs)

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                error_id = uuid.uuid4().hex[:8]
                log.exception("job %s failed (error id %s)", getattr(fn, "__name__", fn), error_id)
                if on_error:
                    try:
                        on_error(error_id)
                    except Exception:
                        log.exception("could not report error id %s to the user", error_id)
                return None
            finally:
                self._release()

        try:
            return self._executor.submit(run)
        except RuntimeError:  # shut down
            self._release()
            return None

    def _release(self) -> None:
        with self._lock:
            self._jobs -= 1
        self._slots.release()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "workers": self.workers,
                "queue_size": self.queue_size,
                "nice": self.nice,
                "jobs": self._jobs,
                "max_jobs": self.max_jobs,
                "rejected": self.rejected,
            }

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=not wait)


class InlineExecutor(Executor):
    """Runs a submitted callable at once, in the caller's thread.

    Given to Bolt as its listener executor. Our listeners only acknowledge and hand the work to
    a ``WorkPool``, so running them in the request thread is safe, and it spares each request
    Bolt's hand-off to another thread and its 10 ms polling for the ack (measured: an ack took
    11 ms of wall time for 0.4 ms of CPU; inline it is about 1 ms)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # Bolt's runner handles listener errors itself
            future.set_exception(exc)
        return future
