"""App Home: moments I own, moments waiting for an owner, my recent questions.

What a user sees here is the audience policy's call (``Surface.APP_HOME``): a guest or a user
from another organisation sees only the reason, nothing about any customer; a user Slack could
not vouch for sees the lists masked, with the reason; a member sees everything."""

from __future__ import annotations

import logging
from typing import Any

from c360.safety.masking import mask_text
from c360.safety.policy import Content, Surface, decide

from bot import blocks

log = logging.getLogger(__name__)


def _row(item: Any) -> dict[str, Any]:
    """A moment (or an ownership item) as a Home row."""
    get = item.get if isinstance(item, dict) else lambda k, d=None: getattr(item, k, d)
    meta = get("meta") or {}
    when = get("occurred_at") or get("created_at")
    return {
        "customer": meta.get("customer_name") or get("customer_name") or get("customer_id") or "?",
        "text": meta.get("question") or get("summary") or get("text") or "",
        "when": when.strftime("%Y-%m-%d")
        if hasattr(when, "strftime")
        else (str(when)[:10] if when else None),
    }


def ownership_rows(services, user_id: str) -> tuple[list | None, list | None, str | None]:
    """(owned, waiting, outcomes) from the ownership service when this build has one, else Nones."""
    ownership = services.ownership
    if ownership is None or not hasattr(ownership, "home_summary"):
        return None, None, None
    summary = ownership.home_summary(user_id)
    metrics = summary.get("metrics") or {}
    outcomes = None
    if metrics.get("alerts"):
        outcomes = (
            f"Last 30 days: {metrics['alerts']} alert(s), {metrics.get('owned', 0)} owned, "
            f"{metrics.get('resolved', 0)} resolved; median time to owner "
            f"{metrics.get('median_minutes_to_owner') or '-'} min; owned within SLA "
            f"{_percent(metrics.get('owned_within_sla'))}."
        )
    return (
        [_row(i) for i in summary.get("owned") or []],
        [_row(i) for i in summary.get("waiting") or []],
        outcomes,
    )


def _percent(share: float | None) -> str:
    return f"{share * 100:.0f}%" if share is not None else "-"


def _masked(rows: list | None, fields) -> list | None:
    if rows is None:
        return None
    return [{**row, "text": mask_text(row.get("text") or "", fields)} for row in rows]


def publish_home(services, user_id: str, team_id: str | None = None) -> None:
    decision = decide(
        services.slack.requester(user_id, team_id), Surface.APP_HOME, Content.CUSTOMERS
    )
    if decision.refused:
        if not services.slack.publish_home(user_id, blocks.refused_home(decision.reason)):
            log.warning("App Home for %s not published", user_id)
        return
    owned, waiting, outcomes = ownership_rows(services, user_id)
    recent = [_row(m) for m in services.moments.recent_exchanges(asker_id=user_id, limit=10)]
    if decision.masked:
        fields = services.settings.sensitive_fields
        owned, waiting, recent = (_masked(rows, fields) for rows in (owned, waiting, recent))
    view = blocks.home_view(
        owned=owned, waiting=waiting, recent=recent, outcomes=outcomes, notice=decision.reason
    )
    # Sections contributed by other listener modules may show anything: members only.
    for section in services.home_sections if decision.full else []:
        view["blocks"].extend(section(user_id))
    view["blocks"] = view["blocks"][:100]
    if not services.slack.publish_home(user_id, view):
        log.warning("App Home for %s not published", user_id)


def register(app, services) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user_id = event["user"]

        def tell_failure(error_id: str) -> None:
            view = blocks.home_view(owned=None, waiting=None, recent=[])
            view["blocks"].insert(1, blocks.text_message(blocks.failure(error_id))["blocks"][0])
            services.slack.publish_home(user_id, view)

        services.pool.submit(
            publish_home, services, user_id, body.get("team_id"), on_error=tell_failure
        )
