"""Moments written by the product itself: every question/answer exchange (history, never
evidence), moments a person logs by hand (evidence, like connector data), and feedback on an
answer. All writes go through ``IngestService.add_records`` so they are stored, chunked,
embedded and indexed exactly like connector data (and ownership rules see them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from c360.domain import Asker, Moment
from prompts.brief import exchange_text
from store.queries import exchange_moments, get_customer, get_moment

FEEDBACK_VALUES = ("helpful", "not_helpful", "wrong_customer")


class MomentError(ValueError):
    """A moment could not be written; the message says what to change."""


class MomentService:
    def __init__(self, sessions, ingest, clock) -> None:
        self.sessions = sessions
        self.ingest = ingest
        self.clock = clock

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

    def set_feedback(self, moment_id: str, value: str, user_id: str) -> None:
        """Feedback on an answer, kept in the exchange moment's meta (one vote per user)."""
        if value not in FEEDBACK_VALUES:
            raise MomentError(
                f"feedback must be one of {', '.join(FEEDBACK_VALUES)}, not {value!r}"
            )
        with self.sessions() as session:
            moment = get_moment(session, moment_id)
        if moment is None:
            raise MomentError(f"no moment {moment_id!r}: feedback needs the id of a logged answer")
        feedback = dict(moment.meta.get("feedback") or {})
        feedback[user_id] = {"value": value, "at": self.clock.now().isoformat()}
        moment.meta = {**moment.meta, "feedback": feedback}
        self._store(moment, source="feedback")

    def recent_exchanges(
        self, asker_id: str | None = None, customer_id: str | None = None, limit: int = 10
    ) -> list[Moment]:
        with self.sessions() as session:
            return exchange_moments(
                session, customer_id=customer_id, asker_id=asker_id, limit=limit
            )
