"""Message shortcut "Log as customer moment": a modal to pick the customer and confirm the text.

The modal's customer picker (typeahead) asks the audience policy first: a guest, a user from
another organisation or anyone the policy refuses gets no options, so no customer name leaks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from c360.safety.policy import Content, Surface, decide

from bot import blocks, listeners, views, wording
from bot.answering import refusal
from bot.services import BotServices

log = logging.getLogger(__name__)

CALLBACK_ID = "log_customer_moment"  # manifest.yml: shortcuts[].callback_id


def register(app, services: BotServices) -> None:
    slack = services.slack

    def open_modal(body: dict) -> None:
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        team_id = (body.get("team") or {}).get("id")
        reason = refusal(services, user_id, channel_id, team_id=team_id, content=Content.MOMENT)
        if reason:
            slack.dm(user_id, blocks.text_message(reason))
            return
        text = message.get("text") or ""
        candidates = services.briefs.find_customers(text, limit=1) if text.strip() else []
        initial = (candidates[0].customer_id, candidates[0].name) if candidates else None
        metadata = json.dumps(
            {"ch": channel_id, "ts": message.get("ts"), "author": message.get("user")}
        )
        view = views.moment_modal(text, private_metadata=metadata, initial=initial)
        if not slack.open_view(body["trigger_id"], view):
            slack.dm(
                user_id,
                blocks.text_message(
                    "Sorry, I couldn't open the form. Use `/moment <customer>: <what happened>` instead."
                ),
            )

    def tell_by_dm(body: dict) -> Callable[[dict], Any]:
        return lambda message: slack.dm(body["user"]["id"], message)

    @app.shortcut(CALLBACK_ID)
    def on_shortcut(ack, body: dict) -> None:
        ack()
        listeners.hand_off(services, open_modal, body, tell=tell_by_dm(body))

    @app.options(blocks.ACTION_CUSTOMER_SELECT)
    def customer_suggestions(ack, body: dict, payload: dict) -> None:
        # Answered inside the request (Slack waits for the options); name lookups take
        # milliseconds, users.info is cached.
        user = body.get("user") or {}
        team_id = (body.get("team") or {}).get("id") or user.get("team_id")
        if (
            not user.get("id")
            or decide(
                slack.requester(user["id"], team_id), Surface.TYPEAHEAD, Content.CUSTOMERS
            ).refused
        ):
            ack(options=[])
            return
        ack(
            options=views.customer_options(
                services.briefs.find_customers(payload.get("value") or "", limit=20)
            )
        )

    def log_submitted(
        body: dict, customer_id: str, customer_name: str, text: str, needs_owner: bool
    ) -> None:
        user_id = body["user"]["id"]
        meta = json.loads(body["view"].get("private_metadata") or "{}")
        team_id = (body.get("team") or {}).get("id")
        reason = refusal(services, user_id, meta.get("ch"), team_id=team_id, content=Content.MOMENT)
        if reason:
            slack.dm(user_id, blocks.text_message(reason))
            return
        asker = slack.asker(
            user_id,
            channel_id=meta.get("ch"),
            message_ts=meta.get("ts"),
            team=(body.get("team") or {}).get("id"),
        )
        moment = services.moments.log_moment(
            customer_id,
            text,
            asker,
            needs_owner=needs_owner,
            meta={
                "via": "shortcut",
                "channel_id": meta.get("ch"),
                "message_ts": meta.get("ts"),
                "permalink": asker.permalink,
            },
        )
        customer = {"customer_id": customer_id, "name": customer_name}
        slack.dm(
            user_id,
            blocks.text_message(wording.moment_logged(customer, moment.moment_id, needs_owner)),
        )

    @app.view(blocks.MODAL_LOG_MOMENT)
    def on_submit(ack, body: dict, view: dict) -> None:
        values = view["state"]["values"]
        selected = (
            values.get(blocks.BLOCK_CUSTOMER, {}).get(blocks.ACTION_CUSTOMER_SELECT) or {}
        ).get("selected_option")
        text = (
            (values.get(blocks.BLOCK_TEXT, {}).get(blocks.ACTION_TEXT) or {}).get("value") or ""
        ).strip()
        errors = {}
        if not selected:
            errors[blocks.BLOCK_CUSTOMER] = "Pick the customer this moment is about."
        if not text:
            errors[blocks.BLOCK_TEXT] = "Say what happened."
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        flags = (values.get(blocks.BLOCK_NEEDS_OWNER, {}).get(blocks.ACTION_NEEDS_OWNER) or {}).get(
            "selected_options"
        ) or []
        name = selected["text"]["text"].rsplit(" (", 1)[0]
        listeners.hand_off(
            services,
            log_submitted,
            body,
            selected["value"],
            name,
            text,
            bool(flags),
            tell=tell_by_dm(body),
        )
