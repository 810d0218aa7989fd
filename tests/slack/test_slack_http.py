"""Requests that are not from Slack, or not well formed, are refused with 401/400 over real HTTP:
never a 500, and never a side effect (the fake Web API sees no call, no response_url POST)."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlencode, urlparse

import pytest
from slack_testkit import GENERAL, sign


def command_body(text="Globex", response_url="http://127.0.0.1:9/never") -> bytes:
    return urlencode(
        {
            "command": "/customer",
            "text": text,
            "user_id": "U0ALICE001",
            "channel_id": GENERAL,
            "team_id": "T0FAKE0001",
            "response_url": response_url,
        }
    ).encode()


def assert_no_side_effect(fake_slack, calls_before: int) -> None:
    time.sleep(0.3)  # anything the bot would have started would have called out by now
    assert len(fake_slack.api_calls()) == calls_before, [c.method for c in fake_slack.api_calls()]
    assert fake_slack.all_responses() == []


@pytest.mark.parametrize(
    ("case", "timestamp", "signature", "status"),
    [
        ("wrong signature", None, "v0=" + "0" * 64, 401),
        ("signed with another secret", None, "other-secret", 401),
        ("timestamp older than 300 s", "301 s ago", None, 401),
        ("non-numeric timestamp", "12abc", None, 400),
        ("missing signature", None, "", 401),
    ],
)
def test_unauthentic_requests_are_refused_without_side_effects(
    slack, fake_slack, case, timestamp, signature, status
):
    body = command_body(response_url=fake_slack.response_url())
    before = len(fake_slack.api_calls())
    ts = timestamp or str(int(time.time()))
    if timestamp == "301 s ago":  # computed when the test runs, so the test id stays stable
        ts = str(int(time.time()) - 301)
    if signature == "other-secret":
        signature = sign(body, ts, secret="not-the-signing-secret")
    elif signature is None:
        signature = sign(body, ts)
    code, data, _ = slack.post(
        body, "application/x-www-form-urlencoded", timestamp=ts, signature=signature
    )
    assert code == status, (case, data)
    assert_no_side_effect(fake_slack, before)


@pytest.mark.parametrize(
    ("case", "body", "content_type"),
    [
        ("broken JSON", b'{"type": "event_callback", "event": ', "application/json"),
        ("JSON that is not an object", b'["event_callback"]', "application/json"),
        (
            "interactivity payload that is not JSON",
            b"payload=%7Bnot-json",
            "application/x-www-form-urlencoded",
        ),
        ("form without command or payload", b"hello=world", "application/x-www-form-urlencoded"),
        ("unsupported content type", b"<xml/>", "application/xml"),
        ("not UTF-8", b"\xff\xfe\x00", "application/json"),
    ],
)
def test_malformed_but_correctly_signed_bodies_get_400_without_side_effects(
    slack, fake_slack, case, body, content_type
):
    before = len(fake_slack.api_calls())
    code, data, _ = slack.post(body, content_type)
    assert code == 400, (case, data)
    assert_no_side_effect(fake_slack, before)


def test_health_check_answers_get_with_the_depth_of_the_work_and_logging_queues(slack):
    url = urlparse(slack.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    health = json.loads(resp.read())
    assert resp.status == 200 and health["ok"] is True
    assert health["work_pool"]["jobs"] == 0 and health["work_pool"]["rejected"] == 0
    assert health["exchange_log"]["queued"] == 0 and health["exchange_log"]["failed"] == 0


def test_slacks_url_verification_challenge_is_echoed(slack):
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    code, data, _ = slack.post(body, "application/json")
    assert code == 200 and b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in data
