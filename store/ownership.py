"""Store functions for ownership alerts and their events (the outbox is ``store/outbox.py``).

Session first, ``select()``/``update()`` statements; callers own the transaction; what comes
back is a domain value (``c360.domain.Alert``/``AlertEvent``, or the records the rules read),
never an ORM row. Every change of state is one conditional ``UPDATE`` whose rowcount says
whether it happened, so it holds on SQLite and PostgreSQL alike:

- a claim is ``UPDATE ... WHERE owner_id IS NULL AND status = 'open'``: under PostgreSQL's
  READ COMMITTED the second of two concurrent updates waits for the first and re-checks the
  WHERE clause on the new row, so exactly one click wins; SQLite serialises writers.
- due timers are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; moving a timer on is
  version-checked everywhere (SQLite has no row locks, the version is its lease).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c360.domain import OPEN_STATUSES, Alert, AlertEvent, Complaint, Moment, Person, utc
from store.models import AlertEventRow, AlertRow, ComplaintRow, MomentRow
from store.queries import complaint_from_row, moment_from_row, record_from_row


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _alert(row) -> Alert:
    return record_from_row(Alert, row)


def _alerts(session: Session, stmt) -> list[Alert]:
    return [_alert(row) for row in session.execute(stmt)]


_ALERTS = AlertRow.__table__


# --- reads the rules need -----------------------------------------------------------------
def inbound_moment_ids(
    session: Session, customer_id: str, since: datetime, until: datetime
) -> list[str]:
    """Ids of the customer's inbound moments in ``(since, until]``, newest first; logged Q&A
    exchanges are history, not contact, so they never count."""
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


def newest_open_complaint_ids(session: Session, customer_id: str, limit: int = 3) -> list[str]:
    """The customer's most recently opened open complaints (an alert cites a few)."""
    stmt = (
        select(ComplaintRow.complaint_id)
        .where(
            ComplaintRow.customer_id == customer_id,
            ComplaintRow.status.in_(OPEN_STATUSES),
        )
        .order_by(ComplaintRow.opened_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_open_complaints(session: Session, customer_id: str) -> int:
    stmt = select(func.count()).where(
        ComplaintRow.customer_id == customer_id, ComplaintRow.status.in_(OPEN_STATUSES)
    )
    return int(session.scalar(stmt) or 0)


def _since(session: Session, row_class, column, since: datetime, limit: int) -> list:
    return list(
        session.scalars(select(row_class).where(column >= since).order_by(column).limit(limit))
    )


def moments_since(session: Session, since: datetime, limit: int = 100_000) -> list[Moment]:
    rows = _since(session, MomentRow, MomentRow.occurred_at, since, limit)
    return [moment_from_row(row) for row in rows]


def complaints_since(session: Session, since: datetime, limit: int = 100_000) -> list[Complaint]:
    rows = _since(session, ComplaintRow, ComplaintRow.opened_at, since, limit)
    return [complaint_from_row(row) for row in rows]


# --- alerts --------------------------------------------------------------------------------
def get_alert(session: Session, alert_id: str, lock: bool = False) -> Alert | None:
    """The alert as stored now (read past the session's identity map, so it is never stale).
    ``lock`` holds the row until the transaction ends on PostgreSQL."""
    stmt = select(_ALERTS).where(AlertRow.alert_id == alert_id)
    if lock and is_postgres(session):
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    return _alert(row) if row is not None else None


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


def add_event(session: Session, event: AlertEvent) -> None:
    session.execute(insert(AlertEventRow), [asdict(event)])


def events(session: Session, alert_id: str) -> list[AlertEvent]:
    stmt = (
        select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by(AlertEventRow.id)
    )
    return [
        AlertEvent(e.alert_id, e.kind, utc(e.at), e.actor_id, e.actor_name, dict(e.detail or {}))
        for e in session.scalars(stmt)
    ]


def alerts_owned_by(session: Session, user_id: str, limit: int = 20) -> list[Alert]:
    stmt = (
        select(_ALERTS)
        .where(AlertRow.owner_id == user_id, AlertRow.status == "owned")
        .order_by(AlertRow.owned_at.desc())
        .limit(limit)
    )
    return _alerts(session, stmt)


def alerts_waiting(session: Session, limit: int = 20) -> list[Alert]:
    stmt = select(_ALERTS).where(AlertRow.status == "open").order_by(AlertRow.created_at)
    return _alerts(session, stmt.limit(limit))


def count_alerts(session: Session, status: str, owner_id: str | None = None) -> int:
    """How many alerts are in ``status`` (and, given ``owner_id``, owned by them)."""
    stmt = select(func.count()).select_from(AlertRow).where(AlertRow.status == status)
    if owner_id is not None:
        stmt = stmt.where(AlertRow.owner_id == owner_id)
    return int(session.scalar(stmt) or 0)


def alerts_created_since(session: Session, since: datetime) -> list[Alert]:
    stmt = select(_ALERTS).where(AlertRow.created_at >= since).order_by(AlertRow.created_at)
    return _alerts(session, stmt)


# --- transitions: one conditional UPDATE each ------------------------------------------------
def _change(session: Session, alert_id: str, conditions: tuple, values: dict[str, Any]):
    """Apply ``values`` (and bump the version) when ``conditions`` hold; the alert after the
    change, or None when it did not happen (someone else changed it first)."""
    stmt = (
        update(AlertRow)
        .where(AlertRow.alert_id == alert_id, *conditions)
        .values(**values, version=AlertRow.version + 1)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount != 1:
        return None
    return get_alert(session, alert_id)


def _owned_by(owner: Person, now: datetime, remind_at: datetime) -> dict[str, Any]:
    team = owner.team
    return {
        "owner_id": owner.id,
        "owner_name": owner.name,
        "owner_team": team,
        "status": "owned",
        "owned_at": now,
        "first_owned_at": func.coalesce(AlertRow.first_owned_at, now),
        "first_owner_team": func.coalesce(AlertRow.first_owner_team, team),
        "escalate_due_at": None,
        "remind_due_at": remind_at,
        "reminders": 0,
        "snoozed_until": None,
        "snoozed_by": None,
        "updated_at": now,
    }


def claim(
    session: Session, alert_id: str, owner: Person, now: datetime, remind_at: datetime
) -> Alert | None:
    """The atomic claim: the owned alert for exactly one caller among any number of
    concurrent ones, None for the others."""
    unowned = (AlertRow.owner_id.is_(None), AlertRow.status == "open")
    return _change(session, alert_id, unowned, _owned_by(owner, now, remind_at))


def assign(
    session: Session, alert_id: str, owner: Person, now: datetime, remind_at: datetime
) -> Alert | None:
    """Give the alert to ``owner`` whoever holds it now; None when it is resolved."""
    unresolved = (AlertRow.status != "resolved",)
    return _change(session, alert_id, unresolved, _owned_by(owner, now, remind_at))


def release(
    session: Session, alert_id: str, owner_id: str, now: datetime, escalate_at: datetime
) -> Alert | None:
    """Only the current owner releases; the alert is open again and its escalation restarts."""
    held = (AlertRow.owner_id == owner_id, AlertRow.status == "owned")
    values = {
        **dict.fromkeys(("owner_id", "owner_name", "owner_team", "owned_at", "remind_due_at")),
        "status": "open",
        "escalate_due_at": escalate_at,
        "escalations": 0,
        "updated_at": now,
    }
    return _change(session, alert_id, held, values)


def snooze(
    session: Session, alert_id: str, user_id: str, until: datetime, now: datetime
) -> Alert | None:
    """Pause the alert's timer until ``until``: the escalation of an open alert, the
    reminder of an owned one. Read locked (PostgreSQL) and written version-checked."""
    alert = get_alert(session, alert_id, lock=True)
    if alert is None or alert.status == "resolved":
        return None
    timer = "escalate_due_at" if alert.status == "open" else "remind_due_at"
    values = {"snoozed_until": until, "snoozed_by": user_id, timer: until, "updated_at": now}
    unchanged = (AlertRow.status == alert.status, AlertRow.version == alert.version)
    return _change(session, alert_id, unchanged, values)


def resolve(session: Session, alert_id: str, user_id: str, now: datetime) -> Alert | None:
    values = {
        "status": "resolved",
        "resolved_at": now,
        "resolved_by": user_id,
        **dict.fromkeys(("escalate_due_at", "remind_due_at", "snoozed_until")),
        "updated_at": now,
    }
    return _change(session, alert_id, (AlertRow.status != "resolved",), values)


# --- timers --------------------------------------------------------------------------------
def _due(session: Session, status: str, column, now: datetime, limit: int) -> list[Alert]:
    stmt = (
        select(_ALERTS)
        .where(AlertRow.status == status, column.is_not(None), column <= now)
        .order_by(column)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return _alerts(session, stmt)


def due_escalations(session: Session, now: datetime, limit: int = 50) -> list[Alert]:
    """Open alerts whose escalation is due. On PostgreSQL the rows stay locked (skipping rows
    another worker holds) until the caller's transaction ends."""
    return _due(session, "open", AlertRow.escalate_due_at, now, limit)


def due_reminders(session: Session, now: datetime, limit: int = 50) -> list[Alert]:
    """Owned alerts whose reminder is due (locked like ``due_escalations``)."""
    return _due(session, "owned", AlertRow.remind_due_at, now, limit)


def _advance(
    session: Session, alert: Alert, status: str, counter: str, timer: str, next_due, now
) -> bool:
    """Count one more firing of ``alert``'s timer and set its next due time, only if nobody did
    since ``alert`` was read (the SQLite lease; on PostgreSQL the row lock already holds it)."""
    fired = getattr(alert, counter)
    unchanged = (
        AlertRow.status == status,
        getattr(AlertRow, counter) == fired,
        AlertRow.version == alert.version,
    )
    values = {counter: fired + 1, timer: next_due, "snoozed_until": None, "updated_at": now}
    return _change(session, alert.alert_id, unchanged, values) is not None


def advance_escalation(
    session: Session, alert: Alert, next_due: datetime | None, now: datetime
) -> bool:
    """Move an open alert's escalation timer on (version-checked, see ``_advance``)."""
    return _advance(session, alert, "open", "escalations", "escalate_due_at", next_due, now)


def advance_reminder(
    session: Session, alert: Alert, next_due: datetime | None, now: datetime
) -> bool:
    """Move an owned alert's reminder timer on (version-checked, see ``_advance``)."""
    return _advance(session, alert, "owned", "reminders", "remind_due_at", next_due, now)
