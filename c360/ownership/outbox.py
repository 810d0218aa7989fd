"""Delivery: every Slack message of an alert goes through an outbox row with a unique
``dedupe_key`` (recorded pending -> sent by one leased worker -> marked).

A sender that died after Slack took the message but before marking it leaves a row another
worker retries; the retry first looks for the key in the channel's message metadata, so a
message is neither lost nor posted twice. Slack is reached only through the ``Notifier`` port.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from c360.domain import Alert, Asker, OutboxMessage
from c360.ownership.types import (
    MAX_SEND_ATTEMPTS,
    AlertView,
    DeliveryNotConfigured,
    Notifier,
    OwnerBrief,
    Ping,
)
from store import outbox as db_outbox
from store import ownership as db

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService

log = logging.getLogger(__name__)

# What a sent message is recorded as in the alert's events.
_SENT_EVENTS = {
    "post_alert": "posted",
    "escalate": "escalation_posted",
    "remind": "reminded",
    "dm": "dm_sent",
}


def enqueue_update(session, alert: Alert, now) -> list[str]:
    """Queue a refresh of every channel copy of the alert (first post and re-posts).
    Keyed by version: the renderer draws the state at send time, so a late update never
    shows an older state."""
    key = f"update:{alert.alert_id}:v{alert.version}"
    return [key] if db_outbox.enqueue(session, key, alert.alert_id, "update", now) else []


def enqueue_owner_dm(
    ctx: OwnershipService,
    alert_id: str,
    user_id: str,
    user_name: str | None,
    how: str,
    by: str | None = None,
) -> list[str]:
    """The full brief for the new owner, written once and kept in the outbox row so a
    retry never needs the retrieval stack."""
    view = ctx.view(alert_id)
    if view is None:
        return []
    brief = OwnerBrief(
        how=how,
        customer_id=view.customer_id,
        customer_name=view.customer_name,
        reasons=[r["reason"] for r in view.reasons],
        summary=view.summary,
        answer=_brief_answer(ctx, view, user_id, user_name),
        by=by,
    )
    now = ctx.clock.now()
    with ctx.sessions() as session, session.begin():
        alert = db.get_alert(session, alert_id)
        key = f"dm:{alert_id}:{user_id}:v{alert.version}"
        payload = {"owner_brief": brief.to_dict()}
        queued = db_outbox.enqueue(session, key, alert_id, "dm", now, user_id, payload)
    return [key] if queued else []


def _brief_answer(
    ctx: OwnershipService, view: AlertView, user_id: str, user_name: str | None
) -> str | None:
    try:
        briefs = ctx.briefs
    except Exception:  # the brief service cannot be built here (no model, say): summary only
        log.exception("brief service unavailable; the owner DM carries the alert summary only")
        return None
    if briefs is None:
        return None
    try:
        asker = Asker(id=user_id, name=user_name or user_id, channel="slack")
        return briefs.brief(view.customer_id, asker, log=False).answer or None
    except Exception:  # the DM still goes out with the alert's own evidence
        log.exception(
            "brief for %s failed; the owner DM carries the alert summary only", view.customer_id
        )
        return None


def deliver(
    ctx: OwnershipService,
    keys: Sequence[str] | None = None,
    limit: int = 20,
    worker_id: str | None = None,
) -> int:
    """Send unsent outbox messages (all due ones, or just ``keys``). Returns how many were
    sent. Without a notifier (Slack not configured) the rows wait for a worker that has one."""
    if keys is not None and not keys:
        return 0
    notifier = ctx.notifier
    if notifier is None:
        return 0
    worker = worker_id or f"{ctx.worker_id}-{threading.get_ident()}"
    now = ctx.clock.now()
    lease = timedelta(seconds=ctx.settings.worker_lease_seconds)
    with ctx.sessions() as session, session.begin():
        messages = db_outbox.lease_outbox(session, worker, now, lease, keys=keys, limit=limit)
    sent = 0
    for message in messages:
        try:
            channel, ts, rendered = _send(ctx, notifier, message)
        except Exception as exc:  # Slack said no, or is unreachable: retry after the lease
            log.warning(
                "outbox %s not sent (attempt %d): %s", message.dedupe_key, message.attempts, exc
            )
            with ctx.sessions() as session, session.begin():
                db_outbox.mark_failed(
                    session,
                    message.dedupe_key,
                    worker,
                    f"{type(exc).__name__}: {exc}",
                    ctx.clock.now() + lease,
                    final=message.attempts >= MAX_SEND_ATTEMPTS,
                )
            continue
        follow_up = _mark(ctx, message, worker, channel, ts, rendered)
        sent += 1
        if follow_up:
            sent += deliver(ctx, keys=follow_up, worker_id=worker)
    return sent


def _mark(
    ctx: OwnershipService,
    message: OutboxMessage,
    worker: str,
    channel: str | None,
    ts: str | None,
    rendered: int | None,
) -> list[str]:
    """Mark the message sent. A channel copy drawn from a state that changed while it was in
    flight (claimed during the post, say) gets an update queued, so it never stays stale."""
    now = ctx.clock.now()
    follow_up: list[str] = []
    with ctx.sessions() as session, session.begin():
        if not db_outbox.mark_sent(session, message.dedupe_key, worker, channel, ts, now):
            return []
        kind = _SENT_EVENTS.get(message.action)
        if kind:
            if ts is None:
                kind = "message_dropped"  # overtaken by the alert's state, see stale_reason
            detail = {"channel": channel, "ts": ts, "key": message.dedupe_key}
            db.add_event(session, message.alert_id, kind, now, detail=detail)
        if message.action in ("post_alert", "escalate"):
            alert = db.get_alert(session, message.alert_id)
            if alert is not None and rendered is not None and alert.version != rendered:
                follow_up = enqueue_update(session, alert, now)
    return follow_up


def _send(
    ctx: OwnershipService, notifier: Notifier, message: OutboxMessage
) -> tuple[str | None, str | None, int | None]:
    """Send one message: (channel, ts, the alert version it shows). (None, None, _) when it
    was dropped as stale or was an update of the copies already in Slack."""
    view = ctx.view(message.alert_id)
    if view is None:
        raise RuntimeError(f"alert {message.alert_id} is gone")
    action = message.action
    if action == "update":
        with ctx.sessions() as session:
            copies = [
                (m.channel_id, m.ts) for m in db_outbox.posted_messages(session, view.alert_id)
            ]
        for channel, ts in copies:
            notifier.update_alert(channel, ts, view)
        return None, None, view.version
    stale = stale_reason(action, view, message.target)
    if stale:
        log.info("outbox %s not sent: %s", message.dedupe_key, stale)
        return None, None, None
    in_channel = action in ("post_alert", "escalate")
    target = message.target or (ctx.settings.alerts_channel if in_channel else None)
    if not target:
        raise DeliveryNotConfigured(
            "no Slack channel for alerts: set C360_ALERTS_CHANNEL (a channel id) and restart the worker"
        )
    if message.attempts > 1:
        # An earlier attempt may have reached Slack before its sender died: look first.
        oldest = message.created_at - timedelta(minutes=1)
        found = notifier.find_posted(target, message.dedupe_key, oldest)
        if found:
            log.info(
                "outbox %s was already in Slack (%s); marked without re-sending",
                message.dedupe_key,
                found[1],
            )
            # The copy in Slack may show an older state: version -1 makes _mark refresh it.
            return found[0], found[1], -1
    payload, key = message.payload, message.dedupe_key
    if action == "post_alert":
        return (*notifier.post_alert(target, view, key), view.version)
    if action == "escalate":
        ping, note = Ping.from_payload(payload), payload.get("note")
        return (*notifier.post_alert(target, view, key, ping=ping, note=note), view.version)
    if action == "remind":
        return (*notifier.post_reminder(target, view, key), None)
    if action == "dm" and payload.get("owner_brief"):
        brief = OwnerBrief(**payload["owner_brief"])
        return (*notifier.post_owner_brief(target, brief, key), None)
    if action == "dm":  # a row queued by older code: its text is already worded and escaped
        return (*notifier.dm(target, payload.get("text") or view.summary, key), None)
    raise RuntimeError(f"unknown outbox action {action!r}")


def stale_reason(action: str, view: AlertView, target: str | None) -> str | None:
    """A queued message the alert's state has overtaken (claimed before its escalation went
    out, say): sending it would contradict the channel, so it is dropped."""
    if action == "post_alert" and view.status == "resolved":
        return "the alert was resolved before it was posted"
    if action == "escalate" and view.status != "open":
        return f"the alert is {view.status} now; no escalation needed"
    if action == "remind" and (view.status != "owned" or view.owner_id != target):
        return "the alert changed hands or was resolved; no reminder needed"
    return None
