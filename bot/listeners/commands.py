"""Slash commands: ``/customer <name or question>`` and ``/moment <customer>: <what happened>``.

Both ack at once (the ack text is the progress note) and answer through the response_url."""

from __future__ import annotations

import threading

from bot import listeners, wording
from bot.answering import answer_command
from bot.moments import log_moment_command
from bot.services import BotServices

CUSTOMER_USAGE = "Usage: `/customer <customer name or a question>`, e.g. `/customer Acme` or `/customer what did Acme complain about?`"


def register(app, services: BotServices) -> None:
    def hand_off(ack, command: dict, job, progress: str) -> None:
        acked = threading.Event()

        def after_ack() -> None:
            acked.wait(2.0)  # the progress note first, then the answer
            job(services, command)

        def tell(message: dict) -> None:
            services.slack.respond(command.get("response_url"), message)

        # A full pool is answered in the ack itself.
        if not listeners.hand_off(services, after_ack, tell=tell, tell_busy=False):
            ack(text=wording.BUSY)
            return
        ack(text=progress)
        acked.set()

    @app.command("/customer")
    def customer(ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            ack(text=CUSTOMER_USAGE)
            return
        hand_off(ack, command, answer_command, wording.looking_up(text))

    @app.command("/moment")
    def moment(ack, command: dict) -> None:
        if not (command.get("text") or "").strip():
            ack(text=wording.MOMENT_USAGE)
            return
        hand_off(ack, command, log_moment_command, ":memo: Logging that moment…")
