"""Questions in conversation: @mentions in channels and direct messages. Answered in a thread."""

from __future__ import annotations

from bot import listeners
from bot.answering import answer_conversation
from bot.services import BotServices


def register(app, services: BotServices) -> None:
    def hand_off(event: dict, body: dict) -> None:
        def tell(message: dict) -> None:
            services.slack.post_or_dm(
                event["channel"],
                event["user"],
                message,
                thread_ts=event.get("thread_ts") or event["ts"],
            )

        listeners.hand_off(
            services, answer_conversation, services, event, body.get("team_id"), tell=tell
        )

    # Events are acknowledged by Bolt before these run (auto-ack), so these only hand off.
    @app.event("app_mention")
    def on_mention(event: dict, body: dict) -> None:
        if event.get("channel_type") == "im" or event.get("channel", "").startswith("D"):
            return  # the same DM arrives as message.im, answered there
        hand_off(event, body)

    @app.event("message")
    def on_direct_message(event: dict, body: dict) -> None:
        # Only plain user messages in the app's DM: no edits, joins or bot posts.
        if (
            event.get("channel_type") != "im"
            or event.get("subtype")
            or event.get("bot_id")
            or not event.get("user")
        ):
            return
        hand_off(event, body)
