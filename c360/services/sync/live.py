"""Live capture: a Slack message in a channel of a slack source becomes a moment at once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from c360.services.sync.pages import RunMemory, page_items
from connectors.base import Page

log = logging.getLogger(__name__)


class LiveCapture:
    """``SyncService``'s live capture (it gives ``sessions``, ``settings``, ``clock``,
    ``ingest``, ``load``, ``build`` and the per-source Slack connectors ``_slack``/``_lock``)."""

    # --- live capture -------------------------------------------------------------------------
    def _slack_entries(self, source_file) -> list[dict[str, Any]]:
        """The slack entries of the sources file, read again only when the file changed (its
        modification time or size): a busy channel must not read it on every message. A change
        drops the connectors built from the old entries."""
        path = Path(source_file)
        try:
            info = path.stat()
            stamp = (str(path), info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None  # gone: load() says so
        with self._lock:
            if stamp is not None and self._live_file is not None and self._live_file[0] == stamp:
                return self._live_file[1]
        entries = [e for e in self.load(source_file) if e.get("connector") == "slack"]
        with self._lock:
            if self._live_file is not None and self._live_file[1] != entries:
                self._slack.clear()
            self._live_file = (stamp, entries)
        return entries

    def capture_channel_message(self, message) -> str | None:
        """The bot's channel-message hook (``SlackEventService.on_channel_message``): a
        ``ChannelMessage`` (channel_id, user_id, ts, text, thread_ts, channel_type)."""
        event = {
            "type": "message",
            "channel": message.channel_id,
            "user": message.user_id,
            "ts": message.ts,
            "text": message.text,
            "channel_type": getattr(message, "channel_type", None),
        }
        if getattr(message, "thread_ts", None):
            event["thread_ts"] = message.thread_ts
        return self.capture_slack_message(event)

    def capture_slack_message(self, event: dict[str, Any]) -> str | None:
        """A ``message`` event -> a moment, when its channel maps to a customer through a slack
        source of ``C360_SOURCES_FILE``; the same id as the sync gives it (by ts), so the next
        sync finds it unchanged. Returns the moment id, None when the message is not one."""
        channel = event.get("channel")
        source_file = self.settings.sources_file
        if not channel or source_file is None or not event.get("ts"):
            return None
        from connectors.slack import is_person_message

        if not is_person_message(event):
            return None
        for entry in self._slack_entries(source_file):
            with self._lock:
                connector = self._slack.get(entry["name"])
                if connector is None:
                    connector = self._slack[entry["name"]] = self.build(entry)
            customer = connector.channels.get(channel)
            shared = event.get("channel_type") == "channel" and bool(
                event.get("is_ext_shared_channel")
            )
            if customer is None:
                info = connector.channel_info(channel)
                shared = bool(info.get("is_ext_shared"))
                customer = connector._customer_of_shared(channel) if shared else None
            elif event.get("is_ext_shared_channel") is None:
                shared = bool(connector.channel_info(channel).get("is_ext_shared"))
            if not customer:
                continue
            connector.known(channel, [event])  # captured before: its link is stored
            row = connector.message_row(channel, customer, shared, event)
            if row is None:
                return None
            items = page_items(self.sessions, self.clock.now(), connector, Page([row]), RunMemory())
            summary = self.ingest.ingest_batches(iter([items]), [entry["name"]])
            if summary.errors:
                log.warning("live capture rejected %s", summary.errors[0])
                return None
            return row.data["moment_id"]
        return None
