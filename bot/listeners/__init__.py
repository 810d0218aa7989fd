"""One module per listener kind, each with ``register(app, services)``.

To add a kind (e.g. the ownership alerts' buttons), add a module here with ``register`` and list
it in ``LISTENER_MODULES``; a listed module that is not built yet is skipped. Listeners ack,
then ``hand_off`` the work to the pool.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from bot import blocks, wording
from bot.services import BotServices

log = logging.getLogger(__name__)

LISTENER_MODULES = [
    "bot.listeners.messages",  # app_mention in channels, message.im in DMs
    "bot.listeners.commands",  # /customer, /moment
    "bot.listeners.actions",  # feedback, pick a customer, share in channel
    "bot.listeners.shortcuts",  # message shortcut "Log as customer moment" and its modal
    "bot.listeners.home",  # App Home
    "bot.listeners.ownership",  # ownership alerts (issue 4)
    "bot.listeners.assistant",  # Slack's assistant surface: suggested prompts (issue 10)
]


def hand_off(
    services: BotServices,
    job: Callable[..., Any],
    *args: Any,
    tell: Callable[[dict[str, Any]], Any],
    tell_busy: bool = True,
) -> bool:
    """The one hand-off from a listener to the work pool: run ``job(*args)`` there; if it
    fails, ``tell`` the user the error id (never silence); if the pool is full, ``tell`` them
    it is busy (unless ``tell_busy`` is False: the caller answers "busy" itself, e.g. in its
    ack). ``tell`` gets a message dict (``blocks.text_message``). True when queued.

    Never blocks the ack: the pool refuses at once when full, and the "busy" notice, a Web API
    call (seconds when Slack rate-limits it), is sent from the notice thread, not the request's."""

    def tell_failure(error_id: str) -> None:
        tell(blocks.text_message(wording.failure(error_id)))

    if services.pool.submit(job, *args, on_error=tell_failure) is not None:
        return True
    if tell_busy and services.notices.submit(tell, blocks.text_message(wording.BUSY)) is None:
        log.warning("too many 'busy' notices waiting; this one is not sent")
    return False


def register_all(app, services: BotServices) -> None:
    for name in LISTENER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                log.debug("listener module %s not present; skipped", name)
                continue
            raise
        module.register(app, services)
