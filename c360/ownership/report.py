"""Outcomes: time to owner, time to resolution and the share owned within the SLA, overall,
by team (of the first owner) and by rule (``c360 report``); and the App Home summary."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from store import ownership as db

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService


def report(ctx: OwnershipService, since_days: float = 30) -> dict[str, Any]:
    """The metrics for alerts raised in the last ``since_days``."""
    now = ctx.clock.now()
    since = now - timedelta(days=since_days)
    sla = timedelta(minutes=ctx.settings.sla_minutes)
    with ctx.sessions() as session:
        rows = [
            {
                "rule": a.rule,
                "team": a.first_owner_team
                or ("unowned" if a.first_owned_at is None else "unassigned"),
                "created_at": a.created_at,
                "first_owned_at": a.first_owned_at,
                "resolved_at": a.resolved_at,
                "status": a.status,
            }
            for a in db.alerts_created_since(session, since)
        ]

    def metrics(group: list[dict[str, Any]]) -> dict[str, Any]:
        to_owner = [
            (r["first_owned_at"] - r["created_at"]).total_seconds() / 60
            for r in group
            if r["first_owned_at"]
        ]
        to_resolve = [
            (r["resolved_at"] - r["created_at"]).total_seconds() / 3600
            for r in group
            if r["resolved_at"]
        ]
        # Decided: owned, or unowned for longer than the SLA. Alerts younger than the SLA
        # and unowned can still make it, so they count for neither side.
        decided = [r for r in group if r["first_owned_at"] or now - r["created_at"] > sla]
        within = [
            r
            for r in decided
            if r["first_owned_at"] and r["first_owned_at"] - r["created_at"] <= sla
        ]
        return {
            "alerts": len(group),
            "owned": len(to_owner),
            "resolved": len(to_resolve),
            "open": sum(1 for r in group if r["status"] == "open"),
            "median_minutes_to_owner": _median(to_owner),
            "p90_minutes_to_owner": round(_percentile(to_owner, 90), 1) if to_owner else None,
            "median_hours_to_resolution": _median(to_resolve),
            "owned_within_sla": round(len(within) / len(decided), 3) if decided else None,
        }

    def grouped(key: str) -> dict[str, Any]:
        out: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r[key], []).append(r)
        return {k: metrics(v) for k, v in sorted(out.items())}

    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "sla_minutes": ctx.settings.sla_minutes,
        "overall": metrics(rows),
        "by_team": grouped("team"),
        "by_rule": grouped("rule"),
    }


def home_summary(ctx: OwnershipService, user_id: str, limit: int = 10) -> dict[str, Any]:
    """For App Home: moments I own (newest first), moments waiting for an owner (oldest
    first), how many of each there are in all, the SLA, and the headline metrics."""
    with ctx.sessions() as session:
        mine = [
            v.to_dict() for v in ctx.views(session, db.alerts_owned_by(session, user_id, limit))
        ]
        waiting = [v.to_dict() for v in ctx.views(session, db.alerts_waiting(session, limit))]
        totals = {
            "owned": db.count_alerts(session, "owned", user_id),
            "waiting": db.count_alerts(session, "open"),
        }
    return {
        "owned": mine,
        "waiting": waiting,
        "totals": totals,
        "metrics": report(ctx, since_days=30)["overall"],
        "sla_minutes": ctx.settings.sla_minutes,
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
