"""The alert lifecycle: claim (atomic), assign, release, snooze, resolve.

Every change goes through ``_transition``: one transaction holding the store's conditional
update (``store/ownership.py``: it happens for exactly one caller, or not at all), the event row
(who, what, when) and the redraw of every channel copy; then the queued messages are sent at
once (the worker is the backstop) and the action's reply is returned. The replies' wording is in ``prompts/ownership.py``; a
person they name is ``{who}`` plus an id, made a mention by the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from c360.domain import Alert
from c360.ownership import outbox
from c360.ownership.rules import RulesError
from c360.ownership.types import ActionResult, parse_snooze
from prompts import ownership as words
from store import ownership as db

if TYPE_CHECKING:
    from c360.ownership.service import OwnershipService

log = logging.getLogger(__name__)


class _Refused(Exception):
    """Raised inside a transition that must not happen; carries the reply."""

    def __init__(self, result: ActionResult) -> None:
        self.result = result


def _transition(
    ctx: OwnershipService,
    alert_id: str,
    event: str,
    actor: tuple[str, str | None],
    change: Callable[[Any, datetime], Alert | None],
    refused: Callable[[Alert | None], ActionResult],
    done: ActionResult,
    detail: Callable[[], dict[str, Any] | None] = lambda: None,
    owner_dm: tuple[str, str | None, str, str | None] | None = None,
) -> ActionResult:
    """Run ``change(session, now)`` (a store transition: the alert after it, or None when its
    condition did not hold). When it happened: the event and the channel redraw are queued in
    the same transaction, then the new owner's DM (``owner_dm``: who, their name, how, by whom)
    after it, all of them are sent, and ``done`` is the reply. Otherwise ``refused(current
    alert)`` is the reply and nothing is queued."""
    now = ctx.clock.now()
    try:
        with ctx.sessions() as session, session.begin():
            after = change(session, now)
            if after is None:
                return refused(db.get_alert(session, alert_id))
            db.add_event(session, alert_id, event, now, actor[0], actor[1], detail())
            keys = outbox.enqueue_update(session, after, now)
    except _Refused as stop:
        return stop.result
    if owner_dm is not None:
        keys += outbox.enqueue_owner_dm(ctx, alert_id, *owner_dm)
    outbox.deliver(ctx, keys=keys)
    return done


def _owner(ctx: OwnershipService, user_id: str, name: str | None, team: str | None) -> dict:
    try:
        team = ctx.rules.team_of(user_id, team)
    except RulesError as exc:  # a broken rules file must not block a claim
        log.error("team mapping unavailable: %s", exc)
        team = team or "unassigned"
    return {"id": user_id, "name": name, "team": team}


def _remind_at(ctx: OwnershipService, now: datetime) -> datetime:
    return now + timedelta(hours=ctx.settings.remind_after_hours)


def claim(
    ctx: OwnershipService,
    alert_id: str,
    user_id: str,
    user_name: str | None = None,
    team: str | None = None,
) -> ActionResult:
    """The "I'll own it" button. Exactly one of any number of concurrent callers wins; the
    others are told, politely, who owns it."""
    owner = _owner(ctx, user_id, user_name, team)

    def taken(alert: Alert | None) -> ActionResult:
        if alert is None:
            return ActionResult(False, alert_id, words.GONE)
        if alert.status == "resolved":
            text, who = (
                words.resolved_already(bool(alert.resolved_by), thanks=True),
                alert.resolved_by,
            )
        elif alert.owner_id == user_id:
            text, who = words.OWNED_ALREADY_BY_YOU, None
        else:
            text, who = words.OWNED_ALREADY, alert.owner_id
        return ActionResult(False, alert_id, text, alert.owner_id, alert.status, who)

    return _transition(
        ctx,
        alert_id,
        "claimed",
        (user_id, user_name),
        lambda session, now: db.claim(session, alert_id, owner, now, _remind_at(ctx, now)),
        taken,
        ActionResult(True, alert_id, words.CLAIMED, user_id, "owned"),
        owner_dm=(user_id, user_name, "claimed", None),
    )


def assign(
    ctx: OwnershipService,
    alert_id: str,
    assignee_id: str,
    by_user_id: str,
    assignee_name: str | None = None,
    by_user_name: str | None = None,
    team: str | None = None,
) -> ActionResult:
    """The "Assign to…" picker: hand the alert to someone (from nobody, or from its owner)."""
    owner = _owner(ctx, assignee_id, assignee_name, team)
    previous: dict[str, Any] = {}

    def change(session, now: datetime) -> Alert | None:
        before = db.get_alert(session, alert_id)
        if before is None:
            raise _Refused(ActionResult(False, alert_id, words.GONE))
        previous["owner"] = before.owner_id
        if before.owner_id == assignee_id and before.status == "owned":
            reply = words.ASSIGNEE_OWNS_ALREADY
            raise _Refused(ActionResult(False, alert_id, reply, assignee_id, "owned", assignee_id))
        return db.assign(session, alert_id, owner, now, _remind_at(ctx, now))

    def resolved(alert: Alert | None) -> ActionResult:
        reply = words.ASSIGN_RESOLVED
        return ActionResult(False, alert_id, reply, previous.get("owner"), "resolved")

    return _transition(
        ctx,
        alert_id,
        "assigned",
        (by_user_id, by_user_name),
        change,
        resolved,
        ActionResult(True, alert_id, words.ASSIGNED, assignee_id, "owned", assignee_id),
        lambda: {"from": previous.get("owner"), "to": assignee_id},
        owner_dm=(assignee_id, assignee_name, "assigned", by_user_id),
    )


def release(
    ctx: OwnershipService, alert_id: str, user_id: str, user_name: str | None = None
) -> ActionResult:
    """The owner lets go: the alert is open again and its escalation timer restarts."""
    escalate_after = timedelta(minutes=ctx.settings.escalate_after_minutes)

    def not_owner(alert: Alert | None) -> ActionResult:
        owner = alert.owner_id if alert else None
        text = words.release_refused(bool(owner))
        return ActionResult(False, alert_id, text, owner, alert.status if alert else None, owner)

    return _transition(
        ctx,
        alert_id,
        "released",
        (user_id, user_name),
        lambda session, now: db.release(session, alert_id, user_id, now, now + escalate_after),
        not_owner,
        ActionResult(True, alert_id, words.RELEASED, None, "open"),
    )


def snooze(
    ctx: OwnershipService,
    alert_id: str,
    user_id: str,
    choice: str,
    user_name: str | None = None,
    tz: tzinfo | None = None,
) -> ActionResult:
    """Pause the alert's timer (its escalation when open, its reminder when owned). ``tz``: the
    presser's zone (Slack's users.info): "tomorrow" is their 09:00, and the reply says when in
    their zone (in UTC, saying so, without one)."""
    now = ctx.clock.now()
    until = parse_snooze(choice, now, tz)
    return _transition(
        ctx,
        alert_id,
        "snoozed",
        (user_id, user_name),
        lambda session, now: db.snooze(session, alert_id, user_id, until, now),
        lambda alert: ActionResult(False, alert_id, words.SNOOZE_REFUSED),
        ActionResult(True, alert_id, words.snoozed(until, now, tz), status="snoozed", until=until),
        lambda: {"until": until.isoformat(), "choice": choice},
    )


def resolve(
    ctx: OwnershipService, alert_id: str, user_id: str, user_name: str | None = None
) -> ActionResult:
    def already(alert: Alert | None) -> ActionResult:
        by = alert.resolved_by if alert else None
        text = words.resolved_already(bool(by))
        return ActionResult(False, alert_id, text, status="resolved", who=by)

    return _transition(
        ctx,
        alert_id,
        "resolved",
        (user_id, user_name),
        lambda session, now: db.resolve(session, alert_id, user_id, now),
        already,
        ActionResult(True, alert_id, words.RESOLVED, status="resolved"),
    )
