"""Slack delivery state in the ``processed_events`` table: which events were already handled
(dedupe of Slack's retries, holding across processes) and which customer a bot thread is about.

The table is a small key space: ``event:<event_id>`` marks a handled event; a thread's customer
is ``thread:<channel>:<thread_ts>=<customer_id>`` (looked up by key range on the primary key, so
no extra table is needed). Functions take the session first; callers own the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import ProcessedEventRow

MAX_KEY = 255


def claim_event(session: Session, key: str, now: datetime) -> bool:
    """Insert ``key``; True if this call inserted it (first delivery), False if it was there."""
    if len(key) > MAX_KEY:
        raise ValueError(f"event key longer than {MAX_KEY} characters: {key[:40]}...")
    dialect = session.get_bind().dialect.name
    values = {"event_key": key, "received_at": now}
    if dialect == "sqlite":
        stmt = sqlite_insert(ProcessedEventRow).values(**values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        stmt = pg_insert(ProcessedEventRow).values(**values).on_conflict_do_nothing()
    else:  # any other database: rely on the primary key
        from sqlalchemy.exc import IntegrityError

        try:
            with session.begin_nested():
                session.add(ProcessedEventRow(**values))
            return True
        except IntegrityError:
            return False
    # RETURNING, not rowcount: under SQLAlchemy 2.1 + psycopg an INSERT's rowcount reads -1,
    # which made every PostgreSQL delivery look like a retry.
    return session.execute(stmt.returning(ProcessedEventRow.event_key)).first() is not None


def _thread_prefix(channel_id: str, thread_ts: str) -> str:
    return f"thread:{channel_id}:{thread_ts}="


def remember_thread(
    session: Session, channel_id: str, thread_ts: str, customer_id: str, now: datetime
) -> None:
    """Record that the thread is about ``customer_id`` (the newest answer wins)."""
    prefix = _thread_prefix(channel_id, thread_ts)
    session.execute(
        delete(ProcessedEventRow).where(
            ProcessedEventRow.event_key >= prefix, ProcessedEventRow.event_key < prefix + "\uffff"
        )
    )
    session.add(ProcessedEventRow(event_key=(prefix + customer_id)[:MAX_KEY], received_at=now))


def thread_customer(session: Session, channel_id: str, thread_ts: str) -> str | None:
    prefix = _thread_prefix(channel_id, thread_ts)
    key = session.scalars(
        select(ProcessedEventRow.event_key)
        .where(
            ProcessedEventRow.event_key >= prefix, ProcessedEventRow.event_key < prefix + "\uffff"
        )
        .order_by(ProcessedEventRow.received_at.desc())
        .limit(1)
    ).first()
    return key[len(prefix) :] if key else None


def forget_events_before(session: Session, cutoff: datetime) -> int:
    """Drop event marks older than ``cutoff`` (Slack retries within minutes; days are plenty)."""
    result = session.execute(
        delete(ProcessedEventRow).where(
            ProcessedEventRow.event_key.like("event:%"), ProcessedEventRow.received_at < cutoff
        )
    )
    return result.rowcount or 0
