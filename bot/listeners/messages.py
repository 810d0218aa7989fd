"""Questions in conversation, and the one ``message`` listener.

- ``app_mention`` in a channel: answered in its thread.
- ``message.im``: a DM, answered in the conversation (in a thread only when asked in one).
- ``message.channels`` / ``message.groups``: every person's message is handed to the services
  (``SlackEventsPort.channel_message``: the live capture of customer channels subscribes
  there); a reply in a thread the bot has answered in is answered without an @mention. A message
  that mentions the bot is left to ``app_mention`` (Slack sends both).
"""

from __future__ import annotations

from typing import Any

from c360.ports import ChannelMessage

from bot import listeners
from bot.answering import answer_conversation
from bot.services import BotServices, ReplyTo

CHANNEL_TYPES = ("channel", "group")


def _person_message(event: dict[str, Any]) -> bool:
    """A plain message a person wrote: no edits, joins, bot posts."""
    return not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))


def _bot_user_id(context: Any, body: dict[str, Any]) -> str | None:
    bot_user = getattr(context, "bot_user_id", None) or (context or {}).get("bot_user_id")
    if bot_user:
        return bot_user
    for auth in body.get("authorizations") or []:
        if auth.get("is_bot"):
            return auth.get("user_id")
    return None


def answer_thread_reply(services: BotServices, event: dict[str, Any], team_id: str | None) -> None:
    """In the pool: hand the message to the services, then answer it when it is a reply in a
    thread the bot answered in (the thread remembers its customer)."""
    services.events.channel_message(
        ChannelMessage(
            channel_id=event["channel"],
            user_id=event["user"],
            ts=event["ts"],
            text=event.get("text") or "",
            thread_ts=event.get("thread_ts"),
            team_id=team_id,
            channel_type=event.get("channel_type"),
        )
    )
    thread_ts = event.get("thread_ts")
    if not event.get("addressed") or not thread_ts or thread_ts == event["ts"]:
        return
    if services.events.thread_customer(event["channel"], thread_ts) is None:
        return  # not a thread the bot answered in: people talking among themselves
    answer_conversation(services, event, team_id)


def register(app, services: BotServices) -> None:
    def hand_off(job, event: dict, body: dict, *, tell_busy: bool = True) -> None:
        def tell(message: dict) -> None:
            thread_ts = event.get("thread_ts") or (
                None if event.get("channel_type") == "im" else event["ts"]
            )
            services.slack.post_or_dm(ReplyTo(event["channel"], event["user"], thread_ts), message)

        listeners.hand_off(
            services, job, services, event, body.get("team_id"), tell=tell, tell_busy=tell_busy
        )

    # Events are acknowledged by Bolt before these run (auto-ack), so these only hand off.
    @app.event("app_mention")
    def on_mention(event: dict, body: dict) -> None:
        if event.get("channel_type") == "im" or event.get("channel", "").startswith("D"):
            return  # the same DM arrives as message.im, answered there
        hand_off(answer_conversation, event, body)

    @app.event("message")
    def on_message(event: dict, body: dict, context) -> None:
        if not _person_message(event):
            return
        if event.get("channel_type") == "im":
            hand_off(answer_conversation, event, body)
            return
        if event.get("channel_type") not in CHANNEL_TYPES:
            return
        bot_user = _bot_user_id(context, body)
        mentioned = bool(bot_user) and f"<@{bot_user}" in (event.get("text") or "")
        # Answer only replies (not the mention app_mention answers); capture every message.
        event = {**event, "addressed": not mentioned}
        hand_off(
            answer_thread_reply,
            event,
            body,
            tell_busy=not mentioned and bool(event.get("thread_ts")),
        )
