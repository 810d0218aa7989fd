"""Buttons on answers: feedback, "Full brief", "Share in channel", and picking a customer
when ambiguous."""

from __future__ import annotations

import json
import re

from bot import blocks, listeners, picker, views
from bot.answering import answer_picked, send_full_brief, share_in_channel
from bot.moments import log_picked_moment
from bot.services import BotServices

FEEDBACK_THANKS = {
    "helpful": "Thanks! Glad it helped.",
    "not_helpful": "Thanks for telling me. This answer is marked as not helpful so it can be improved.",
    "wrong_customer": "Sorry about that. Noted as the wrong customer; try `/customer <exact name or id>`.",
}


FEEDBACK_THANKS_WRONG = "Sorry about that. Noted as the wrong customer. Did you mean one of these?"


def register(app, services: BotServices) -> None:
    def hand_off(body: dict, job, *args) -> None:
        response_url = body.get("response_url")

        def tell(message: dict) -> None:
            services.slack.respond(response_url, message, replace_original=False)

        listeners.hand_off(services, job, *args, tell=tell)

    def record_feedback(body: dict, value: dict, action_id: str) -> None:
        services.moments.set_feedback(value["m"], value["v"], body["user"]["id"])
        message = body.get("message") or {}
        if message.get("blocks"):  # the pressed button shows as chosen
            services.slack.respond(
                body.get("response_url"),
                {
                    "text": message.get("text") or "",
                    "blocks": blocks.with_choice(message["blocks"], action_id),
                },
                replace_original=True,
            )
        reply = blocks.text_message(FEEDBACK_THANKS[value["v"]])
        others = value.get("o") or []
        if value["v"] == "wrong_customer" and others:  # offer the others; a pick re-answers
            channel_id = (body.get("channel") or {}).get("id")
            context = {"k": "ask", "q": value.get("q") or "", "ch": channel_id,
                       "t": value.get("t"), "dm": bool(value.get("dm")), "w": 1}  # fmt: skip
            candidates = [{"customer_id": cid, "name": name} for cid, name in others]
            reply = picker.candidates_message(
                {"question": value.get("q") or "", "candidates": candidates}, context=context
            )
            reply["text"] = FEEDBACK_THANKS_WRONG
            reply["blocks"][0]["text"]["text"] = FEEDBACK_THANKS_WRONG
        services.slack.respond(body.get("response_url"), reply, replace_original=False)

    @app.action(re.compile(f"^{blocks.ACTION_FEEDBACK}_"))
    def feedback(ack, body: dict, action: dict) -> None:
        ack()
        value = json.loads(action["value"])
        if value.get("v") == "not_helpful" and body.get("trigger_id"):
            # a trigger id lives 3 s: the one-question form opens now, before the pool
            services.slack.open_view(body["trigger_id"], views.reason_modal(value["m"]))
        hand_off(body, record_feedback, body, value, action["action_id"])

    @app.view(blocks.MODAL_FEEDBACK_REASON)
    def feedback_reason(ack, body: dict, view: dict) -> None:
        ack()
        moment_id = json.loads(view.get("private_metadata") or "{}").get("m")
        state = (view.get("state") or {}).get("values") or {}
        reason = ((state.get(blocks.BLOCK_REASON) or {}).get(blocks.ACTION_REASON) or {}).get(
            "value"
        )
        if moment_id and reason:
            user_id = body["user"]["id"]

            def tell(message: dict) -> None:
                services.slack.dm(user_id, message)

            listeners.hand_off(
                services,
                services.moments.set_feedback,
                moment_id,
                "not_helpful",
                user_id,
                reason,
                tell=tell,
            )

    @app.action(blocks.ACTION_SHARE)
    def share(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, share_in_channel, services, body, json.loads(action["value"]))

    @app.action(blocks.ACTION_FULL_BRIEF)
    def full_brief(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, send_full_brief, services, body, json.loads(action["value"]))

    @app.action(re.compile(f"^{blocks.ACTION_PICK_CUSTOMER}_"))
    def pick_customer(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, answer_picked, services, body, json.loads(action["value"]))

    @app.action(re.compile(f"^{blocks.ACTION_PICK_MOMENT_CUSTOMER}_"))
    def pick_moment_customer(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, log_picked_moment, services, body, json.loads(action["value"]))
