"""One module per listener kind, each with ``register(app, services)``.

To add a kind (e.g. the ownership alerts' buttons), add a module here with ``register`` and list
it in ``LISTENER_MODULES``; a listed module that is not built yet is skipped.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

LISTENER_MODULES = [
    "bot.listeners.messages",  # app_mention in channels, message.im in DMs
    "bot.listeners.commands",  # /customer, /moment
    "bot.listeners.actions",  # feedback, pick a customer, share in channel
    "bot.listeners.shortcuts",  # message shortcut "Log as customer moment" and its modal
    "bot.listeners.home",  # App Home
    "bot.listeners.ownership",  # ownership alerts (issue 4)
]


def register_all(app, services) -> None:
    for name in LISTENER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                log.debug("listener module %s not present; skipped", name)
                continue
            raise
        module.register(app, services)
