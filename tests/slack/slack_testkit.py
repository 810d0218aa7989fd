"""Helpers for the Slack tests: Slack's documented payloads, signed and sent over real HTTP;
the seed records; small readers for Block Kit. (A module of its own, not conftest, so test files
import it by a name no other test directory uses.)"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socketserver
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack

from bot.blocks import block_texts
from c360.domain import Complaint, Customer, Moment

BOT_TOKEN = "xoxb-test-0000-c360"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
ALICE, BOB, GUEST = "U0ALICE001", "U0BOB00002", "U0GUEST003"
GENERAL, SHARED, DM_ALICE = "C0GENERAL1", "C0SHARED02", "D0ALICE001"


T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def demo_records() -> list:
    """Two look-alike customers and one distinct one, with moments and complaints."""
    customers = [
        Customer("acme-1", "Acme Corp", domain="acme.example", emails=["cfo@acme.example"],
                 segment="enterprise", plan="premium", arr=250000.0, owner="Dana", region="EMEA"),
        Customer("acme-2", "Acme Corporation Ltd", domain="acmeltd.example", segment="smb", plan="basic",
                 arr=12000.0, region="APAC"),
        Customer("globex-1", "Globex Industries", aliases=["Globex"], domain="globex.example",
                 emails=["ops@globex.example"], segment="mid-market", plan="standard", arr=90000.0, region="NA"),
    ]  # fmt: skip
    moments = [
        Moment(
            "m-g1",
            "globex-1",
            T0,
            "Quarterly review call: Globex wants SSO before renewal.",
            channel="call",
            author="Dana",
        ),
        Moment(
            "m-g2",
            "globex-1",
            T0 + timedelta(days=20),
            "Email: invoice 4471 was charged twice, please refund.",
            channel="email",
        ),
        Moment(
            "m-a1",
            "acme-1",
            T0 + timedelta(days=5),
            "Acme asked about the data export API limits.",
            channel="email",
        ),
        Moment(
            "m-a2",
            "acme-2",
            T0 + timedelta(days=6),
            "Acme Ltd onboarding meeting went well.",
            channel="meeting",
        ),
    ]
    complaints = [
        Complaint("c-g1", "globex-1", T0 + timedelta(days=21), "Double charge on invoice 4471, refund still missing.",
                  category="billing", status="open", severity="high"),
        Complaint("c-g2", "globex-1", T0 + timedelta(days=2), "<!channel> the dashboard is down for everyone <@U0BOB00002>",
                  category="outage", status="open"),
    ]  # fmt: skip
    return customers + moments + complaints


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def sign(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Sends what Slack sends: signed HTTP requests with Slack's documented payloads."""

    def __init__(self, base_url: str, fake: FakeSlack) -> None:
        self.base_url = base_url
        self.fake = fake

    # --- transport ----------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> tuple[int, bytes, float]:
        ts = timestamp if timestamp is not None else str(int(time.time()))
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(body, ts),
            **(headers or {}),
        }
        url = urlparse(self.base_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=sent)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - started
        conn.close()
        return resp.status, data, elapsed

    # --- Slack's payloads --------------------------------------------------------------
    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ):
        body = {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0C360APP1",
            "event": {"event_ts": event.get("ts", f"{time.time():.6f}"), **event},
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body).encode(), "application/json", headers=headers)

    def mention(
        self,
        text: str,
        *,
        user: str = ALICE,
        channel: str = GENERAL,
        thread_ts: str | None = None,
        ts: str | None = None,
        **kw,
    ):
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts or f"{time.time():.6f}",
            "channel": channel,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kw), event

    def dm(
        self, text: str, *, user: str = ALICE, channel: str = DM_ALICE, thread_ts: str | None = None
    ):
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "channel": channel,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event), event

    def command(self, command: str, text: str, *, user: str = ALICE, channel: str = GENERAL):
        key = uuid.uuid4().hex
        form = {
            "token": "verification-token-unused",
            "team_id": TEAM_ID,
            "team_domain": "fake-team",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "alice",
            "command": command,
            "text": text,
            "api_app_id": "A0C360APP1",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(key),
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:32]}",
        }
        status, data, elapsed = self.post(
            urlencode(form).encode(), "application/x-www-form-urlencoded"
        )
        return status, data, elapsed, key

    def interaction(self, payload: dict[str, Any]):
        payload = {
            "team": {"id": TEAM_ID, "domain": "fake-team"},
            "api_app_id": "A0C360APP1",
            "token": "unused",
            **payload,
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def click(
        self,
        button: dict[str, Any],
        *,
        user: str = ALICE,
        channel: str = GENERAL,
        message_ts: str = "1.000001",
        message_blocks: list[dict[str, Any]] | None = None,
    ):
        """A button press; ``message_blocks``: the message it sits in (Slack sends them)."""
        key = uuid.uuid4().hex
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "alice", "name": "alice", "team_id": TEAM_ID},
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": "trigger-" + uuid.uuid4().hex,
            "channel": {"id": channel, "name": "general"},
            "message": {
                "type": "message",
                "ts": message_ts,
                "text": "brief",
                **({"blocks": message_blocks} if message_blocks else {}),
            },
            "response_url": self.fake.response_url(key),
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b1",
                    "value": button["value"],
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        status, data, _ = self.interaction(payload)
        return status, key


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every visible string in a list of blocks (``bot.blocks.block_texts``)."""
    return "\n".join(block_texts(blocks))
