"""Event callbacks Slack signs correctly but that we cannot or do not handle: a malformed one is
a 400 (never a 500), one we have no listener for is a 200 (never a 404, which Slack retries),
and neither has a side effect."""

from __future__ import annotations

import json
import time

import pytest
from fake_slack import TEAM_ID


def event_body(event) -> bytes:
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0C360APP1",
            "type": "event_callback",
            "event_id": "Ev0HTTPEVENT",
            "event_time": int(time.time()),
            "event": event,
        }
    ).encode()


def no_side_effect(fake_slack, calls_before: int) -> bool:
    time.sleep(0.3)  # anything the bot would have started would have called out by now
    return len(fake_slack.api_calls()) == calls_before and fake_slack.all_responses() == []


@pytest.mark.parametrize(
    ("case", "event"),
    [
        ("event is null", None),
        ("event is a list", ["app_mention"]),
        ("event without a type", {"user": "U0ALICE001", "text": "hi"}),
        ("event type is not a string", {"type": 7}),
    ],
)
def test_a_signed_event_callback_without_a_usable_event_is_refused_with_400(
    slack, fake_slack, case, event
):
    before = len(fake_slack.api_calls())
    code, data, _ = slack.post(event_body(event), "application/json")
    assert code == 400, (case, code, data)
    assert "event" in json.loads(data)["error"]
    assert no_side_effect(fake_slack, before)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "reaction_added", "user": "U0ALICE001", "reaction": "eyes"},
        {"type": "channel_created", "channel": {"id": "C0NEW00001", "name": "new"}},
        {"type": "some_future_event_type"},
    ],
)
def test_an_event_we_do_not_listen_for_is_acknowledged_with_200_so_slack_does_not_retry(
    slack, fake_slack, event
):
    before = len(fake_slack.api_calls())
    code, data, _ = slack.post(event_body(event), "application/json")
    assert code == 200, (event["type"], code, data)
    assert no_side_effect(fake_slack, before)
