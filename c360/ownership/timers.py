"""Timers and the worker loop: escalation (unclaimed too long -> re-post with a mention) and
reminders (owned but unresolved -> DM the owner) are ``due_at`` columns a worker picks up with
row locks; each firing becomes an outbox message, which ``outbox.deliver`` sends. The daily
at-risk digests (``atrisk.schedule_due``) are queued the same way, keyed by channel and day.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from c360.domain import AlertEvent
from c360.ownership import atrisk, outbox
from c360.ownership.types import Escalation, Ping
from c360.safety.escaping import is_user_id
from prompts import ownership as words
from store import ownership as db
from store import queries
from store.outbox import enqueue, unsent_count

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService

log = logging.getLogger(__name__)


def fire_timers(ctx: OwnershipService) -> int:
    """Turn due escalations and reminders into outbox messages. Each firing moves its timer
    on in the same transaction (row-locked on PostgreSQL, version-checked everywhere), so
    two workers never fire the same timer twice."""
    settings = ctx.settings
    now = ctx.clock.now()
    escalate_after = timedelta(minutes=settings.escalate_after_minutes)
    remind_after = timedelta(hours=settings.remind_after_hours)
    fired = 0
    with ctx.sessions() as session, session.begin():
        for alert in db.due_escalations(session, now):
            woke = alert.snoozed_until is not None
            n = alert.escalations + 1
            if n > settings.max_escalations and not woke:
                db.advance_escalation(session, alert, None, now)  # enough re-posts: stop
                continue
            next_due = now + escalate_after if n < settings.max_escalations else None
            if not db.advance_escalation(session, alert, next_due, now):
                continue
            ping = escalation_ping(ctx, session, alert.customer_id, first=alert.escalations == 0)
            minutes = int((now - alert.created_at).total_seconds() // 60)
            note = words.escalation_note(minutes, after_snooze=woke)
            payload = {**Escalation(ping, note).to_payload(), "n": n}
            key = f"escalate:{alert.alert_id}:v{alert.version + 1}"
            channel = settings.alerts_channel
            enqueue(session, key, alert.alert_id, "escalate", now, channel, payload)
            detail = {"n": n, "mention": ping.target if ping else None, "after_snooze": woke}
            db.add_event(session, AlertEvent(alert.alert_id, "escalated", now, detail=detail))
            fired += 1
        for alert in db.due_reminders(session, now):
            n = alert.reminders + 1
            if n > settings.max_reminders:
                db.advance_reminder(session, alert, None, now)
                continue
            next_due = now + remind_after if n < settings.max_reminders else None
            if not db.advance_reminder(session, alert, next_due, now):
                continue
            key = f"remind:{alert.alert_id}:v{alert.version + 1}"
            enqueue(session, key, alert.alert_id, "remind", now, alert.owner_id, {"n": n})
            detail = {"n": n, "owner": alert.owner_id}
            db.add_event(session, AlertEvent(alert.alert_id, "reminder_due", now, detail=detail))
            fired += 1
    return fired


def escalation_ping(
    ctx: OwnershipService, session, customer_id: str, first: bool = True
) -> Ping | None:
    """Who an escalation mentions: the configured group, else the customer's account owner,
    through the rules file's ``owners:`` mapping to a Slack user id (a CRM handle such as
    "@hannah.kim" pings nobody). Stored as the id (or whatever text the record holds) with its
    name; the bot builds the mention, which pings only a well-formed Slack id and shows any
    other text escaped. An owner with no mapping is named, and the first escalation says so."""
    group = ctx.settings.escalation_group
    if group:
        return Ping(group, words.escalation_group(group))
    customer = queries.get_customer(session, customer_id)
    if customer and customer.owner:
        user_id = ctx.rules.slack_user_for(customer.owner)
        if user_id:
            return Ping(user_id, words.account_owner(customer.owner))
        if first and not is_user_id(customer.owner):
            return Ping(customer.owner, words.account_owner_unmapped(customer.owner))
        return Ping(customer.owner, words.account_owner(customer.owner))
    return None


def run_once(ctx: OwnershipService, limit: int = 50) -> dict[str, int]:
    fired = fire_timers(ctx)
    fired += len(atrisk.schedule_due(ctx))  # the daily digests whose time has come
    sent = outbox.deliver_digests(ctx, worker_id=ctx.worker_id)  # a backlog: one message
    sent += outbox.deliver(ctx, limit=limit, worker_id=ctx.worker_id)
    return {"fired": fired, "sent": sent}


def run_worker(
    ctx: OwnershipService,
    stop: threading.Event | None = None,
    poll_seconds: float | None = None,
    max_loops: int | None = None,
) -> None:
    """The `c360 worker` loop: fire due timers, send unsent messages, sleep, repeat."""
    stop = stop or threading.Event()
    poll = ctx.settings.worker_poll_seconds if poll_seconds is None else poll_seconds
    loops = 0
    while not stop.is_set():
        busy = False
        try:
            done = ctx.run_once()
            busy = bool(done["fired"] or done["sent"])
            if busy:
                log.info(
                    "worker: %d timer(s) fired, %d message(s) sent", done["fired"], done["sent"]
                )
        except Exception:  # keep the worker alive through a database or Slack hiccup
            log.exception("worker pass failed; retrying in %.1fs", poll)
        loops += 1
        if max_loops is not None and loops >= max_loops:
            return
        if not busy:  # more may be waiting right away when this pass did work
            stop.wait(poll)


def pending_messages(ctx: OwnershipService) -> int:
    with ctx.sessions() as session:
        return unsent_count(session)


def wait_until_delivered(service: OwnershipService, timeout: float = 10.0) -> bool:
    """Helper for commands and tests: run passes until nothing is left to send."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.run_once()
        if service.pending_messages() == 0:
            return True
        time.sleep(0.05)
    return False
