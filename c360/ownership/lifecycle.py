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
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from c360.domain import Alert, AlertEvent, Person
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
    actor: Person,
    change: Callable[[Any, datetime], Alert | None],
    refused: Callable[[Alert | None], ActionResult],
    done: ActionResult,
    detail: Callable[[], dict[str, Any]] = dict,
    owner_dm: tuple[Person, str, Person | None] | None = None,
) -> ActionResult:
    """Run ``change(session, now)`` (a store transition: the alert after it, or None when its
    condition did not hold). When it happened: the event (done by ``actor``) and the channel
    redraw are queued in the same transaction, then the new owner's DM (``owner_dm``: who, how,
    by whom) after it, all of them are sent, and ``done`` is the reply. Otherwise
    ``refused(current alert)`` is the reply and nothing is queued."""
    now = ctx.clock.now()
    try:
        with ctx.sessions() as session, session.begin():
            after = change(session, now)
            if after is None:
                return refused(db.get_alert(session, alert_id))
            db.add_event(session, AlertEvent(alert_id, event, now, actor.id, actor.name, detail()))
            keys = outbox.enqueue_update(session, after, now)
    except _Refused as stop:
        return stop.result
    if owner_dm is not None:
        keys += outbox.enqueue_owner_dm(ctx, alert_id, *owner_dm)
    outbox.deliver(ctx, keys=keys)
    return done


def _owner(ctx: OwnershipService, person: Person) -> Person:
    """``person`` with the team they own alerts for (the rules' ``teams:``; their own
    ``team`` when the rules do not map them)."""
    try:
        team = ctx.rules.team_of(person.id, person.team)
    except RulesError as exc:  # a broken rules file must not block a claim
        log.error("team mapping unavailable: %s", exc)
        team = person.team or "unassigned"
    return replace(person, team=team)


def _remind_at(ctx: OwnershipService, now: datetime) -> datetime:
    return now + timedelta(hours=ctx.settings.remind_after_hours)


def claim(ctx: OwnershipService, alert_id: str, by: Person) -> ActionResult:
    """The "I'll own it" button. Exactly one of any number of concurrent callers wins; the
    others are told, politely, who owns it."""
    owner = _owner(ctx, by)

    def taken(alert: Alert | None) -> ActionResult:
        if alert is None:
            return ActionResult(False, alert_id, words.GONE)
        if alert.status == "resolved":
            text, who = (
                words.resolved_already(bool(alert.resolved_by), thanks=True),
                alert.resolved_by,
            )
        elif alert.owner_id == by.id:
            text, who = words.OWNED_ALREADY_BY_YOU, None
        else:
            text, who = words.OWNED_ALREADY, alert.owner_id
        return ActionResult(False, alert_id, text, alert.owner_id, alert.status, who)

    return _transition(
        ctx,
        alert_id,
        "claimed",
        by,
        lambda session, now: db.claim(session, alert_id, owner, now, _remind_at(ctx, now)),
        taken,
        ActionResult(True, alert_id, words.CLAIMED, by.id, "owned"),
        owner_dm=(by, "claimed", None),
    )


def assign(ctx: OwnershipService, alert_id: str, to: Person, by: Person) -> ActionResult:
    """The "Assign to…" picker: ``by`` hands the alert to ``to`` (from nobody, or from its
    owner)."""
    owner = _owner(ctx, to)
    previous: dict[str, Any] = {}

    def change(session, now: datetime) -> Alert | None:
        before = db.get_alert(session, alert_id)
        if before is None:
            raise _Refused(ActionResult(False, alert_id, words.GONE))
        previous["owner"] = before.owner_id
        if before.owner_id == to.id and before.status == "owned":
            reply = words.ASSIGNEE_OWNS_ALREADY
            raise _Refused(ActionResult(False, alert_id, reply, to.id, "owned", to.id))
        return db.assign(session, alert_id, owner, now, _remind_at(ctx, now))

    def resolved(alert: Alert | None) -> ActionResult:
        reply = words.ASSIGN_RESOLVED
        return ActionResult(False, alert_id, reply, previous.get("owner"), "resolved")

    return _transition(
        ctx,
        alert_id,
        "assigned",
        by,
        change,
        resolved,
        ActionResult(True, alert_id, words.ASSIGNED, to.id, "owned", to.id),
        lambda: {"from": previous.get("owner"), "to": to.id},
        owner_dm=(to, "assigned", by),
    )


def release(ctx: OwnershipService, alert_id: str, by: Person) -> ActionResult:
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
        by,
        lambda session, now: db.release(session, alert_id, by.id, now, now + escalate_after),
        not_owner,
        ActionResult(True, alert_id, words.RELEASED, None, "open"),
    )


def snooze(ctx: OwnershipService, alert_id: str, by: Person, choice: str) -> ActionResult:
    """Pause the alert's timer (its escalation when open, its reminder when owned). ``by.tz``:
    the presser's zone (Slack's users.info): "tomorrow" is their 09:00, and the reply says when
    in their zone (in UTC, saying so, without one)."""
    now = ctx.clock.now()
    until = parse_snooze(choice, now, by.tz)
    return _transition(
        ctx,
        alert_id,
        "snoozed",
        by,
        lambda session, now: db.snooze(session, alert_id, by.id, until, now),
        lambda alert: ActionResult(False, alert_id, words.SNOOZE_REFUSED),
        ActionResult(
            True, alert_id, words.snoozed(until, now, by.tz), status="snoozed", until=until
        ),
        lambda: {"until": until.isoformat(), "choice": choice},
    )


def resolve(ctx: OwnershipService, alert_id: str, by: Person) -> ActionResult:
    def already(alert: Alert | None) -> ActionResult:
        by = alert.resolved_by if alert else None
        text = words.resolved_already(bool(by))
        return ActionResult(False, alert_id, text, status="resolved", who=by)

    return _transition(
        ctx,
        alert_id,
        "resolved",
        by,
        lambda session, now: db.resolve(session, alert_id, by.id, now),
        already,
        ActionResult(True, alert_id, words.RESOLVED, status="resolved"),
    )
