"""Store functions for the Slack outbox of ownership alerts: every message is a row with a
unique ``dedupe_key``, recorded pending, leased by one worker, marked sent.

Session first; callers own the transaction; rows come back as ``c360.domain.OutboxMessage``.
Unsent messages are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and with a
conditional lease ``UPDATE`` on SQLite (which has no row locks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c360.domain import OutboxMessage, utc
from store.models import OutboxRow
from store.ownership import is_postgres


def _message(row: OutboxRow) -> OutboxMessage:
    values = {name: getattr(row, name) for name in OutboxMessage.__dataclass_fields__}
    for name in ("created_at", "lease_until", "sent_at"):
        values[name] = utc(values[name])
    values["payload"], values["attempts"] = dict(row.payload or {}), row.attempts or 0
    return OutboxMessage(**values)


def _messages(session: Session, stmt) -> list[OutboxMessage]:
    # populate_existing: the conditional UPDATEs below bypass the identity map.
    return [_message(r) for r in session.scalars(stmt.execution_options(populate_existing=True))]


def enqueue(
    session: Session,
    dedupe_key: str,
    alert_id: str,
    action: str,
    now: datetime,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Record a message to send. False when the key exists: the same message is never queued
    twice, whoever asks."""
    row = {"dedupe_key": dedupe_key, "alert_id": alert_id, "action": action, "target": target}
    try:
        with session.begin_nested():
            session.execute(
                insert(OutboxRow),
                [
                    {
                        **row,
                        "payload": payload or {},
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                ],  # fmt: skip
            )
        return True
    except IntegrityError:
        return False


def exists(session: Session, dedupe_key: str) -> bool:
    """Whether a message with this key was ever queued (sent or not)."""
    stmt = select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key == dedupe_key)
    return session.scalar(stmt) is not None


def _takeable(now: datetime, max_attempts: int):
    """Unsent, and no worker holds it (never taken, or its lease ran out)."""
    free = or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)
    return and_(
        OutboxRow.status.in_(("pending", "sending")), free, OutboxRow.attempts < max_attempts
    )


def waiting_posts(session: Session, now: datetime, max_attempts: int = 8) -> list[OutboxMessage]:
    """First posts of alerts that a worker could take now, oldest first (read only: taking
    them is ``lease_outbox``'s job)."""
    stmt = (
        select(OutboxRow)
        .where(OutboxRow.action == "post_alert", _takeable(now, max_attempts))
        .order_by(OutboxRow.created_at, OutboxRow.dedupe_key)
    )
    return _messages(session, stmt)


def lease_outbox(
    session: Session,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    keys: Sequence[str] | None = None,
    limit: int = 20,
    max_attempts: int = 8,
) -> list[OutboxMessage]:
    """Take unsent messages for this worker: pending ones, and ones another worker took but
    whose lease ran out (it died, or hangs). Each taken row counts an attempt, so the sender
    knows when an earlier attempt may have reached Slack."""
    wanted = _takeable(now, max_attempts)
    stmt = select(OutboxRow.dedupe_key).where(wanted)
    if keys is not None:
        stmt = stmt.where(OutboxRow.dedupe_key.in_(list(keys)))
    stmt = stmt.order_by(OutboxRow.created_at, OutboxRow.dedupe_key).limit(limit)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = list(session.scalars(stmt))
    taken: list[str] = []
    for key in candidates:
        # On PostgreSQL the row is locked already; on SQLite this conditional UPDATE is the lease.
        result = session.execute(
            update(OutboxRow)
            .where(OutboxRow.dedupe_key == key, wanted)
            .values(
                status="sending",
                lease_owner=worker_id,
                lease_until=now + lease,
                attempts=OutboxRow.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            taken.append(key)
    if not taken:
        return []
    stmt = select(OutboxRow).where(OutboxRow.dedupe_key.in_(taken))
    return _messages(session, stmt.order_by(OutboxRow.created_at, OutboxRow.dedupe_key))


def mark_sent(
    session: Session,
    dedupe_key: str,
    worker_id: str,
    channel_id: str | None,
    ts: str | None,
    now: datetime,
) -> bool:
    """Only the worker holding the lease marks the message sent."""
    stmt = (
        update(OutboxRow)
        .where(
            OutboxRow.dedupe_key == dedupe_key,
            OutboxRow.lease_owner == worker_id,
            OutboxRow.status == "sending",
        )
        .values(
            status="sent",
            channel_id=channel_id,
            ts=ts,
            sent_at=now,
            lease_until=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def mark_failed(
    session: Session, dedupe_key: str, worker_id: str, error: str, retry_at: datetime, final: bool
) -> None:
    """A send that Slack refused: retried after ``retry_at`` unless ``final``."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.dedupe_key == dedupe_key, OutboxRow.lease_owner == worker_id)
        .values(
            status="failed" if final else "sending", last_error=error[:2000], lease_until=retry_at
        )
        .execution_options(synchronize_session=False)
    )


def posted_messages(session: Session, alert_id: str) -> list[OutboxMessage]:
    """The channel messages that show this alert (the first post and any escalation re-posts),
    so a change of state updates every copy."""
    stmt = (
        select(OutboxRow)
        .where(
            OutboxRow.alert_id == alert_id,
            OutboxRow.action.in_(("post_alert", "escalate")),
            OutboxRow.status == "sent",
            OutboxRow.ts.is_not(None),
        )
        .order_by(OutboxRow.sent_at)
    )
    return _messages(session, stmt)


def outbox_messages(session: Session, alert_id: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.dedupe_key)
    if alert_id is not None:
        stmt = stmt.where(OutboxRow.alert_id == alert_id)
    return _messages(session, stmt)


def unsent_count(session: Session) -> int:
    pending = OutboxRow.status.in_(("pending", "sending"))
    return int(session.scalar(select(func.count()).where(pending)) or 0)
