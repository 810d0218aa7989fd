"""Raising alerts: the rules run on newly inserted recent records (the ingest listener) or on a
scan of stored ones; each record that needs an owner becomes one alert row, its "created"
event and its first post in the outbox, in one transaction.

Records older than the rules file's ``backlog_hours`` are the backlog of a first import and
raise nothing unless a scan asks for it (``c360 alerts scan --backlog``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from c360.domain import AlertEvent, Complaint, Moment, Record, record_time
from c360.ownership.rules import RulesError, Seen, triggers
from c360.ownership.types import alert_id_for
from c360.safety.masking import mask_text
from c360.safety.suspicious import is_suspicious
from prompts.brief import suspicious_note
from store import ownership as db
from store import queries
from store.outbox import enqueue

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService

log = logging.getLogger(__name__)


def _counts(record: Record) -> bool:
    """Moments and complaints only; a logged Q&A is history, never a moment needing an owner."""
    if isinstance(record, Moment):
        return record.origin != "exchange"
    return isinstance(record, Complaint)


def on_records(ctx: OwnershipService, summary, records: list[Record]) -> None:
    """``IngestService`` listener: evaluate the batch's newly inserted records. Never lets a
    rule problem break the ingest that called it; the problem is logged with its cause."""
    try:
        cutoff = ctx.clock.now() - timedelta(hours=ctx.rules.backlog_hours)
    except RulesError as exc:
        log.error("ownership rules not applied: %s", exc)
        return
    # Cheap filters first: a big import is mostly backlog, and this runs on every batch.
    new_ids = set(getattr(summary, "new_record_ids", ()) or ())
    fresh = [
        r
        for r in records
        if _counts(r)
        and (when := record_time(r)) is not None
        and when >= cutoff
        and r.record_id in new_ids
    ]
    if not fresh:
        return
    try:
        created = evaluate(ctx, fresh, backlog=False)
    except RulesError as exc:
        log.error("ownership rules not applied: %s", exc)
        return
    except Exception:  # the ingest has committed; an alert failure must not undo its report
        log.exception(
            "ownership rules failed on %d new records; run `c360 alerts scan` to retry",
            len(fresh),
        )
        return
    if created:
        log.info("ownership: %d alert(s) raised", len(created))


def evaluate(ctx: OwnershipService, records: Iterable[Record], backlog: bool = False) -> list[str]:
    """Run the rules on ``records``; create one alert per record that needs an owner and
    queue its post. Returns the new alert ids. Records older than ``backlog_hours`` are
    skipped unless ``backlog``."""
    rules = [r for r in ctx.rules.rules if r.enabled]
    now = ctx.clock.now()
    cutoff = now - timedelta(hours=ctx.rules.backlog_hours)
    created: list[str] = []
    repeat_seen: set[str] = set()
    with ctx.sessions() as session, session.begin():

        def seen(record: Moment | Complaint) -> Seen:
            return Seen(
                record=record,
                customer=queries.get_customer(session, record.customer_id),
                key_account_arr=ctx.settings.key_account_arr,
                inbound_ids=lambda cid, since, until: db.inbound_moment_ids(
                    session, cid, since, until
                ),
                has_unresolved=lambda cid, rule: db.has_unresolved_alert(session, cid, rule),
                repeat_seen=repeat_seen,
            )

        for record in records:
            if not _counts(record):
                continue
            when = record_time(record)
            if not backlog and when is not None and when < cutoff:
                continue
            fired = triggers(rules, seen(record))
            if not fired:
                continue
            alert_id = _create_alert(ctx, session, record, fired, now)
            if alert_id:
                created.append(alert_id)
    return created


def scan(ctx: OwnershipService, since_days: float, backlog: bool = True) -> list[str]:
    """Evaluate stored records of the last ``since_days`` (a first import's backlog, or
    after a rules change). Records that have an alert already are left alone."""
    since = ctx.clock.now() - timedelta(days=since_days)
    with ctx.sessions() as session:
        records: list[Record] = [*db.moments_since(session, since)]
        records += db.complaints_since(session, since)
    return evaluate(ctx, records, backlog=backlog)


def _create_alert(
    ctx: OwnershipService,
    session,
    record: Moment | Complaint,
    fired: list[dict[str, Any]],
    now: datetime,
) -> str | None:
    alert_id = alert_id_for(record.record_id)
    summary, citations = one_line_summary(session, record, fired, ctx.settings.sensitive_fields)
    values = {
        "alert_id": alert_id,
        "record_id": record.record_id,
        "customer_id": record.customer_id,
        "rule": fired[0]["rule"],
        "reasons": [{"rule": t["rule"], "reason": t["reason"]} for t in fired],
        "summary": summary,
        "citations": citations,
        "status": "open",
        "escalate_due_at": now + timedelta(minutes=ctx.settings.escalate_after_minutes),
        "escalations": 0,
        "reminders": 0,
        "version": 0,
        "created_at": now,
        "updated_at": now,
    }
    if not db.insert_alert(session, values):
        return None
    detail = {"rules": [t["rule"] for t in fired], "record_id": record.record_id}
    db.add_event(session, AlertEvent(alert_id, "created", now, detail=detail))
    channel = ctx.settings.alerts_channel
    enqueue(session, f"post:{alert_id}", alert_id, "post_alert", now, target=channel)
    return alert_id


def one_line_summary(
    session,
    record: Moment | Complaint,
    fired: list[dict[str, Any]],
    sensitive_fields,
) -> tuple[str, list[str]]:
    """Customer, what happened, and the records behind it, in one line. No ARR or contact
    details: the alert goes to a channel, so the quote is masked by the one masking rule (the
    channel surface of the audience policy), and a record addressed to an AI says so. No day
    either: each surface dates the moment from the alert's ``moment_at`` on its reader's
    calendar (``bot/alert_blocks.moment_age``), which a stored UTC day would contradict."""
    customer = queries.get_customer(session, record.customer_id)
    name = customer.name if customer else record.customer_id
    facts = [x for x in ((customer.segment, customer.plan) if customer else ()) if x]
    open_ids = db.newest_open_complaint_ids(session, record.customer_id)
    n_open = db.count_open_complaints(session, record.customer_id)
    snippet = mask_text(" ".join(record.text.split()), sensitive_fields)
    if len(snippet) > 160:
        snippet = snippet[:157].rstrip() + "…"
    what = "complaint" if isinstance(record, Complaint) else f"{record.direction} {record.channel}"
    flag = f" {suspicious_note(record.kind)}" if is_suspicious(record.text) else ""
    parts = [
        name + (f" ({', '.join(facts)})" if facts else ""),
        f"{what}: “{snippet}”{flag} [{record.record_id}]",
    ]
    others = [f"complaint:{c}" for c in open_ids if f"complaint:{c}" != record.record_id][:2]
    if n_open:
        parts.append(
            f"{n_open} open complaint{'s' if n_open != 1 else ''}"
            + (f" [{', '.join(others)}]" if others else "")
        )
    citations: list[str] = []
    for rid in [record.record_id, *[c for t in fired for c in t["citations"]], *others]:
        if rid not in citations:
            citations.append(rid)
    return " · ".join(parts), citations[:6]
