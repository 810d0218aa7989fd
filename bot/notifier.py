"""The Slack side of ownership alerts: the ``Notifier`` port of ``c360.ownership``
implemented over slack_sdk's WebClient (``base_url=SLACK_API_URL``).

Every message this class posts carries its outbox ``dedupe_key`` in Slack message metadata
(``event_type: c360_outbox``). Slack has no idempotency key for chat.postMessage, so this is how
a retry after a crash finds out whether the first attempt got through: ``find_posted`` reads
the channel's recent history with ``include_all_metadata`` and looks for the key. (Scopes:
``channels:history`` for the alerts channel, ``im:history`` for DMs.)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from c360.ownership.atrisk import AtRiskDigest
from c360.ownership.types import AlertView, DigestView, Escalation, Notifier, OwnerBrief
from c360.safety.policy import Surface
from slack_sdk import WebClient

from bot.alert_blocks import (
    alert_blocks,
    alert_text,
    atrisk_blocks,
    atrisk_text,
    digest_blocks,
    digest_text,
    owner_brief_text,
    ping_text,
    reminder_blocks,
    reminder_text,
    text_blocks,
)
from bot.services import SlackIO

# conversations.info of an alerts or digest channel is cached this long: a channel shared after
# the rules were written stops receiving customer content within a minute.
CHANNEL_TTL_SECONDS = 60.0

METADATA_EVENT = "c360_outbox"
HISTORY_PAGES = 5  # 5 x 200 messages back from the row's creation: far more than a retry needs


def _metadata(dedupe_key: str, alert_id: str) -> dict[str, Any]:
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"dedupe_key": dedupe_key, "alert_id": alert_id},
    }


class SlackNotifier(Notifier):
    def __init__(self, client: WebClient, clock=None) -> None:
        self.client = client
        self.clock = clock  # ages in messages ("3 days ago") are measured on it
        # the bot's own channel check (one rule for "shared"), its cache timed on the clock
        now = (lambda: clock.now().timestamp()) if clock is not None else None
        self.slack = SlackIO(
            client, channel_ttl=CHANNEL_TTL_SECONDS, **({"now": now} if now else {})
        )
        self._ims: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, clock=None) -> SlackNotifier:
        from bot.app import web_client  # retries 429 after Retry-After, and dropped connections

        return cls(web_client(settings), clock)

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    # --- posting ---------------------------------------------------------------------------
    def post_alert(
        self, channel: str, view: AlertView, dedupe_key: str, escalation: Escalation | None = None
    ) -> tuple[str, str]:
        mention = ping_text(escalation.ping) if escalation else None
        note = escalation.note if escalation else None
        resp = self.client.chat_postMessage(
            channel=channel,
            text=alert_text(view, mention, note, now=self._now()),
            blocks=alert_blocks(view, mention=mention, note=note, now=self._now()),
            metadata=_metadata(dedupe_key, view.alert_id),
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp["channel"], resp["ts"]

    def update_alert(self, channel: str, ts: str, view: AlertView) -> None:
        now = self._now()
        self.client.chat_update(
            channel=channel,
            ts=ts,
            text=alert_text(view, now=now),
            blocks=alert_blocks(view, now=now),
        )

    def post_digest(self, channel: str, digest: DigestView, dedupe_key: str) -> tuple[str, str]:
        resp = self.client.chat_postMessage(
            channel=channel,
            text=digest_text(digest),
            blocks=digest_blocks(digest, now=self._now()),
            metadata=_metadata(dedupe_key, "digest"),
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp["channel"], resp["ts"]

    def post_atrisk(self, channel: str, digest: AtRiskDigest, dedupe_key: str) -> tuple[str, str]:
        resp = self.client.chat_postMessage(
            channel=channel,
            text=atrisk_text(digest),
            blocks=atrisk_blocks(digest),
            metadata=_metadata(dedupe_key, "atrisk"),
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp["channel"], resp["ts"]

    def dm(
        self, user_id: str, text: str, dedupe_key: str, blocks: list[dict[str, Any]] | None = None
    ) -> tuple[str, str]:
        channel = self._im(user_id)
        alert_id = dedupe_key.split(":")[1] if dedupe_key.count(":") >= 1 else ""
        resp = self.client.chat_postMessage(
            channel=channel,
            text=text[:2900],
            blocks=blocks or text_blocks(text),
            metadata=_metadata(dedupe_key, alert_id),
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp["channel"], resp["ts"]

    def post_owner_brief(self, user_id: str, brief: OwnerBrief, dedupe_key: str) -> tuple[str, str]:
        # one reader: the moment's day in words on their calendar (users.info tz; UTC's if unsaid)
        text = owner_brief_text(brief, now=self._now(), tz=self.slack.zone(user_id))
        return self.dm(user_id, text, dedupe_key)

    def post_reminder(self, user_id: str, view: AlertView, dedupe_key: str) -> tuple[str, str]:
        channel = self._im(user_id)
        resp = self.client.chat_postMessage(
            channel=channel,
            text=reminder_text(view),
            blocks=reminder_blocks(view, now=self._now(), tz=self.slack.zone(user_id)),
            metadata=_metadata(dedupe_key, view.alert_id),
            unfurl_links=False,
            unfurl_media=False,
        )
        return resp["channel"], resp["ts"]

    # --- where a post lands ----------------------------------------------------------------
    def surface(self, target: str) -> Surface:
        if target[:1] in ("U", "W"):  # a user: the app's DM with them
            return Surface.DM
        return self.slack.channel(target).surface()

    # --- reconciliation ----------------------------------------------------------------------
    def find_posted(self, target: str, dedupe_key: str, oldest: datetime) -> tuple[str, str] | None:
        """(channel, ts) of our message carrying ``dedupe_key`` posted after ``oldest``, if any."""
        channel = target if target[:1] in ("C", "G", "D") else self._im(target)
        cursor = None
        for _ in range(HISTORY_PAGES):
            resp = self.client.conversations_history(
                channel=channel,
                oldest=f"{oldest.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                cursor=cursor,
            )
            for message in resp.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("dedupe_key") == dedupe_key:
                    return channel, message["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    def _im(self, user_id: str) -> str:
        """The app's DM channel with a user (conversations.open is idempotent; cached)."""
        with self._lock:
            hit = self._ims.get(user_id)
        if hit:
            return hit
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        with self._lock:
            self._ims[user_id] = channel
        return channel
