"""What the Slack bot remembers between deliveries, in the database so it holds across processes
(two web workers, a restart): processed event ids and the customer of each bot thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from c360.ports import ChannelMessage, SlackEventsPort
from store import slack_events

log = logging.getLogger(__name__)


class SlackEventService(SlackEventsPort):
    PRUNE_EVERY = 1000  # claims between two clean-ups of old event marks

    def __init__(self, sessions, clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._claims = 0
        self._message_handlers: list[Callable[[ChannelMessage], None]] = []

    def on_channel_message(self, handler: Callable[[ChannelMessage], None]) -> None:
        """Subscribe to people's channel messages (the live capture of customer channels
        registers here, from the composition root)."""
        self._message_handlers.append(handler)

    def channel_message(self, message: ChannelMessage) -> None:
        """A person's message in a channel the app is in, from the bot's one ``message``
        listener: every subscriber gets it; one failing does not keep it from the others."""
        for handler in list(self._message_handlers):
            try:
                handler(message)
            except Exception:
                log.exception("channel message handler %r failed", handler)

    def first_delivery(self, event_key: str) -> bool:
        """True exactly once per key, whichever process asks first."""
        with self.sessions.begin() as session:
            first = slack_events.claim_event(session, f"event:{event_key}", self.clock.now())
        self._claims += 1
        if self._claims % self.PRUNE_EVERY == 0:  # Slack retries within minutes: old marks can go
            self.prune()
        return first

    def remember_thread(self, channel_id: str, thread_ts: str, customer_id: str) -> None:
        with self.sessions.begin() as session:
            slack_events.remember_thread(
                session, channel_id, thread_ts, customer_id, self.clock.now()
            )

    def thread_customer(self, channel_id: str, thread_ts: str) -> str | None:
        with self.sessions() as session:
            return slack_events.thread_customer(session, channel_id, thread_ts)

    def prune(self, older_than: timedelta = timedelta(days=3)) -> int:
        with self.sessions.begin() as session:
            return slack_events.forget_events_before(session, self.clock.now() - older_than)
