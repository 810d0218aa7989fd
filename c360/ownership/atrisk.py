"""The daily digest of at-risk accounts, scheduled per channel in the rules file (``digests:``).

An account is at risk when one of its moments of the last ``days`` days carries a signal: the
same weighing the brief's first lines use (``c360.brief.lead.rank_signals``: renewal or churn
risk, an escalation, negative sentiment, money at stake, fading with age), so the digest and a
"what is going on" answer never disagree about why. Each account lists its strongest signals
(each quoted, masked as a channel message is, and cited with its label and link) and how many
of its moments wait for an owner.

Run by ``c360 worker`` (``timers.run_once``): once a channel's local time of day has passed
its ``at``, the digest is written to the outbox under ``atrisk:<channel>:<local date>``. The
key is the idempotency: a second worker, a restart or the next loop finds the row and writes
nothing, and the outbox sends it exactly once (``outbox._send``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from c360.brief.labels import citation_label
from c360.brief.lead import rank_signals
from c360.domain import utc
from c360.ownership.rules import RulesError
from c360.ownership.schedule import DigestSchedule
from c360.safety.masking import mask_text
from prompts import lead as words
from store import outbox as db_outbox
from store import ownership as db
from store import queries

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService

log = logging.getLogger(__name__)

SIGNALS_PER_ACCOUNT = 2
ACTION = "atrisk"


# --- what the digest says -----------------------------------------------------------------------
@dataclass
class RiskLine:
    """One reason an account is at risk: the sentence and the record it rests on."""

    text: str  # "At risk, 3 days ago: “…”" (masked; escaped by the bot)
    record_id: str
    label: str  # "Note by Dana, 20 Nov"
    url: str | None = None


@dataclass
class RiskAccount:
    customer_id: str
    name: str
    lines: list[RiskLine]
    waiting: int = 0  # its moments waiting for an owner


@dataclass
class AtRiskDigest:
    """The message, as data: written into the outbox row once, so a retry sends the same."""

    day: str  # "23 Nov", the channel's local date in words
    days: int
    total: int
    accounts: list[RiskAccount] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AtRiskDigest:
        accounts = [
            RiskAccount(**{**a, "lines": [RiskLine(**x) for x in a["lines"]]})
            for a in data.get("accounts") or []
        ]
        return cls(data["day"], data["days"], data["total"], accounts)


def build(ctx: OwnershipService, schedule: DigestSchedule, now: datetime) -> AtRiskDigest:
    """The at-risk accounts of the last ``schedule.days`` days, weightiest signal first."""
    tz = schedule.zone
    fields = ctx.settings.sensitive_fields
    with ctx.sessions() as session:
        recent = db.moments_since(session, now - timedelta(days=schedule.days))
        by_customer: dict[str, list] = defaultdict(list)
        for m in recent:
            by_customer[m.customer_id].append(m)
        ranked = []
        for customer_id, moments in by_customer.items():
            signals = rank_signals(moments, now)
            if signals:
                ranked.append((signals[0].score, customer_id, signals))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        shown = ranked[: schedule.limit]
        customers = queries.get_customers(session, [cid for _, cid, _ in shown])
        waiting: dict[str, int] = defaultdict(int)
        for alert in db.alerts_waiting(session, limit=10_000):
            waiting[alert.customer_id] += 1
    accounts = []
    for _, customer_id, signals in shown:
        customer = customers.get(customer_id)
        lines = []
        for s in signals[:SIGNALS_PER_ACCOUNT]:
            m = s.moment
            age = words.reader_age(utc(m.occurred_at), now, tz)
            text = words.signal_line(s.reasons[0], age, mask_text(m.text, fields))
            label = citation_label(m, now, tz)
            lines.append(RiskLine(text, m.record_id, label, m.url))
        name = customer.name if customer else customer_id
        accounts.append(RiskAccount(customer_id, name, lines, waiting.get(customer_id, 0)))
    return AtRiskDigest(
        words.day_words(words.in_zone(now, tz), words.in_zone(now, tz)),
        schedule.days,
        len(ranked),
        accounts,
    )


def schedule_due(ctx: OwnershipService) -> list[str]:
    """Write today's digest for every channel whose time has come and that has none yet.
    Returns the outbox keys written (none when every due digest is already there)."""
    now = ctx.clock.now()
    written: list[str] = []
    try:
        schedules = ctx.rules.digests
    except RulesError as exc:  # a broken rules file must not stop alerts from being sent
        log.error("at-risk digests not scheduled: %s", exc)
        return written
    for schedule in schedules:
        local = now.astimezone(schedule.zone) if schedule.zone else now
        if local.time() < schedule.at:
            continue
        key = f"{ACTION}:{schedule.channel}:{local.date().isoformat()}"
        with ctx.sessions() as session:
            if db_outbox.exists(session, key):
                continue
        digest = build(ctx, schedule, now)
        payload = {"atrisk": digest.to_dict()}
        with ctx.sessions() as session, session.begin():
            if db_outbox.enqueue(session, key, "", ACTION, now, schedule.channel, payload):
                written.append(key)
                log.info(
                    "at-risk digest for %s queued (%d accounts)", schedule.channel, digest.total
                )
    return written
