"""Buttons on ownership alerts: "I'll own it", "Assign to…", "Snooze", "Release", "Resolved".

Thin: ack, hand the press to the work pool, call one OwnershipService method, tell the person
who pressed when it did not go their way (a polite ephemeral, e.g. "already owned by @X").
The service itself redraws the alert in the channel (chat.update) and DMs the new owner.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import alert_blocks as ab
from bot import blocks

log = logging.getLogger(__name__)


def _alert_id(action: dict[str, Any]) -> str | None:
    return ab.alert_id_from_block(action.get("block_id")) or action.get("value")


def _presser(body: dict[str, Any]) -> tuple[str, str | None]:
    user = body.get("user") or {}
    return user["id"], user.get("name") or user.get("username")


def register(app, services) -> None:
    def tell(body: dict[str, Any], text: str) -> None:
        """Only the presser sees it: an ephemeral where they clicked, else via response_url."""
        user_id, _ = _presser(body)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        if channel and services.slack.ephemeral(channel, user_id, {"text": text}):
            return
        services.slack.respond(body.get("response_url"), {"text": text}, replace_original=False)

    def hand_off(body: dict[str, Any], job, *args: Any) -> None:
        def tell_failure(error_id: str) -> None:
            tell(body, blocks.failure(error_id))

        if services.pool.submit(job, *args, on_error=tell_failure) is None:
            tell(body, blocks.BUSY)

    def ownership():
        service = services.ownership
        if service is None:
            raise RuntimeError("the ownership service is not available in this build")
        return service

    def claim(body: dict[str, Any], alert_id: str) -> None:
        user_id, name = _presser(body)
        result = ownership().claim(alert_id, user_id, name)
        if not result.ok:
            tell(body, result.message)

    def assign(body: dict[str, Any], alert_id: str, assignee: str) -> None:
        user_id, name = _presser(body)
        result = ownership().assign(
            alert_id,
            assignee,
            by_user_id=user_id,
            assignee_name=services.slack.user_name(assignee),
            by_user_name=name,
        )
        tell(body, result.message)

    def snooze(body: dict[str, Any], alert_id: str, choice: str) -> None:
        user_id, name = _presser(body)
        tell(body, ownership().snooze(alert_id, user_id, choice, name).message)

    def release(body: dict[str, Any], alert_id: str) -> None:
        user_id, name = _presser(body)
        result = ownership().release(alert_id, user_id, name)
        if not result.ok:
            tell(body, result.message)

    def resolve(body: dict[str, Any], alert_id: str) -> None:
        user_id, name = _presser(body)
        result = ownership().resolve(alert_id, user_id, name)
        if not result.ok:
            tell(body, result.message)

    @app.action(ab.ACTION_CLAIM)
    def on_claim(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, claim, body, _alert_id(action))

    @app.action(ab.ACTION_ASSIGN)
    def on_assign(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, assign, body, _alert_id(action), action["selected_user"])

    @app.action(ab.ACTION_SNOOZE)
    def on_snooze(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, snooze, body, _alert_id(action), action["selected_option"]["value"])

    @app.action(ab.ACTION_RELEASE)
    def on_release(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, release, body, _alert_id(action))

    @app.action(ab.ACTION_RESOLVE)
    def on_resolve(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, resolve, body, _alert_id(action))
