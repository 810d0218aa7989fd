"""Buttons on answers: feedback, "Full brief", "Share in channel", and picking a customer
when ambiguous."""

from __future__ import annotations

import json
import re

from bot import blocks, listeners
from bot.answering import answer_picked, log_picked_moment, send_full_brief, share_in_channel
from bot.services import BotServices

FEEDBACK_THANKS = {
    "helpful": "Thanks! Glad it helped.",
    "not_helpful": "Thanks for telling me. This answer is marked as not helpful so it can be improved.",
    "wrong_customer": "Sorry about that. Noted as the wrong customer; try `/customer <exact name or id>`.",
}


def register(app, services: BotServices) -> None:
    def hand_off(body: dict, job, *args) -> None:
        response_url = body.get("response_url")

        def tell(message: dict) -> None:
            services.slack.respond(response_url, message, replace_original=False)

        listeners.hand_off(services, job, *args, tell=tell)

    def record_feedback(body: dict, value: dict) -> None:
        services.moments.set_feedback(value["m"], value["v"], body["user"]["id"])
        services.slack.respond(
            body.get("response_url"),
            blocks.text_message(FEEDBACK_THANKS[value["v"]]),
            replace_original=False,
        )

    @app.action(re.compile(f"^{blocks.ACTION_FEEDBACK}_"))
    def feedback(ack, body: dict, action: dict) -> None:
        ack()
        hand_off(body, record_feedback, body, json.loads(action["value"]))

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
