"""Delivery: every Slack message of an alert goes through an outbox row with a unique
``dedupe_key`` (recorded pending -> sent by one leased worker -> marked).

A sender that died after Slack took the message but before marking it leaves a row another
worker retries; the retry first looks for the key in the channel's message metadata, so a
message is neither lost nor posted twice. Slack is reached only through the ``Notifier`` port.

Nothing about a customer is posted to a channel the audience policy refuses
(``c360.safety.policy.decide_post``): one shared with another organisation, or one Slack would not
describe. Such a row fails with the reason in ``last_error`` (at once when the channel is shared;
after its attempts when Slack would not say), the alert gets a ``withheld`` event, and the alert
stays claimable from App Home; there is no one to DM instead (a new alert has no owner yet).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from c360.domain import Alert, AlertEvent, Asker, OutboxMessage, Person
from c360.ownership import atrisk
from c360.ownership.types import (
    DIGEST_LINES,
    MAX_SEND_ATTEMPTS,
    AlertView,
    ChannelWithheld,
    DeliveryNotConfigured,
    DigestView,
    Escalation,
    Notifier,
    OwnerBrief,
)
from c360.safety.policy import Surface, decide_post
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
}  # an at-risk digest has no alert, so no event


def enqueue_update(session, alert: Alert, now) -> list[str]:
    """Queue a refresh of every channel copy of the alert (first post and re-posts).
    Keyed by version: the renderer draws the state at send time, so a late update never
    shows an older state."""
    key = f"update:{alert.alert_id}:v{alert.version}"
    return [key] if db_outbox.enqueue(session, key, alert.alert_id, "update", now) else []


def enqueue_owner_dm(
    ctx: OwnershipService, alert_id: str, owner: Person, how: str, by: Person | None = None
) -> list[str]:
    """The full brief for the new ``owner`` (who ``how`` = claimed it, or was assigned it
    ``by`` someone), written once and kept in the outbox row so a retry never needs the
    retrieval stack."""
    view = ctx.view(alert_id)
    if view is None:
        return []
    brief = OwnerBrief(
        how=how,
        customer_id=view.customer_id,
        customer_name=view.customer_name,
        reasons=[r["reason"] for r in view.reasons],
        summary=view.summary,
        answer=_brief_answer(ctx, view, owner),
        by=by.id if by else None,
        moment_at=view.moment_at,
    )
    now = ctx.clock.now()
    with ctx.sessions() as session, session.begin():
        alert = db.get_alert(session, alert_id)
        key = f"dm:{alert_id}:{owner.id}:v{alert.version}"
        payload = {"owner_brief": brief.to_dict()}
        queued = db_outbox.enqueue(session, key, alert_id, "dm", now, owner.id, payload)
    return [key] if queued else []


def _brief_answer(ctx: OwnershipService, view: AlertView, owner: Person) -> str | None:
    try:
        briefs = ctx.briefs
    except Exception:  # the brief service cannot be built here (no model, say): summary only
        log.exception("brief service unavailable; the owner DM carries the alert summary only")
        return None
    if briefs is None:
        return None
    try:
        asker = Asker(id=owner.id, name=owner.name or owner.id, channel="slack")
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
    return _deliver_leased(ctx, notifier, worker, messages, lease)


def _deliver_leased(
    ctx: OwnershipService,
    notifier: Notifier,
    worker: str,
    messages: Sequence[OutboxMessage],
    lease: timedelta,
) -> int:
    """Send messages this worker holds the lease of, one by one; returns how many were sent."""
    sent = 0
    for message in messages:
        try:
            channel, ts, rendered = _send(ctx, notifier, message)
        except Exception as exc:  # Slack said no, or is unreachable: retry after the lease
            log.warning(
                "outbox %s not sent (attempt %d): %s", message.dedupe_key, message.attempts, exc
            )
            _mark_failed(ctx, [message], worker, exc, lease)
            continue
        follow_up = _mark(ctx, message, worker, channel, ts, rendered)
        sent += 1
        if follow_up:
            sent += deliver(ctx, keys=follow_up, worker_id=worker)
    return sent


def _mark_failed(ctx: OwnershipService, messages, worker: str, exc: Exception, lease) -> None:
    """Record a failed send of ``messages``: retried after the lease, given up after
    ``MAX_SEND_ATTEMPTS`` (at once for a post withheld from a shared channel)."""
    withheld = isinstance(exc, ChannelWithheld)
    now = ctx.clock.now()
    with ctx.sessions() as session, session.begin():
        for m in messages:
            final = m.attempts >= MAX_SEND_ATTEMPTS or (withheld and exc.final)
            db_outbox.mark_failed(
                session,
                m.dedupe_key,
                worker,
                f"{type(exc).__name__}: {exc}",
                now + lease,
                final=final,
            )
            if withheld and final and m.alert_id:
                detail = {"channel": exc.channel, "key": m.dedupe_key, "reason": str(exc)}
                db.add_event(session, AlertEvent(m.alert_id, "withheld", now, detail=detail))


def check_channel(notifier: Notifier, channel: str) -> Surface:
    """The audience policy for a post nobody asked for: raise ``ChannelWithheld`` when customer
    content may not go to ``channel`` (shared with another organisation, or Slack would not
    say); else the surface it lands on."""
    surface = notifier.surface(channel)
    if decide_post(surface).refused:
        raise ChannelWithheld(channel, shared=surface is Surface.SHARED_CHANNEL)
    return surface


def deliver_digests(ctx: OwnershipService, worker_id: str | None = None) -> int:
    """A backlog (a first worker run on an existing store, say): when more than
    ``alert_digest_over`` first posts wait for one channel at once, post one digest there
    instead of one message each. The rows are leased as usual and marked sent with no
    message of their own (so no later update touches the digest); each alert stays claimable
    from App Home and its escalations post as before. Returns how many messages were sent."""
    over = ctx.settings.alert_digest_over
    notifier = ctx.notifier
    if not over or notifier is None:
        return 0
    worker = worker_id or f"{ctx.worker_id}-{threading.get_ident()}"
    now = ctx.clock.now()
    lease = timedelta(seconds=ctx.settings.worker_lease_seconds)
    with ctx.sessions() as session:
        waiting = db_outbox.waiting_posts(session, now, MAX_SEND_ATTEMPTS)
    by_channel: dict[str, list[str]] = {}
    for message in waiting:
        channel = message.target or ctx.settings.alerts_channel
        if channel:
            by_channel.setdefault(channel, []).append(message.dedupe_key)
    sent = 0
    for channel, keys in by_channel.items():
        if len(keys) <= over:
            continue
        with ctx.sessions() as session, session.begin():
            messages = db_outbox.lease_outbox(
                session, worker, now, lease, keys=keys, limit=len(keys)
            )
        sent += _send_digest(ctx, notifier, worker, channel, messages, lease)
    return sent


def _send_digest(
    ctx: OwnershipService,
    notifier: Notifier,
    worker: str,
    channel: str,
    messages: Sequence[OutboxMessage],
    lease: timedelta,
) -> int:
    views = {m.dedupe_key: ctx.view(m.alert_id) for m in messages}
    live = [
        m
        for m in messages
        if (v := views[m.dedupe_key]) is not None and not stale_reason(m.action, v, m.target)
    ]
    rest = [m for m in messages if m not in live]  # gone or resolved: the single path says why
    if len(live) <= ctx.settings.alert_digest_over:  # another worker took some meanwhile
        return _deliver_leased(ctx, notifier, worker, messages, lease)
    shown = [views[m.dedupe_key] for m in live]
    rules = Counter(v.rule for v in shown)
    oldest = sorted(shown, key=lambda v: (v.moment_at is None, v.moment_at or v.created_at))
    digest = DigestView(
        total=len(live),
        by_rule=sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])),
        oldest=oldest[:DIGEST_LINES],
    )
    keys = sorted(m.dedupe_key for m in live)
    key = f"digest:{channel}:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    try:
        check_channel(notifier, channel)
        found = None
        if any(m.attempts > 1 for m in live):  # an earlier attempt may have posted it
            oldest_row = min(m.created_at for m in live) - timedelta(minutes=1)
            found = notifier.find_posted(channel, key, oldest_row)
        posted_channel, ts = found or notifier.post_digest(channel, digest, key)
    except Exception as exc:  # retried after the lease, as a digest again if still a backlog
        log.warning("digest of %d alerts for %s not sent: %s", len(live), channel, exc)
        _mark_failed(ctx, live, worker, exc, lease)
        return _deliver_leased(ctx, notifier, worker, rest, lease)
    now = ctx.clock.now()
    with ctx.sessions() as session, session.begin():
        for m in live:
            # ts None: the row has no message of its own, so updates never redraw the digest
            if db_outbox.mark_sent(session, m.dedupe_key, worker, posted_channel, None, now):
                detail = {"channel": posted_channel, "ts": ts, "key": key}
                db.add_event(
                    session, AlertEvent(m.alert_id, "posted_in_digest", now, detail=detail)
                )
    log.info("posted a digest of %d waiting alerts to %s", len(live), posted_channel)
    return 1 + _deliver_leased(ctx, notifier, worker, rest, lease)


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
            db.add_event(session, AlertEvent(message.alert_id, kind, now, detail=detail))
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
    if message.action == atrisk.ACTION:  # a daily digest: no alert behind it
        return (*_send_atrisk(notifier, message), None)
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
            try:
                check_channel(notifier, channel)
            except ChannelWithheld as exc:
                if not exc.final:
                    raise  # Slack would not say: the whole update is retried
                log.warning("outbox %s: copy %s left as it was: %s", message.dedupe_key, ts, exc)
                continue
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
    if in_channel:
        check_channel(notifier, target)
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
        escalation = Escalation.from_payload(payload)
        return (*notifier.post_alert(target, view, key, escalation), view.version)
    if action == "remind":
        return (*notifier.post_reminder(target, view, key), None)
    if action == "dm" and payload.get("owner_brief"):
        brief = OwnerBrief.from_dict(payload["owner_brief"])
        return (*notifier.post_owner_brief(target, brief, key), None)
    if action == "dm":  # a row queued by older code: its text is already worded and escaped
        return (*notifier.dm(target, payload.get("text") or view.summary, key), None)
    raise RuntimeError(f"unknown outbox action {action!r}")


def _send_atrisk(notifier: Notifier, message: OutboxMessage) -> tuple[str, str]:
    """The day's at-risk digest, as it was written into the row (a retry sends the same)."""
    channel, key = message.target, message.dedupe_key
    if not channel:
        raise DeliveryNotConfigured("an at-risk digest without a channel; check `digests:`")
    check_channel(notifier, channel)
    if message.attempts > 1:
        found = notifier.find_posted(channel, key, message.created_at - timedelta(minutes=1))
        if found:
            return found
    digest = atrisk.AtRiskDigest.from_dict(message.payload["atrisk"])
    return notifier.post_atrisk(channel, digest, key)


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
