"""What every listener module gets in ``register(app, services)``: the c360 services, the work
pool, and small Slack helpers (who is asking, where, and how to reply without ever going silent).

The helpers never raise on a Slack Web API error (``ok: false``): they log it and return None, so
a failed reaction or permalink never costs the user their answer. 429s never reach here: the
WebClient retries them after ``Retry-After``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from c360.clock import zone
from c360.domain import Asker
from c360.ports import BriefsPort, MomentsPort, OwnershipPort, ServicesPort, SlackEventsPort
from c360.safety.policy import Requester, Standing, Surface
from c360.settings import Settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.pool import WorkPool

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 600.0
CHANNEL_CACHE_SECONDS = 300.0


@dataclass
class ChannelCheck:
    """Where an answer may go. ``shared``: has external members (Slack Connect) -> refuse;
    ``private_only``: we could not tell, so the answer goes to the asker alone."""

    shared: bool = False
    private_only: bool = False
    is_dm: bool = False

    def surface(self, *, private: bool = False) -> Surface:
        """The audience policy's surface for a reply here (``private``: read by the requester
        alone): the DM, a shared channel, a channel Slack would not describe (it may be
        shared), or an internal channel."""
        if self.is_dm:
            return Surface.DM
        if self.shared:
            return Surface.SHARED_CHANNEL
        if private:
            return Surface.EPHEMERAL
        return Surface.UNCONFIRMED_CHANNEL if self.private_only else Surface.CHANNEL


@dataclass(frozen=True)
class ReplyTo:
    """Whom a reply is for and where they wrote: the person, the channel (or DM) and the
    thread (None: the conversation itself)."""

    channel_id: str
    user_id: str
    thread_ts: str | None = None


class SlackIO:
    """Thin, cached, error-tolerant wrappers over the Web API calls the bot makes."""

    def __init__(
        self,
        client: WebClient,
        *,
        now: Callable[[], float] = time.monotonic,
        channel_ttl: float = CHANNEL_CACHE_SECONDS,
    ) -> None:
        self.client = client
        self._now = now
        self._channel_ttl = channel_ttl
        self._users: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._channels: dict[str, tuple[float, ChannelCheck]] = {}
        self._lock = threading.Lock()

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            return getattr(self.client, method)(**kwargs).data
        except SlackApiError as exc:
            log.warning(
                "Slack %s failed: %s", method, exc.response.get("error") if exc.response else exc
            )
        except SlackClientError as exc:
            log.warning("Slack %s failed: %s", method, exc)
        return None

    # --- who and where ----------------------------------------------------------------------
    def user(self, user_id: str) -> dict[str, Any] | None:
        """users.info, cached; None when Slack would not say."""
        with self._lock:
            hit = self._users.get(user_id)
        if hit and self._now() - hit[0] < USER_CACHE_SECONDS:
            return hit[1]
        data = self._call("users_info", user=user_id)
        user = data.get("user") if data else None
        if user is not None:  # do not cache failures: the next request may succeed
            with self._lock:
                self._users[user_id] = (self._now(), user)
        return user

    def user_name(self, user_id: str) -> str:
        user = self.user(user_id) or {}
        profile = user.get("profile") or {}
        return profile.get("real_name") or user.get("real_name") or user.get("name") or user_id

    def zone(self, user_id: str) -> tzinfo | None:
        """The reader's time zone from users.info's ``tz`` (cached with the user); None, read
        as UTC, when Slack would not say: a failed lookup shows UTC dates and claims nothing."""
        return zone((self.user(user_id) or {}).get("tz"))

    def is_guest(self, user_id: str) -> bool | None:
        """True for a guest, False for a member, None when Slack would not say (fail closed:
        callers treat None as "not confirmed", never as "member")."""
        user = self.user(user_id)
        if user is None:
            return None
        return bool(user.get("is_restricted") or user.get("is_ultra_restricted"))

    def requester(self, user_id: str, team_id: str | None = None) -> Requester:
        """Who is asking, for the audience policy (``c360.safety.policy``). A user Slack would
        not describe is UNKNOWN; a Slack Connect user (``is_stranger``, or a user of another
        team than the request's, outside an Enterprise Grid) is EXTERNAL."""
        user = self.user(user_id)
        if user is None:
            return Requester(user_id, Standing.UNKNOWN)
        if user.get("is_restricted") or user.get("is_ultra_restricted"):
            return Requester(user_id, Standing.GUEST)
        other_team = (
            team_id
            and user.get("team_id")
            and user["team_id"] != team_id
            and not user.get("enterprise_user")
        )
        if user.get("is_stranger") or other_team:
            return Requester(user_id, Standing.EXTERNAL)
        return Requester(user_id, Standing.MEMBER)

    def channel(self, channel_id: str | None) -> ChannelCheck:
        """conversations.info, cached for ``channel_ttl`` seconds (failures are not cached).
        The one rule for "shared with another organisation": Slack Connect (``is_ext_shared``,
        ``is_pending_ext_shared``), or shared across workspaces at all (``is_shared``,
        ``is_org_shared`` for an Enterprise Grid org-wide channel). A channel Slack would not
        describe is ``private_only``: it may be shared."""
        if not channel_id or channel_id.startswith("D"):
            return ChannelCheck(is_dm=bool(channel_id))
        with self._lock:
            hit = self._channels.get(channel_id)
        if hit and self._now() - hit[0] < self._channel_ttl:
            return hit[1]
        data = self._call("conversations_info", channel=channel_id)
        if not data:
            return ChannelCheck(private_only=True)
        info = data.get("channel") or {}
        check = ChannelCheck(
            shared=bool(
                info.get("is_ext_shared")
                or info.get("is_shared")
                or info.get("is_pending_ext_shared")
                or info.get("is_org_shared")
            ),
            is_dm=bool(info.get("is_im")),
        )
        with self._lock:
            self._channels[channel_id] = (self._now(), check)
        return check

    def permalink(self, channel_id: str | None, message_ts: str | None) -> str | None:
        if not channel_id or not message_ts:
            return None
        data = self._call("chat_getPermalink", channel=channel_id, message_ts=message_ts)
        return data.get("permalink") if data else None

    def asker(
        self,
        user_id: str,
        *,
        channel_id: str | None,
        message_ts: str | None = None,
        team: str | None = None,
    ) -> Asker:
        return Asker(
            id=user_id,
            name=self.user_name(user_id),
            channel="slack",
            channel_id=channel_id,
            permalink=self.permalink(channel_id, message_ts),
            team=team,
            # users.info's IANA zone: "yesterday" and "last week" are the reader's
            tz=(self.user(user_id) or {}).get("tz") or None,
        )

    # --- replies ------------------------------------------------------------------------------
    def react(self, channel_id: str, ts: str, name: str = "eyes") -> bool:
        return self._call("reactions_add", channel=channel_id, timestamp=ts, name=name) is not None

    def unreact(self, channel_id: str, ts: str, name: str = "eyes") -> bool:
        return (
            self._call("reactions_remove", channel=channel_id, timestamp=ts, name=name) is not None
        )

    def post(
        self, channel_id: str, message: dict[str, Any], *, thread_ts: str | None = None
    ) -> str | None:
        """chat.postMessage with unfurls off; the new message's ts, or None if Slack refused."""
        data = self._call(
            "chat_postMessage",
            channel=channel_id,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **message,
        )
        return data.get("ts") if data else None

    def ephemeral(self, to: ReplyTo, message: dict[str, Any]) -> bool:
        """chat.postEphemeral: seen by ``to.user_id`` alone, where they wrote."""
        data = self._call(
            "chat_postEphemeral",
            channel=to.channel_id,
            user=to.user_id,
            thread_ts=to.thread_ts,
            **message,
        )
        return data is not None

    def dm(self, user_id: str, message: dict[str, Any]) -> str | None:
        """Post in the app's DM with the user (chat.postMessage accepts a user id as channel)."""
        return self.post(user_id, message)

    def post_or_dm(self, to: ReplyTo, message: dict[str, Any]) -> bool:
        """Reply in place; if Slack refuses, reply to the user privately, so they are never left waiting."""
        if self.post(to.channel_id, message, thread_ts=to.thread_ts):
            return True
        if self.ephemeral(to, message):
            return True
        return self.dm(to.user_id, message) is not None

    def respond(self, response_url: str | None, message: dict[str, Any], **options: Any) -> bool:
        """POST to a response_url (ephemeral by default)."""
        if not response_url:
            return False
        options.setdefault("response_type", "ephemeral")
        try:
            resp = WebhookClient(response_url).send_dict({**message, **options})
        except (SlackClientError, OSError) as exc:
            log.warning("response_url POST failed: %s", exc)
            return False
        if resp.status_code != 200:
            log.warning("response_url answered %s: %s", resp.status_code, resp.body)
            return False
        return True

    def suggest_prompts(
        self, channel_id: str, thread_ts: str, title: str, prompts: list[dict[str, str]]
    ) -> bool:
        """assistant.threads.setSuggestedPrompts (scope ``assistant:write``): at most four
        ``{"title", "message"}`` in the assistant thread; False when Slack refused."""
        data = self._call(
            "assistant_threads_setSuggestedPrompts",
            channel_id=channel_id,
            thread_ts=thread_ts,
            title=title,
            prompts=prompts[:4],
        )
        return data is not None

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        return self._call("views_open", trigger_id=trigger_id, view=view) is not None

    def publish_home(self, user_id: str, view: dict[str, Any]) -> bool:
        return self._call("views_publish", user_id=user_id, view=view) is not None


@dataclass
class BotServices:
    """Passed to every listener module's ``register(app, services)``. The services are typed by
    their ports (``c360.ports``): the bot calls what is named there, nothing else."""

    container: ServicesPort  # c360.container.Container
    pool: WorkPool
    slack: SlackIO
    events: SlackEventsPort  # c360.services.slack_events.SlackEventService
    # Where "busy, try again" notices are sent from when the pool is full: a Web API call must
    # not hold up the ack (bot/listeners.hand_off). One thread; beyond 100 waiting, dropped.
    notices: WorkPool = field(default_factory=lambda: WorkPool(1, 100, name="c360-notice"))
    # Extra App Home sections: callables(user_id) -> list of block dicts. Other listener modules
    # (ownership alerts) append here to show their part of the Home tab.
    home_sections: list[Callable[[str], list[dict[str, Any]]]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.container.settings

    def close(self, timeout: float = 30.0) -> bool:
        """Shutdown: finish the work pool's jobs, then write every exchange still queued."""
        self.pool.shutdown(wait=True)
        self.notices.shutdown(wait=True)
        return self.container.moments.close(timeout)

    def status(self) -> dict[str, Any]:
        """Queue depths for /healthz: the work pool and the exchange log."""
        exchange_log = self.container.moments.exchange_log
        return {
            "work_pool": self.pool.stats(),
            "exchange_log": exchange_log.stats() if exchange_log is not None else None,
        }

    @property
    def briefs(self) -> BriefsPort:
        return self.container.briefs

    @property
    def moments(self) -> MomentsPort:
        return self.container.moments

    @property
    def ownership(self) -> OwnershipPort | None:
        """The ownership service (None in a composition without one)."""
        return self.container.ownership
