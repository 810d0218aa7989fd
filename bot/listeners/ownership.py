"""Buttons on ownership alerts: "I'll own it", "Assign to…", "Snooze", "Release", "Resolved".
"I'll own it" is also on App Home's waiting rows: the same action, listener and claim rule; a
press there redraws the Home tab and says what went wrong, if anything, in the app's DM.

Thin: ack, hand the press to the work pool, call one OwnershipService method, tell the person
who pressed when it did not go their way (a polite ephemeral, e.g. "already owned by @X").
The service itself redraws the alert in the channel (chat.update) and DMs the new owner.

Every press asks the audience policy first (``Surface.ALERT_ACTION``): a guest, a user from
another organisation, or someone Slack could not vouch for (users.info failed) is told why and
the service is never called, so they never become an owner or get the owner's full brief. An
assignee must be a confirmed full member too: the new owner gets the full brief by DM.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from c360.domain import Person
from c360.safety.policy import Content, Standing, Surface, decide

from bot import alert_blocks as ab
from bot import blocks, listeners
from bot.listeners import home
from bot.services import ReplyTo

log = logging.getLogger(__name__)


def _alert_id(action: dict[str, Any]) -> str | None:
    return ab.alert_id_from_block(action.get("block_id")) or action.get("value")


def _presser(body: dict[str, Any]) -> Person:
    """Who pressed, as the action's payload names them (no users.info call)."""
    user = body.get("user") or {}
    return Person(user["id"], user.get("name") or user.get("username"))


def _team(body: dict[str, Any]) -> str | None:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")


def assignee_refusal(standing: Standing, name: str) -> str:
    """Why an alert cannot go to this person (they would get the full brief by DM)."""
    who = blocks.escape(name)
    if standing is Standing.UNKNOWN:
        return (
            f"Sorry, I couldn't confirm {who}'s account with Slack just now, so I didn't assign "
            "the alert. Please try again in a minute."
        )
    return (
        f"Sorry, I can't assign it to {who}: alerts (and the full brief that comes with them) "
        "are only for full members of this workspace."
    )


def register(app, services) -> None:
    def tell(body: dict[str, Any], text: str) -> None:
        """Only the presser sees it: an ephemeral where they clicked, else via response_url."""
        user_id = _presser(body).id
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if channel and services.slack.ephemeral(ReplyTo(channel, user_id), {"text": text}):
            return
        if services.slack.respond(body.get("response_url"), {"text": text}, replace_original=False):
            return
        # App Home has neither a channel nor a response_url: the app's DM with them.
        services.slack.dm(user_id, {"text": text})

    def hand_off(body: dict[str, Any], job, *args: Any) -> None:
        listeners.hand_off(services, job, *args, tell=lambda message: tell(body, message["text"]))

    def ownership():
        service = services.ownership
        if service is None:
            raise RuntimeError("the ownership service is not available in this build")
        return service

    def allowed(body: dict[str, Any], job, *args: Any) -> None:
        """Run ``job`` only when the audience policy lets the presser change alerts; otherwise
        tell them why (the service is not reached)."""
        requester = services.slack.requester(_presser(body).id, _team(body))
        decision = decide(requester, Surface.ALERT_ACTION, Content.ALERT_CHANGE)
        if decision.refused:
            tell(body, decision.reason)
            return
        job(body, *args)

    def assign(body: dict[str, Any], alert_id: str, assignee: str) -> None:
        target = services.slack.requester(assignee, _team(body))
        to = Person(assignee, services.slack.user_name(assignee))
        if not decide(target, Surface.DM, Content.BRIEF).full:
            tell(body, assignee_refusal(target.standing, to.name))
            return
        tell(body, ab.action_reply(ownership().assign(alert_id, to, by=_presser(body))))

    def snooze(body: dict[str, Any], alert_id: str, choice: str) -> None:
        presser = _presser(body)
        # "tomorrow" is the presser's own 09:00, and the reply says when on their clock
        presser = replace(presser, tz=services.slack.zone(presser.id))
        tell(body, ab.action_reply(ownership().snooze(alert_id, presser, choice)))

    def on_press(method: str):
        """The listener of a button whose service method takes (alert_id, presser): claim,
        release, resolve. The presser hears back only when it did not go their way."""

        def job(body: dict[str, Any], alert_id: str) -> None:
            presser = _presser(body)
            result = getattr(ownership(), method)(alert_id, presser)
            if not result.ok:
                tell(body, ab.action_reply(result))
            if (body.get("container") or {}).get("type") == "view" and (body.get("view") or {}).get(
                "type"
            ) == "home":
                # pressed on App Home: redraw it, so the row moves to "Moments I own"
                home.publish_home(services, presser.id, _team(body))

        def listener(ack, body: dict, action: dict) -> None:
            ack()
            hand_off(body, allowed, body, job, _alert_id(action))

        return listener

    app.action(ab.ACTION_CLAIM)(on_press("claim"))
    app.action(ab.ACTION_RELEASE)(on_press("release"))
    app.action(ab.ACTION_RESOLVE)(on_press("resolve"))

    @app.action(ab.ACTION_ASSIGN)
    def on_assign(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, allowed, body, assign, _alert_id(action), action["selected_user"])

    @app.action(ab.ACTION_SNOOZE)
    def on_snooze(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, allowed, body, snooze, _alert_id(action), action["selected_option"]["value"])
