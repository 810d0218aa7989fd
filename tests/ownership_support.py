"""Test support for the ownership tests: the strict fake Slack (tests/slack/fake_slack.py)
extended with what alert delivery needs and the bot does not: a message store per channel,
``conversations.history`` with message metadata (how a retried send finds out whether its
first attempt reached Slack), and a cue that holds a chat.postMessage *after* Slack has
accepted it, so a test can kill the sender in the exact gap between send and mark.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

# tests/slack holds the fake and the signed-request kit; its own conftest puts it on sys.path
# for the tests there, and we do the same so both import one and the same module.
_SLACK_TESTS = str(Path(__file__).parent / "slack")
if _SLACK_TESTS not in sys.path:
    sys.path.insert(0, _SLACK_TESTS)

import fake_slack  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402

TOKEN = "xoxb-ownership-test"
ALERTS_CHANNEL = "C0ALERTS01"


class _Handler(fake_slack._Handler):
    """Adds conversations.history (POST, as slack_sdk sends it) with the base server's token check."""

    def _api(self, method: str, args: dict[str, Any], verb: str) -> None:
        if method != "conversations.history":
            super()._api(method, args, verb)
            return
        fake = self.owner
        fake._record(
            fake_slack.Call(method, args, {k.lower(): v for k, v in self.headers.items()}, verb)
        )
        if (self.headers.get("Authorization") or "") != f"Bearer {fake.token}":
            self._reply(200, {"ok": False, "error": "invalid_auth"})
        elif not args.get("channel"):
            self._reply(200, {"ok": False, "error": "channel_not_found"})
        else:
            self._reply(200, fake.answer(method, args))


class AlertSlack(FakeSlack):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token=token)
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._hold_after: int | None = None  # hold the N-th chat.postMessage answer
        self._held = threading.Event()  # set when a post is being held
        self._release = threading.Event()
        # The alerts channel is internal: the worker asks conversations.info before posting.
        self.add_channel(ALERTS_CHANNEL, "customer-alerts")

    def start(self) -> AlertSlack:
        from http.server import ThreadingHTTPServer

        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    # --- cues ----------------------------------------------------------------------------
    def hold_post(self, nth: int) -> None:
        """Accept the ``nth`` chat.postMessage (it is in the channel) but do not answer it
        until ``release_held()``: the sender sees a hang, as when it dies mid-call."""
        self._hold_after = nth
        self._held.clear()
        self._release.clear()

    def wait_held(self, timeout: float = 20.0) -> bool:
        return self._held.wait(timeout)

    def release_held(self) -> None:
        self._release.set()

    # --- inspection ------------------------------------------------------------------------
    def posted_keys(self) -> list[str]:
        """The outbox dedupe key of every chat.postMessage the fake accepted, in order."""
        keys = []
        for call in self.calls_to("chat.postMessage"):
            meta = call.args.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            keys.append(((meta or {}).get("event_payload") or {}).get("dedupe_key"))
        return keys

    def duplicate_keys(self) -> dict[str, int]:
        return {k: n for k, n in Counter(self.posted_keys()).items() if n > 1}

    # --- answers -----------------------------------------------------------------------------
    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.history":
            with self._lock:
                stored = list(self.messages.get(args["channel"], []))
            oldest = float(args.get("oldest") or 0)
            found = [m for m in reversed(stored) if float(m["ts"]) > oldest]
            include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            if not include:
                found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            return {
                "ok": True,
                "messages": found,
                "has_more": False,
                "response_metadata": {"next_cursor": ""},
            }
        result = super().answer(method, args)
        if method == "chat.postMessage" and result.get("ok"):
            message = dict(result["message"])
            meta = args.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            if meta:
                message["metadata"] = meta
            with self._lock:
                self.messages.setdefault(result["channel"], []).append(message)
                count = sum(1 for c in self.calls if c.method == "chat.postMessage")
            if self._hold_after is not None and count == self._hold_after:
                self._held.set()
                self._release.wait(60)
        return result


# --- shared builders -----------------------------------------------------------------------
from datetime import datetime, timedelta  # noqa: E402

from c360.container import Container  # noqa: E402
from c360.domain import Complaint, Customer, Moment  # noqa: E402
from c360.settings import Settings  # noqa: E402


def ownership_settings(
    tmp_path, database_url: str | None = None, slack: FakeSlack | None = None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "c360",
        "database_url": database_url,
        "alerts_channel": ALERTS_CHANNEL,
        "escalate_after_minutes": 30,
        "remind_after_hours": 24,
        "sla_minutes": 60,
        "worker_lease_seconds": 30,
    }
    if slack is not None:
        values.update(slack_bot_token=slack.token, slack_api_url=slack.api_url)
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_container(settings: Settings, embeddings, clock, **overrides: Any) -> Container:
    embeddings.texts_embedded = 0
    return Container(settings, embeddings=embeddings, clock=clock, **overrides)


CUSTOMERS = [
    Customer(
        "C1", "Acme Corp", segment="Enterprise", plan="Platinum", arr=250_000, owner="U0ACCOUNT1"
    ),
    Customer("C2", "Globex", segment="Mid-market", plan="Gold", arr=20_000),
    Customer("C3", "Initech", segment="SMB", plan="Basic", arr=5_000, owner="Jane Doe"),
]


def moment(
    mid: str,
    customer: str,
    text: str,
    at: datetime,
    direction: str = "inbound",
    channel: str = "email",
    **kw: Any,
) -> Moment:
    return Moment(
        moment_id=mid,
        customer_id=customer,
        occurred_at=at,
        text=text,
        channel=channel,
        direction=direction,
        **kw,
    )


def complaint(cid: str, customer: str, text: str, at: datetime, **kw: Any) -> Complaint:
    return Complaint(complaint_id=cid, customer_id=customer, opened_at=at, text=text, **kw)


def seed_customers(container: Container) -> None:
    container.ingest.add_records(list(CUSTOMERS), source="test:customers")


def raise_alert(
    container: Container, now: datetime, mid: str = "m-angry", customer: str = "C2"
) -> str:
    """Ingest one clearly negative inbound email; returns the id of the alert it raised."""
    summary = container.ingest.add_records(
        [
            moment(
                mid,
                customer,
                "This is terrible, your service is awful and I am furious.",
                now - timedelta(minutes=5),
            )
        ],
        source="test:moments",
    )
    assert f"moment:{mid}" in summary.new_record_ids
    from c360.ownership.types import alert_id_for

    alert_id = alert_id_for(f"moment:{mid}")
    assert container.ownership.view(alert_id) is not None, (
        "the negative email should have raised an alert"
    )
    return alert_id
