"""Store functions for ownership alerts: alerts, their events, and the Slack outbox.

Session first, ``select()``/``update()`` statements; callers own the transaction. The two
places where concurrency matters are written as single conditional statements whose rowcount
says who won, so they hold on SQLite and PostgreSQL alike:

- a claim is ``UPDATE ... WHERE owner_id IS NULL AND status = 'open'``: under PostgreSQL's
  READ COMMITTED the second of two concurrent updates waits for the first and re-checks the
  WHERE clause on the new row, so exactly one click wins; SQLite serialises writers.
- work for a worker (due timers, unsent messages) is taken with ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, and with a conditional lease ``UPDATE`` on SQLite (which has no row locks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import AlertEventRow, AlertRow, ComplaintRow, CustomerRow, MomentRow, OutboxRow


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything stored is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- reads the rules need -----------------------------------------------------------------
def get_customer(session: Session, customer_id: str) -> CustomerRow | None:
    return session.get(CustomerRow, customer_id)


def count_inbound_moments(
    session: Session, customer_id: str, since: datetime, until: datetime
) -> list[str]:
    """Ids of the customer's inbound moments in ``(since, until]``; logged Q&A exchanges are
    history, not contact, so they never count."""
    stmt = (
        select(MomentRow.moment_id)
        .where(
            MomentRow.customer_id == customer_id,
            MomentRow.direction == "inbound",
            MomentRow.origin != "exchange",
            MomentRow.occurred_at > since,
            MomentRow.occurred_at <= until,
        )
        .order_by(MomentRow.occurred_at.desc())
    )
    return list(session.scalars(stmt))


def open_complaint_ids(session: Session, customer_id: str, limit: int = 3) -> list[str]:
    stmt = (
        select(ComplaintRow.complaint_id)
        .where(
            ComplaintRow.customer_id == customer_id,
            ComplaintRow.status.in_(("open", "in_progress")),
        )
        .order_by(ComplaintRow.opened_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_open_complaints(session: Session, customer_id: str) -> int:
    stmt = select(func.count()).where(
        ComplaintRow.customer_id == customer_id, ComplaintRow.status.in_(("open", "in_progress"))
    )
    return int(session.scalar(stmt) or 0)


def moments_since(session: Session, since: datetime, limit: int = 100_000) -> list[MomentRow]:
    stmt = (
        select(MomentRow)
        .where(MomentRow.occurred_at >= since)
        .order_by(MomentRow.occurred_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def complaints_since(session: Session, since: datetime, limit: int = 100_000) -> list[ComplaintRow]:
    stmt = (
        select(ComplaintRow)
        .where(ComplaintRow.opened_at >= since)
        .order_by(ComplaintRow.opened_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# --- alerts --------------------------------------------------------------------------------
def get_alert(session: Session, alert_id: str) -> AlertRow | None:
    return session.get(AlertRow, alert_id)


def alert_for_record(session: Session, record_id: str) -> AlertRow | None:
    return session.scalar(select(AlertRow).where(AlertRow.record_id == record_id))


def has_unresolved_alert(session: Session, customer_id: str, rule: str) -> bool:
    stmt = select(AlertRow.alert_id).where(
        AlertRow.customer_id == customer_id, AlertRow.rule == rule, AlertRow.status != "resolved"
    )
    return session.scalar(stmt.limit(1)) is not None


def insert_alert(session: Session, values: dict[str, Any]) -> bool:
    """Insert an alert; False when one exists for the record already (re-ingest, a second
    process evaluating the same batch). A savepoint keeps the caller's transaction usable."""
    try:
        with session.begin_nested():
            session.execute(insert(AlertRow), [values])
        return True
    except IntegrityError:
        return False


def add_event(
    session: Session,
    alert_id: str,
    kind: str,
    at: datetime,
    actor_id: str | None = None,
    actor_name: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.execute(
        insert(AlertEventRow),
        [
            {
                "alert_id": alert_id,
                "kind": kind,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "detail": detail or {},
                "at": at,
            }
        ],
    )


def events(session: Session, alert_id: str) -> list[AlertEventRow]:
    stmt = (
        select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by(AlertEventRow.id)
    )
    return list(session.scalars(stmt))


def claim(
    session: Session, alert_id: str, owner: dict[str, Any], now: datetime, remind_at: datetime
) -> bool:
    """The atomic claim: True for exactly one caller among any number of concurrent ones."""
    stmt = (
        update(AlertRow)
        .where(
            AlertRow.alert_id == alert_id, AlertRow.owner_id.is_(None), AlertRow.status == "open"
        )
        .values(
            owner_id=owner["id"],
            owner_name=owner.get("name"),
            owner_team=owner.get("team"),
            status="owned",
            owned_at=now,
            first_owned_at=func.coalesce(AlertRow.first_owned_at, now),
            first_owner_team=func.coalesce(AlertRow.first_owner_team, owner.get("team")),
            escalate_due_at=None,
            remind_due_at=remind_at,
            reminders=0,
            snoozed_until=None,
            snoozed_by=None,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def assign(
    session: Session, alert_id: str, owner: dict[str, Any], now: datetime, remind_at: datetime
) -> bool:
    """Give the alert to ``owner`` whoever holds it now; False when it is resolved."""
    stmt = (
        update(AlertRow)
        .where(AlertRow.alert_id == alert_id, AlertRow.status != "resolved")
        .values(
            owner_id=owner["id"],
            owner_name=owner.get("name"),
            owner_team=owner.get("team"),
            status="owned",
            owned_at=now,
            first_owned_at=func.coalesce(AlertRow.first_owned_at, now),
            first_owner_team=func.coalesce(AlertRow.first_owner_team, owner.get("team")),
            escalate_due_at=None,
            remind_due_at=remind_at,
            reminders=0,
            snoozed_until=None,
            snoozed_by=None,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def release(
    session: Session, alert_id: str, owner_id: str, now: datetime, escalate_at: datetime
) -> bool:
    """Only the current owner releases; the alert is open again and its escalation restarts."""
    stmt = (
        update(AlertRow)
        .where(
            AlertRow.alert_id == alert_id, AlertRow.owner_id == owner_id, AlertRow.status == "owned"
        )
        .values(
            owner_id=None,
            owner_name=None,
            owner_team=None,
            owned_at=None,
            status="open",
            remind_due_at=None,
            escalate_due_at=escalate_at,
            escalations=0,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def snooze(session: Session, alert_id: str, user_id: str, until: datetime, now: datetime) -> bool:
    """Pause the alert's timer until ``until``: the escalation of an open alert, the
    reminder of an owned one."""
    alert = session.get(AlertRow, alert_id, with_for_update=is_postgres(session))
    if alert is None or alert.status == "resolved":
        return False
    values: dict[str, Any] = {
        "snoozed_until": until,
        "snoozed_by": user_id,
        "version": AlertRow.version + 1,
        "updated_at": now,
    }
    if alert.status == "open":
        values["escalate_due_at"] = until
    else:
        values["remind_due_at"] = until
    stmt = (
        update(AlertRow)
        .where(
            AlertRow.alert_id == alert_id,
            AlertRow.status == alert.status,
            AlertRow.version == alert.version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def resolve(session: Session, alert_id: str, user_id: str, now: datetime) -> bool:
    stmt = (
        update(AlertRow)
        .where(AlertRow.alert_id == alert_id, AlertRow.status != "resolved")
        .values(
            status="resolved",
            resolved_at=now,
            resolved_by=user_id,
            escalate_due_at=None,
            remind_due_at=None,
            snoozed_until=None,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def alerts_owned_by(session: Session, user_id: str, limit: int = 20) -> list[AlertRow]:
    stmt = (
        select(AlertRow)
        .where(AlertRow.owner_id == user_id, AlertRow.status == "owned")
        .order_by(AlertRow.owned_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def alerts_waiting(session: Session, limit: int = 20) -> list[AlertRow]:
    stmt = (
        select(AlertRow).where(AlertRow.status == "open").order_by(AlertRow.created_at).limit(limit)
    )
    return list(session.scalars(stmt))


def alerts_created_since(session: Session, since: datetime) -> list[AlertRow]:
    stmt = select(AlertRow).where(AlertRow.created_at >= since).order_by(AlertRow.created_at)
    return list(session.scalars(stmt))


def customer_names(session: Session, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    stmt = select(CustomerRow.customer_id, CustomerRow.name).where(
        CustomerRow.customer_id.in_(list(set(ids)))
    )
    return dict(session.execute(stmt).all())


# --- timers --------------------------------------------------------------------------------
def due_escalations(session: Session, now: datetime, limit: int = 50) -> list[AlertRow]:
    """Open alerts whose escalation is due. On PostgreSQL the rows stay locked (skipping rows
    another worker holds) until the caller's transaction ends."""
    stmt = (
        select(AlertRow)
        .where(
            AlertRow.status == "open",
            AlertRow.escalate_due_at.is_not(None),
            AlertRow.escalate_due_at <= now,
        )
        .order_by(AlertRow.escalate_due_at)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def due_reminders(session: Session, now: datetime, limit: int = 50) -> list[AlertRow]:
    stmt = (
        select(AlertRow)
        .where(
            AlertRow.status == "owned",
            AlertRow.remind_due_at.is_not(None),
            AlertRow.remind_due_at <= now,
        )
        .order_by(AlertRow.remind_due_at)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def advance_escalation(
    session: Session, alert: AlertRow, next_due: datetime | None, now: datetime
) -> bool:
    """Move the escalation timer on, only if nobody did it since ``alert`` was read (the
    SQLite lease; on PostgreSQL the row lock already guarantees it)."""
    stmt = (
        update(AlertRow)
        .where(
            AlertRow.alert_id == alert.alert_id,
            AlertRow.status == "open",
            AlertRow.escalations == alert.escalations,
            AlertRow.version == alert.version,
        )
        .values(
            escalations=alert.escalations + 1,
            escalate_due_at=next_due,
            snoozed_until=None,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


def advance_reminder(
    session: Session, alert: AlertRow, next_due: datetime | None, now: datetime
) -> bool:
    stmt = (
        update(AlertRow)
        .where(
            AlertRow.alert_id == alert.alert_id,
            AlertRow.status == "owned",
            AlertRow.reminders == alert.reminders,
            AlertRow.version == alert.version,
        )
        .values(
            reminders=alert.reminders + 1,
            remind_due_at=next_due,
            snoozed_until=None,
            version=AlertRow.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).rowcount == 1


# --- outbox --------------------------------------------------------------------------------
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
    try:
        with session.begin_nested():
            session.execute(
                insert(OutboxRow),
                [
                    {
                        "dedupe_key": dedupe_key,
                        "alert_id": alert_id,
                        "action": action,
                        "target": target,
                        "payload": payload or {},
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                ],
            )
        return True
    except IntegrityError:
        return False


def lease_outbox(
    session: Session,
    worker_id: str,
    now: datetime,
    lease: timedelta,
    keys: Sequence[str] | None = None,
    limit: int = 20,
    max_attempts: int = 8,
) -> list[OutboxRow]:
    """Take unsent messages for this worker: pending ones, and ones another worker took but
    whose lease ran out (it died, or hangs). Each taken row counts an attempt, so the sender
    knows when an earlier attempt may have reached Slack."""
    free = or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)
    wanted = and_(
        OutboxRow.status.in_(("pending", "sending")), free, OutboxRow.attempts < max_attempts
    )
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
    rows = list(
        session.scalars(
            select(OutboxRow)
            .where(OutboxRow.dedupe_key.in_(taken))
            .order_by(OutboxRow.created_at, OutboxRow.dedupe_key)
        )
    )
    for row in rows:
        session.refresh(row)
    return rows


def mark_sent(
    session: Session,
    dedupe_key: str,
    worker_id: str,
    channel_id: str | None,
    ts: str | None,
    now: datetime,
) -> bool:
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


def posted_messages(session: Session, alert_id: str) -> list[OutboxRow]:
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
    return list(session.scalars(stmt))


def outbox_rows(session: Session, alert_id: str | None = None) -> list[OutboxRow]:
    stmt = select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.dedupe_key)
    if alert_id is not None:
        stmt = stmt.where(OutboxRow.alert_id == alert_id)
    return list(session.scalars(stmt))


def unsent_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).where(OutboxRow.status.in_(("pending", "sending"))))
        or 0
    )
