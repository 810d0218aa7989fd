"""Slack channels in: the messages of the channels the bot is in, as moments.

Through the official ``slack_sdk`` WebClient (its ``base_url`` is ``SLACK_API_URL``), with its
rate-limit retry handler (a 429 waits as ``Retry-After`` says) and a pace per method
(``PACES``): ``conversations.history`` and ``conversations.replies`` are tier-3 methods (about
50 calls a minute); ``chat.getPermalink`` has "special" limits, paced as tier 4 (100 a minute).
Each moment's ``url`` is its message's ``chat.getPermalink`` answer: Slack documents no way to
build one (a thread reply's link also names its thread), so it is asked, once per message: the
answers are cached, and messages already stored with a url (live capture, a page read again)
take it from the store (``known_urls``) instead of asking again. A channel maps to a customer by the sources file (``channels: {C0ACME: ACME-1}``) or,
for a Slack Connect channel, by the external team's e-mail domain matching a customer's domain.

Incremental by ``oldest``: per channel, the newest ts committed. History comes newest first in
pages, so a window (``oldest`` .. now) is read page by page with Slack's ``next_cursor``
stored as it goes; once the window is read, its newest ts becomes the next ``oldest``. A crash
re-reads at most the page in flight. Thread replies are read (``conversations.replies``) for
parents in the window; replies to older threads arrive by live capture.

Not moments: join/leave and other system subtypes, bot messages, c360's own posts (by user
id, bot id or its message metadata), empty messages.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from connectors.base import ApiRow, Page, SourceError
from connectors.http import AuthError

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
DEFAULT_PACE = 1.2  # seconds between tier-3 calls: 50 a minute
# Seconds between two calls of a method, after its tier ("pace:" in the sources file sets all).
PACES = {"conversations.history": DEFAULT_PACE, "conversations.replies": DEFAULT_PACE,
         "chat.getPermalink": 0.6}  # fmt: skip
PERMALINK_CACHE = 20_000  # permalinks kept per connector (the newest)
# Subtypes that carry a person's words; every other subtype is a system event.
PERSON_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message"}
AUTH_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}


def moment_id(channel: str, ts: str) -> str:
    return f"slack-{channel}-{ts}"


def is_person_message(message: dict[str, Any], bot_user_id: str | None = None) -> bool:
    """A message a person wrote (not a join, not a bot, not c360's own post)."""
    if message.get("type", "message") != "message":
        return False
    if message.get("subtype") not in PERSON_SUBTYPES:
        return False
    if message.get("bot_id") or message.get("bot_profile"):
        return False
    if bot_user_id and message.get("user") == bot_user_id:
        return False
    event_type = str(((message.get("metadata") or {}).get("event_type")) or "")
    if event_type.startswith("c360"):
        return False
    return bool(message.get("user")) and bool(str(message.get("text") or "").strip())


class SlackChannels:
    connector = "slack"

    def __init__(
        self,
        name: str,
        token: str,
        base_url: str,
        channels: dict[str, str] | None = None,
        customer_by_domain: Callable[[str], str | None] | None = None,
        pace: float | None = None,
        client=None,
        known_urls: Callable[[list[str]], dict[str, str]] | None = None,
    ) -> None:
        if not token:
            raise SourceError(
                f"{name}: set SLACK_BOT_TOKEN (the bot's xoxb- token) in the environment"
            )
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )

        self.name = name
        self.client = client or WebClient(
            token=token,
            base_url=base_url,
            retry_handlers=[
                RateLimitErrorRetryHandler(max_retry_count=5),
                ServerErrorRetryHandler(max_retry_count=3),
                ConnectionErrorRetryHandler(max_retry_count=2),
            ],
        )
        self.channels = dict(channels or {})
        self.customer_by_domain = customer_by_domain
        self.paces = dict(PACES) if pace is None else dict.fromkeys(PACES, float(pace))
        self.known_urls = known_urls  # moment ids -> the urls the store holds for them
        self._permalinks: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._last_call: dict[str, float] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channel_info: dict[str, dict[str, Any]] = {}
        self._team_id: str | None = None
        self._bot_user_id: str | None = None
        self.calls = 0

    def close(self) -> None:
        pass

    # --- API --------------------------------------------------------------------------
    def call(self, method: str, **args: Any) -> dict[str, Any]:
        from slack_sdk.errors import SlackApiError

        pace = self.paces.get(method, 0.0)
        if pace > 0:
            gap = pace - (time.monotonic() - self._last_call.get(method, float("-inf")))
            if gap > 0:
                time.sleep(gap)
        self.calls += 1
        try:
            response = self.client.api_call(method, http_verb="GET", params=args)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in AUTH_ERRORS:
                raise AuthError(
                    f"{self.name}: Slack refused the token ({error}): check SLACK_BOT_TOKEN"
                ) from None
            if exc.response.status_code == 429:
                raise SourceError(
                    f"{self.name}: {method} still rate limited after retries; the next sync "
                    "continues from the last committed page"
                ) from None
            raise SourceError(f"{self.name}: {method} failed: {error}") from None
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot reach Slack ({type(exc).__name__})") from None
        finally:
            self._last_call[method] = time.monotonic()
        return response.data if hasattr(response, "data") else dict(response)

    def identify(self) -> None:
        if self._team_id is None:
            me = self.call("auth.test")
            self._team_id, self._bot_user_id = me.get("team_id"), me.get("user_id")

    def user(self, user_id: str) -> dict[str, Any]:
        if user_id not in self._users:
            try:
                self._users[user_id] = self.call("users.info", user=user_id).get("user") or {}
            except AuthError:
                raise
            except SourceError:
                self._users[user_id] = {}  # a user we cannot look up: named by id
        return self._users[user_id]

    def permalink(self, channel: str, ts: str) -> str | None:
        """The message's permalink: cached, else ``chat.getPermalink`` (paced; None when Slack
        cannot give one, the moment is kept without a link)."""
        key = (channel, ts)
        if key in self._permalinks:
            self._permalinks.move_to_end(key)
            return self._permalinks[key]
        try:
            link = self.call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink")
        except AuthError:
            raise
        except SourceError:
            return None  # not cached: asked again next time
        self._remember(key, link)
        return link

    def _remember(self, key: tuple[str, str], link: str | None) -> None:
        self._permalinks[key] = link
        self._permalinks.move_to_end(key)
        while len(self._permalinks) > PERMALINK_CACHE:
            self._permalinks.popitem(last=False)

    def known(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Take the permalinks of already stored messages from the store."""
        if self.known_urls is None:
            return
        ask = {
            moment_id(channel, str(m.get("ts"))): str(m.get("ts"))
            for m in messages
            if (channel, str(m.get("ts"))) not in self._permalinks
        }
        if ask:
            for mid, url in self.known_urls(list(ask)).items():
                self._remember((channel, ask[mid]), url)

    # --- channels ---------------------------------------------------------------------
    def mapped_channels(self) -> list[tuple[str, str, bool]]:
        """(channel id, customer id, is Slack Connect) of every channel the bot is in that maps
        to a customer."""
        found: list[tuple[str, str, bool]] = []
        cursor = None
        while True:
            args: dict[str, Any] = {"types": "public_channel,private_channel", "limit": 200,
                                    "exclude_archived": "true"}  # fmt: skip
            if cursor:
                args["cursor"] = cursor
            body = self.call("users.conversations", **args)
            for channel in body.get("channels") or []:
                cid = channel["id"]
                shared = bool(channel.get("is_ext_shared"))
                customer = self.channels.get(cid)
                if customer is None and shared:
                    customer = self._customer_of_shared(cid)
                if customer:
                    found.append((cid, customer, shared))
            cursor = (body.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    def channel_info(self, channel: str) -> dict[str, Any]:
        """conversations.info, read once per channel and connector (live capture asks often)."""
        if channel not in self._channel_info:
            info = self.call("conversations.info", channel=channel).get("channel") or {}
            self._channel_info[channel] = info
        return self._channel_info[channel]

    def _customer_of_shared(self, channel: str) -> str | None:
        if self.customer_by_domain is None:
            return None
        self.identify()
        info = self.channel_info(channel)
        teams = info.get("connected_team_ids") or info.get("shared_team_ids") or []
        for team in teams:
            if team == self._team_id:
                continue
            try:
                details = self.call("team.info", team=team).get("team") or {}
            except SourceError:
                continue
            for domain in str(details.get("email_domain") or "").split(","):
                customer = (
                    self.customer_by_domain(domain.strip().lower()) if domain.strip() else None
                )
                if customer:
                    return customer
        return None

    # --- reading ----------------------------------------------------------------------
    def pages(self, cursor: str | None) -> Iterator[Page]:
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        self.identify()
        for channel, customer, shared in self.mapped_channels():
            mine = state.setdefault(channel, {"oldest": "0", "page": None, "newest": "0"})
            while True:
                args: dict[str, Any] = {
                    "channel": channel,
                    "oldest": mine["oldest"],
                    "limit": HISTORY_LIMIT,
                }
                if mine["page"]:
                    args["cursor"] = mine["page"]
                body = self.call("conversations.history", **args)
                messages: list[dict[str, Any]] = []
                for message in body.get("messages") or []:
                    ts = str(message.get("ts"))
                    if float(ts) > float(mine["newest"]):
                        mine["newest"] = ts
                    if int(message.get("reply_count") or 0) > 0:
                        messages.extend(self._replies(channel, ts))
                    messages.append(message)
                self.known(channel, messages)
                rows = [
                    row
                    for row in (self.message_row(channel, customer, shared, m) for m in messages)
                    if row is not None
                ]
                next_page = (body.get("response_metadata") or {}).get("next_cursor") or None
                if body.get("has_more") and next_page:
                    mine["page"] = next_page
                else:
                    mine["oldest"], mine["page"] = mine["newest"], None
                yield Page(rows, cursor=json.dumps(state))
                if mine["page"] is None:
                    break

    def _replies(self, channel: str, parent: str) -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = []
        cursor = None
        while True:
            args: dict[str, Any] = {"channel": channel, "ts": parent, "limit": HISTORY_LIMIT}
            if cursor:
                args["cursor"] = cursor
            body = self.call("conversations.replies", **args)
            # The parent comes with the history.
            replies += [m for m in body.get("messages") or [] if str(m.get("ts")) != parent]
            cursor = (body.get("response_metadata") or {}).get("next_cursor") or None
            if not (body.get("has_more") and cursor):
                return replies

    def message_row(
        self, channel: str, customer: str, shared: bool, message: dict[str, Any]
    ) -> ApiRow | None:
        """A person's message -> a moment row (None for system, bot and c360 messages)."""
        self.identify()
        if not is_person_message(message, self._bot_user_id):
            return None
        ts = str(message["ts"])
        user = self.user(message["user"])
        team = message.get("user_team") or user.get("team_id") or self._team_id
        profile = user.get("profile") or {}
        author = (
            user.get("real_name") or profile.get("real_name") or user.get("name") or message["user"]
        )
        data = {
            "moment_id": moment_id(channel, ts),
            "customer_id": customer,
            "occurred_at": datetime.fromtimestamp(float(ts), UTC).isoformat(),
            "channel": "chat",
            "direction": "inbound" if shared and team and team != self._team_id else "internal",
            "author": author,
            "text": str(message.get("text")),
            "url": self.permalink(channel, ts),
            "slack_channel": channel,
            "slack_ts": ts,
        }
        if message.get("thread_ts") and message.get("thread_ts") != ts:
            data["slack_thread_ts"] = str(message["thread_ts"])
        return ApiRow.of("moment", data, f"message {channel}/{ts}")
