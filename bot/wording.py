"""The bot's fixed wording: progress, busy, usage and failure notices (already-safe mrkdwn;
anything a user typed goes through ``escape``)."""

from __future__ import annotations

from typing import Any

from bot.blocks import _truncate, escape


def looking_up(what: str) -> str:
    return f":mag: Looking up {escape(_truncate(what, 200))}…"


BUSY = ":hourglass: I'm busy answering other questions right now. Please try again in a minute."
EMPTY_QUESTION = (
    "Ask me about a customer, e.g. `@c360 what did Acme complain about?` or `/customer Acme`."
)
MOMENT_USAGE = (
    "Usage: `/moment <customer>: <what happened>`. Add `!owner` (or the words `needs owner`) "
    "to flag that someone must own it, e.g. `/moment Acme: asked for a refund !owner`."
)


def failure(error_id: str) -> str:
    return (
        f":warning: Sorry, something went wrong while answering (error id `{escape(error_id)}`). "
        "Please try again; if it keeps failing, tell the c360 admins this id."
    )


def moment_logged(customer: dict[str, Any], moment_id: str, needs_owner: bool) -> str:
    text = f":white_check_mark: Logged a moment for *{escape(customer.get('name', '?'))}* (`{escape(customer.get('customer_id', '?'))}`), id `{escape(moment_id)}`."
    if needs_owner:
        text += " Flagged as *needs owner*."
    return text
