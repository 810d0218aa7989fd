"""Ownership: "no one owns the customer, but someone always owns the moment".

Rules decide that a new moment or complaint needs an owner (``rules.py``, ``alerting.py``);
exactly one person takes it (``lifecycle.py``); if nobody does it escalates, if the owner
forgets they are reminded (``timers.py``), every Slack message going out exactly once through
the outbox (``outbox.py``); ``report.py`` measures how fast. ``service.OwnershipService`` is
the facade the CLI, the bot and the ingest listener call. Slack is reached only through the
``Notifier`` port (``types.py``; ``bot.notifier.SlackNotifier`` in production), so this
package holds no HTTP, Block Kit or mention markup.
"""
