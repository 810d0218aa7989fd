"""Moments written by the product itself: every question/answer exchange (history, never
evidence), moments a person logs by hand (evidence, like connector data), and feedback on an
answer. All writes go through ``IngestService.add_records`` so they are stored, chunked,
embedded and indexed exactly like connector data (and ownership rules see them).

Exchanges can be written behind (``MomentService.write_behind``, what the Slack bot does): the
moment id is made at once, so the answer's feedback buttons can name it, and one background
thread writes the queued exchanges in batches, one ``add_records`` per batch (one embedding
batch, one commit; exchanges stay out of the global Chroma index) instead of one per answer. Reads through this service
(``recent_exchanges``, feedback) wait for the writes they depend on; ``close`` writes everything
still queued. The CLI stays synchronous: its logged exchange is in the very next brief.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from c360.domain import Asker, Moment
from c360.ports import Batching, MomentsPort
from c360.safety.escaping import is_web_url
from prompts.brief import exchange_text
from store.queries import exchange_meta_since, exchange_moments, get_customer, get_moment

REASON_CHARS = 1000  # a feedback reason is kept up to this long


def permalink_url(asker: Asker) -> str | None:
    """The asker's Slack message as the moment's ``url``; None when there is none or it is not
    a plain web address (then it stays in ``meta`` only, and the moment is still stored)."""
    return asker.permalink if is_web_url(asker.permalink) else None


log = logging.getLogger(__name__)

FEEDBACK_VALUES = ("helpful", "not_helpful", "wrong_customer")
# How long a read waits for queued exchanges to be written (a batch takes well under a second;
# longer means the store is down, and the caller then reports what it finds).
FLUSH_WAIT_SECONDS = 30.0


class MomentError(ValueError):
    """A moment could not be written; the message says what to change."""


class ExchangeLog:
    """Write-behind queue for exchange moments: ``put`` returns at once, one thread writes.

    The writer takes everything queued (up to ``batching.max_batch``), after waiting ``linger`` seconds
    for more to arrive, and hands it to ``write`` as one list. Batches stay small on purpose:
    a batch's embedding and commit run in the bot's process, and a big one would hold the CPU
    from the request threads for longer at once. Nothing is dropped: a full queue
    makes ``put`` wait for room, a failed write is retried (every ``retry_seconds``, doubling up
    to a minute) until ``close``, which gives it three last tries and then logs each moment it
    could not write at ERROR with its full text, so it can be replayed."""

    def __init__(
        self,
        write: Callable[[list[Moment]], None],
        batching: Batching | None = None,
        name: str = "c360-exchange-log",
    ) -> None:
        self._write = write
        self.batching = batching or Batching()
        self._name = name
        self._queue: deque[Moment] = deque()
        self._unwritten: set[str] = set()  # queued or in the batch being written
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        # counters (``stats``): every moment put is either written or failed, in the end
        self._put = 0
        self._done = 0
        self.written = 0
        self.failed = 0
        self.batches = 0
        self.retries = 0
        self.max_depth = 0
        self.last_batch: tuple[int, float] = (0, 0.0)  # (moments, seconds)
        self._reported_at = time.monotonic()

    # --- the callers' side ----------------------------------------------------------------
    def put(self, moment: Moment) -> bool:
        """Queue ``moment``; False (nothing queued) once the log is closed, or when called from
        the writer itself (an ingest listener), which must never wait for its own queue."""
        if threading.current_thread() is self._thread:
            return False
        with self._cond:
            while len(self._queue) >= self.batching.max_queue and not self._closed:
                self._cond.wait()  # back-pressure: the writer is behind, never drop
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.append(moment)
            self._unwritten.add(moment.moment_id)
            self._put += 1
            self.max_depth = max(self.max_depth, len(self._queue))
            self._cond.notify_all()
            return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is written (or given up on)."""
        with self._cond:
            target = self._put
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def wait_for(self, moment_id: str, timeout: float | None = None) -> bool:
        """Wait until ``moment_id`` is no longer queued; True at once if it never was."""
        with self._cond:
            return self._cond.wait_for(lambda: moment_id not in self._unwritten, timeout)

    def close(self, timeout: float | None = 30.0) -> bool:
        """Stop taking moments, write what is queued; True when nothing is left unwritten."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            left = len(self._unwritten)
        if left:
            log.error("exchange log closed with %d moment(s) unwritten", left)
        self._report(force=True)
        return not left

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "queued": len(self._queue),
                "unwritten": len(self._unwritten),
                "max_queued": self.max_depth,
                "written": self.written,
                "failed": self.failed,
                "batches": self.batches,
                "retries": self.retries,
                "last_batch": {
                    "moments": self.last_batch[0],
                    "ms": round(self.last_batch[1] * 1000, 1),
                },
                "closed": self._closed,
            }

    # --- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return  # closed and drained
                if (
                    self.batching.linger
                    and len(self._queue) < self.batching.max_batch
                    and not self._closed
                ):
                    deadline = time.monotonic() + self.batching.linger
                    self._cond.wait_for(
                        lambda: len(self._queue) >= self.batching.max_batch or self._closed,
                        max(deadline - time.monotonic(), 0),
                    )
                batch = [
                    self._queue.popleft()
                    for _ in range(min(self.batching.max_batch, len(self._queue)))
                ]
                self._cond.notify_all()  # room for a waiting put
            written = self._write_with_retries(batch)
            with self._cond:
                self._unwritten.difference_update(m.moment_id for m in batch)
                self._done += len(batch)
                if written:
                    self.written += len(batch)
                else:
                    self.failed += len(batch)
                self._cond.notify_all()
            self._report()

    def _write_with_retries(self, batch: list[Moment]) -> bool:
        delay, last_tries = self.batching.retry_seconds, 3
        while True:
            started = time.perf_counter()
            try:
                self._write(batch)
            except Exception:
                with self._cond:
                    self.retries += 1
                    closing = self._closed
                log.exception(
                    "writing %d exchange moment(s) failed; retrying in %.1f s", len(batch), delay
                )
                if closing:
                    last_tries -= 1
                    if last_tries <= 0:
                        for m in batch:
                            log.error("exchange moment not written: %s", m)
                        return False
                    time.sleep(min(delay, 1.0))
                else:
                    with self._cond:  # a close wakes us for the last tries at once
                        self._cond.wait_for(lambda: self._closed, delay)
                    delay = min(delay * 2, 60.0)
                continue
            with self._cond:
                self.batches += 1
                self.last_batch = (len(batch), time.perf_counter() - started)
            return True

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._reported_at < self.batching.report_every:
            return
        self._reported_at = now
        stats = self.stats()
        behind = (
            stats["queued"] >= self.batching.max_batch
        )  # more than one batch waiting: say it louder
        log.log(
            logging.WARNING if behind else logging.INFO,
            "exchange log: %d written in %d batches, %d failed, %d queued (max %d), "
            "last batch %d in %.0f ms",
            stats["written"],
            stats["batches"],
            stats["failed"],
            stats["queued"],
            stats["max_queued"],
            stats["last_batch"]["moments"],
            stats["last_batch"]["ms"],
        )


class MomentService(MomentsPort):
    def __init__(self, sessions, ingest: Callable[[], Any], clock) -> None:
        """``ingest`` provides the ingest service on first write: answering a question with
        logging off never loads the ingest pipeline, its connectors or the ownership rules."""
        self.sessions = sessions
        self._ingest = ingest
        self.clock = clock
        self.exchange_log: ExchangeLog | None = None  # None: exchanges are written at once
        # Votes are read-modify-write of one moment's meta: the "Not helpful" button's job and
        # its form's job can run at once in two pool threads, and the later write won.
        self._feedback_lock = threading.Lock()

    @property
    def ingest(self):
        return self._ingest()

    def write_behind(self, batching: Batching | None = None) -> ExchangeLog:
        """From now on, write exchanges in batches from a background thread (see the module
        docstring), as ``batching`` says. Idempotent; ``close`` ends it."""
        if self.exchange_log is None:
            self.exchange_log = ExchangeLog(self._store_exchanges, batching)
        return self.exchange_log

    def close(self, timeout: float | None = 30.0) -> bool:
        """Write every queued exchange, then go back to writing at once."""
        exchange_log, self.exchange_log = self.exchange_log, None
        return exchange_log.close(timeout) if exchange_log is not None else True

    def _store_exchanges(self, moments: list[Moment]) -> None:
        by_source: dict[str, list[Moment]] = {}
        for moment in moments:
            by_source.setdefault(f"exchange:{moment.channel}", []).append(moment)
        for source, group in by_source.items():
            summary = self.ingest.add_records(group, source=source)
            for error in summary.errors:  # refused, not failed: writing again would not help
                log.error("an exchange moment was not stored: %s", error)

    def _new_id(self, prefix: str, now: datetime) -> str:
        return f"{prefix}-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"

    def _store(self, moment: Moment, source: str) -> None:
        summary = self.ingest.add_records([moment], source=source)
        if summary.errors:
            reasons = "; ".join(str(e) for e in summary.errors)
            raise MomentError(f"moment {moment.moment_id} was not stored: {reasons}")

    def _require_customer(self, customer_id: str) -> None:
        with self.sessions() as session:
            if get_customer(session, customer_id) is None:
                raise MomentError(
                    f"unknown customer {customer_id!r}: ingest the customer first or pick an existing one"
                )

    def log_exchange(
        self,
        customer_id: str,
        asker: Asker,
        question: str,
        answer: str,
        cited_record_ids: list[str],
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Record a question and its short answer as an 'exchange' moment; returns its id."""
        now = self.clock.now()
        moment = Moment(
            moment_id=self._new_id("x", now),
            customer_id=customer_id,
            occurred_at=now,
            text=exchange_text(question, answer),
            channel="slack" if asker.channel == "slack" else "cli",
            direction="internal",
            author=asker.name,
            origin="exchange",
            url=permalink_url(asker),
            meta={
                "asker_id": asker.id,
                "asker_name": asker.name,
                "question": question,
                "cited_record_ids": list(cited_record_ids),
                "channel_id": asker.channel_id,
                "permalink": asker.permalink,
                "team": asker.team,
                **(meta or {}),
            },
        )
        exchange_log = self.exchange_log
        if exchange_log is None or not exchange_log.put(moment):
            self._store(moment, source=f"exchange:{moment.channel}")
        return moment.moment_id

    def log_moment(
        self,
        customer_id: str,
        text: str,
        asker: Asker,
        channel: str = "slack",
        needs_owner: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> Moment:
        """A moment a person logs (/moment, the message shortcut): evidence like connector data."""
        if not text or not text.strip():
            raise MomentError("a moment needs some text: say what happened")
        self._require_customer(customer_id)
        now = self.clock.now()
        moment = Moment(
            moment_id=self._new_id("m", now),
            customer_id=customer_id,
            occurred_at=now,
            text=text.strip(),
            channel=channel,
            direction="internal",
            author=asker.name,
            origin="logged",
            url=permalink_url(asker),  # the Slack message it was logged from, when there is one
            meta={
                "needs_owner": bool(needs_owner),
                "logged_by_id": asker.id,
                "logged_by": asker.name,
                "channel_id": asker.channel_id,
                "permalink": asker.permalink,
                **(meta or {}),
            },
        )
        self._store(moment, source=f"logged:{channel}")
        return moment

    def set_feedback(
        self, moment_id: str, value: str, user_id: str, reason: str | None = None
    ) -> None:
        """Feedback on an answer, kept in the exchange moment's meta (one vote per user; a
        ``reason``, from the "Not helpful" form, is kept beside it)."""
        if value not in FEEDBACK_VALUES:
            raise MomentError(
                f"feedback must be one of {', '.join(FEEDBACK_VALUES)}, not {value!r}"
            )
        self._wait_for_exchange(moment_id)
        with self._feedback_lock:
            with self.sessions() as session:
                moment = get_moment(session, moment_id)
            if moment is None:
                raise MomentError(
                    f"no moment {moment_id!r}: feedback needs the id of a logged answer"
                )
            feedback = dict(moment.meta.get("feedback") or {})
            vote = {"value": value, "at": self.clock.now().isoformat()}
            earlier = feedback.get(user_id) or {}
            if reason and reason.strip():
                vote["reason"] = reason.strip()[:REASON_CHARS]
            elif earlier.get("value") == value and earlier.get("reason"):
                vote["reason"] = earlier["reason"]  # the same vote again keeps its reason
            feedback[user_id] = vote
            moment.meta = {**moment.meta, "feedback": feedback}
            self._store(moment, source="feedback")

    def feedback_summary(self, since: datetime) -> dict[str, Any]:
        """Answers logged since ``since`` and the votes on them: counts per value, the answers
        with any vote, and the wrong-customer rate (answers voted wrong customer / answers
        voted on; None when nobody voted), for `c360 report`."""
        if self.exchange_log is not None:
            self.exchange_log.flush(timeout=FLUSH_WAIT_SECONDS)
        with self.sessions() as session:
            metas = exchange_meta_since(session, since)
        counts = dict.fromkeys(FEEDBACK_VALUES, 0)
        voted = wrong = 0
        for meta in metas:
            votes = [v.get("value") for v in (meta.get("feedback") or {}).values()]
            votes = [v for v in votes if v in counts]
            for value in votes:
                counts[value] += 1
            voted += bool(votes)
            wrong += "wrong_customer" in votes
        return {
            "answers": len(metas),
            "answers_with_feedback": voted,
            "votes": counts,
            "wrong_customer_rate": round(wrong / voted, 3) if voted else None,
        }

    def _wait_for_exchange(self, moment_id: str) -> None:
        exchange_log = self.exchange_log
        if exchange_log is not None and not exchange_log.wait_for(
            moment_id, timeout=FLUSH_WAIT_SECONDS
        ):
            log.warning("exchange %s is still waiting to be written", moment_id)

    def recent_exchanges(
        self, asker_id: str | None = None, customer_id: str | None = None, limit: int = 10
    ) -> list[Moment]:
        if self.exchange_log is not None:  # read what this process has already logged
            self.exchange_log.flush(timeout=FLUSH_WAIT_SECONDS)
        with self.sessions() as session:
            return exchange_moments(
                session, customer_id=customer_id, asker_id=asker_id, limit=limit
            )
