"""Slack's assistant surface (the AI app pane), when the workspace has it.

``assistant_thread_started``: the person opened a thread with c360. Thin: ack (Bolt), hand off;
in the pool, ask the audience policy, then set the suggested prompts
(``assistant.threads.setSuggestedPrompts``, wording in ``prompts/assistant.py``) or, with no
customer to suggest, post one greeting line. A guest or a user of another organisation is told
why in the thread and offered nothing; someone Slack could not vouch for gets the greeting, no
customer names.

Questions written in the assistant thread arrive as ``message.im`` with the thread's ts and are
answered by ``bot.listeners.messages`` through the same service as any DM (in the thread, with
the thread remembering its customer). A workspace without the surface never sends the event;
a failed Slack call is logged (``SlackIO``), never raised.
"""

from __future__ import annotations

from typing import Any

from c360.safety.policy import Content, Surface, decide
from prompts import assistant as words

from bot import blocks
from bot.listeners import hand_off
from bot.services import BotServices

NAME_CHARS = 60


def _names(services: BotServices, user_id: str) -> tuple[list[str], list[str]]:
    """Customers this person asked about last, and customers with a moment waiting for an
    owner, as escaped display names."""
    recent = [
        (m.meta or {}).get("customer_name")
        for m in services.moments.recent_exchanges(asker_id=user_id, limit=10)
    ]
    waiting: list[Any] = []
    if services.ownership is not None:
        waiting = [
            a.get("customer_name") for a in services.ownership.home_summary(user_id)["waiting"]
        ]

    def shown(names: list[Any]) -> list[str]:
        return [blocks.escape(blocks.whole_line(n, NAME_CHARS)) for n in names if n]

    return shown(recent), shown(waiting)


def start_thread(
    services: BotServices, assistant_thread: dict[str, Any], team_id: str | None
) -> None:
    """In the pool: the policy's decision, then prompts, a greeting, or the refusal."""
    slack = services.slack
    user_id = assistant_thread["user_id"]
    channel_id, thread_ts = assistant_thread["channel_id"], assistant_thread["thread_ts"]
    decision = decide(slack.requester(user_id, team_id), Surface.DM, Content.CUSTOMERS)
    if decision.refused:
        slack.post(channel_id, blocks.text_message(decision.reason), thread_ts=thread_ts)
        return
    prompts = words.suggested_prompts(*_names(services, user_id)) if decision.full else []
    if prompts and slack.suggest_prompts(channel_id, thread_ts, words.TITLE, prompts):
        return
    slack.post(channel_id, blocks.text_message(words.GREETING), thread_ts=thread_ts)


def register(app, services: BotServices) -> None:
    @app.event("assistant_thread_started")
    def on_thread_started(event: dict, body: dict) -> None:
        thread = event["assistant_thread"]

        def tell(message: dict[str, Any]) -> None:
            services.slack.post(thread["channel_id"], message, thread_ts=thread["thread_ts"])

        hand_off(services, start_thread, services, thread, body.get("team_id"), tell=tell)
