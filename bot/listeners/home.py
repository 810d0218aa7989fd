"""App Home: moments I own (with their SLA clock), moments waiting for an owner (each with an
"I'll own it" button: the alerts' own claim action), my recent questions. Dates are the
moment's own, in words, on the reader's calendar (users.info ``tz``).

What a user sees here is the audience policy's call (``Surface.APP_HOME``): a guest or a user
from another organisation sees only the reason, nothing about any customer; a user Slack could
not vouch for sees the lists masked, with the reason; a member sees everything."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any

from c360.domain import Moment, utc
from c360.safety.masking import mask_text
from c360.safety.policy import Content, Surface, decide
from prompts import lead as words
from prompts import ownership as ownership_words

from bot import views
from bot.listeners import hand_off
from bot.services import BotServices

log = logging.getLogger(__name__)


def _time(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return utc(value) if value is not None else None


def _when(value: datetime | str | None, now: datetime, tz: tzinfo | None = None) -> str | None:
    """A date in words with its age ("20 Nov, 3 days ago"), as the answers write it, on the
    reader's calendar (``tz``)."""
    value = _time(value)
    return words.dated(value, now, tz) if value is not None else None


def _moment_row(moment: Moment, now: datetime, name_of, tz: tzinfo | None = None) -> dict[str, Any]:
    """A logged question (an exchange moment) as a Home row: the customer's name (an exchange
    logged before names were kept in its meta is looked up)."""
    meta = moment.meta or {}
    return {
        "customer": meta.get("customer_name") or name_of(moment.customer_id) or "?",
        "text": meta.get("question") or moment.text or "",
        "when": _when(moment.occurred_at, now, tz),
    }


def _alert_row(
    alert: dict[str, Any], now: datetime, tz: tzinfo | None = None, sla_minutes: int = 60
) -> dict[str, Any]:
    """An ownership alert (``home_summary``'s dict form) as a Home row: why (the rules' labels)
    and the moment's words; dated by the moment itself, not by the alert; then its SLA clock
    (waiting: how long, against the SLA; owned: open how long, owned in time or not). A
    waiting alert can be claimed from the row."""
    reasons = [r.get("rule") or "" for r in alert.get("reasons") or []]
    why = ", ".join(dict.fromkeys(ownership_words.rule_label(r) for r in reasons if r))
    excerpt = alert.get("excerpt")
    text = (why or "Needs an owner") + (f": {words.short_quote(excerpt, 140)}" if excerpt else "")
    created, owned_at = _time(alert.get("created_at")), _time(alert.get("owned_at"))
    waiting = alert.get("status") == "open"
    sla = None
    if created is not None:
        open_for = (now - created).total_seconds()
        if waiting:
            sla = ownership_words.waiting_sla(open_for, sla_minutes)
        else:
            to_owner = (owned_at - created).total_seconds() if owned_at else None
            sla = ownership_words.owned_sla(open_for, to_owner, sla_minutes)
    return {
        "customer": alert.get("customer_name") or alert.get("customer_id") or "?",
        "text": text,
        "when": ownership_words.moment_age(_time(alert.get("moment_at")), now, tz)
        or "undated moment",
        "sla": sla,
        "claim": alert.get("alert_id") if waiting else None,
    }


def ownership_rows(
    services: BotServices, user_id: str, now: datetime | None = None, tz: tzinfo | None = None
) -> tuple[list | None, list | None, str | None, dict[str, int]]:
    """(owned, waiting, outcomes, totals) from the ownership service, or Nones when there is
    none; ``totals``: how many owned and waiting alerts there are beyond the rows shown."""
    ownership = services.ownership
    if ownership is None:
        return None, None, None, {}
    summary = ownership.home_summary(user_id)
    metrics = summary.get("metrics") or {}
    sla = summary.get("sla_minutes") or services.settings.sla_minutes
    outcomes = None
    if metrics.get("alerts"):
        outcomes = (
            f"Last 30 days: {metrics['alerts']} alert(s), {metrics.get('owned', 0)} owned, "
            f"{metrics.get('resolved', 0)} resolved; median time to owner "
            f"{metrics.get('median_minutes_to_owner') or '-'} min; owned within SLA "
            f"{_percent(metrics.get('owned_within_sla'))}."
        )
    now = now or services.container.clock.now()
    return (
        [_alert_row(i, now, tz, sla) for i in summary.get("owned") or []],
        [_alert_row(i, now, tz, sla) for i in summary.get("waiting") or []],
        outcomes,
        summary.get("totals") or {},
    )


def _percent(share: float | None) -> str:
    return f"{share * 100:.0f}%" if share is not None else "-"


def _masked(rows: list | None, fields) -> list | None:
    if rows is None:
        return None
    return [{**row, "text": mask_text(row.get("text") or "", fields)} for row in rows]


def publish_home(services: BotServices, user_id: str, team_id: str | None = None) -> None:
    decision = decide(
        services.slack.requester(user_id, team_id), Surface.APP_HOME, Content.CUSTOMERS
    )
    if decision.refused:
        if not services.slack.publish_home(user_id, views.refused_home(decision.reason)):
            log.warning("App Home for %s not published", user_id)
        return
    now = services.container.clock.now()
    tz = services.slack.zone(user_id)  # users.info's tz, cached; UTC when Slack would not say
    owned, waiting, outcomes, totals = ownership_rows(services, user_id, now, tz)
    names: dict[str, str] = {}

    def name_of(customer_id: str | None) -> str | None:
        if customer_id and customer_id not in names:
            found = services.briefs.find_customers(customer_id, limit=1)
            names[customer_id] = next(
                (c.name for c in found if c.customer_id == customer_id), customer_id
            )
        return names.get(customer_id) if customer_id else None

    exchanges = services.moments.recent_exchanges(asker_id=user_id, limit=10)
    recent = [_moment_row(m, now, name_of, tz) for m in exchanges]
    if decision.masked:
        fields = services.settings.sensitive_fields
        owned, waiting, recent = (_masked(rows, fields) for rows in (owned, waiting, recent))
    view = views.home_view(
        owned=owned,
        waiting=waiting,
        recent=recent,
        outcomes=outcomes,
        notice=decision.reason,
        totals=totals,
    )
    # Sections contributed by other listener modules may show anything: members only.
    for section in services.home_sections if decision.full else []:
        view["blocks"].extend(section(user_id))
    view["blocks"] = view["blocks"][:100]
    if not services.slack.publish_home(user_id, view):
        log.warning("App Home for %s not published", user_id)


def register(app, services: BotServices) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user_id = event["user"]

        def tell(message: dict[str, Any]) -> None:
            # A failure shows on the Home tab itself; a full pool is not told (the tab keeps
            # what it showed, and the next visit asks again).
            view = views.home_view(owned=None, waiting=None, recent=[])
            view["blocks"].insert(1, message["blocks"][0])
            services.slack.publish_home(user_id, view)

        hand_off(
            services,
            publish_home,
            services,
            user_id,
            body.get("team_id"),
            tell=tell,
            tell_busy=False,
        )
