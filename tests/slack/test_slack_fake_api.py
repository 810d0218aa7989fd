"""The fake Slack Web API is strict like the real one; these pin that down, so a test passing
against it means the bot made calls Slack would accept."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from fake_slack import FakeSlack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

TOKEN = "xoxb-fake-strict"


@pytest.fixture
def fake():
    with FakeSlack(token=TOKEN) as slack:
        yield slack


def raw_call(
    fake: FakeSlack, method: str, body: bytes, content_type: str, token: str | None = TOKEN
) -> dict:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(fake.api_url + method, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_a_call_without_the_bearer_token_is_not_authed(fake):
    answer = raw_call(
        fake, "chat.postMessage", b'{"channel":"C1","text":"hi"}', "application/json", token=None
    )
    assert answer == {"ok": False, "error": "not_authed"}


def test_a_wrong_token_is_invalid_auth(fake):
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).chat_postMessage(
            channel="C1", text="hi"
        )
    assert err.value.response["error"] == "invalid_auth"


def test_write_methods_need_a_documented_content_type(fake):
    answer = raw_call(fake, "chat.postMessage", b"channel=C1&text=hi", "text/plain")
    assert answer["ok"] is False and answer["error"] == "invalid_form_data"
    form = raw_call(
        fake, "chat.postMessage", b"channel=C1&text=hi", "application/x-www-form-urlencoded"
    )
    assert form["ok"] is True and form["channel"] == "C1"


def test_required_arguments_are_checked_per_method(fake):
    client = WebClient(token=TOKEN, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as no_text:
        client.api_call("chat.postMessage", json={"channel": "C1"})
    assert no_text.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as no_user:
        client.api_call("chat.postEphemeral", json={"channel": "C1", "text": "hi"})
    assert no_user.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as bad_view:
        client.views_publish(user_id="U1", view={"type": "home"})
    assert bad_view.value.response["error"] == "invalid_arguments"


def test_an_unknown_method_says_unknown_method(fake):
    with pytest.raises(SlackApiError) as err:
        WebClient(token=TOKEN, base_url=fake.api_url).api_call(
            "chat.postMessageX", json={"channel": "C1", "text": "x"}
        )
    assert err.value.response["error"] == "unknown_method"


def test_answers_look_like_slacks_and_every_call_is_recorded(fake):
    client = WebClient(token=TOKEN, base_url=fake.api_url)
    posted = client.chat_postMessage(channel="C1", text="hello", thread_ts="1.000001")
    assert (
        posted["ok"] and posted["channel"] == "C1" and posted["message"]["thread_ts"] == "1.000001"
    )
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert link["permalink"].startswith("https://fake-team.slack.com/archives/C1/p")
    calls = fake.calls_to("chat.postMessage")
    assert (
        len(calls) == 1
        and calls[0].args["text"] == "hello"
        and calls[0].headers["authorization"] == f"Bearer {TOKEN}"
    )


def test_a_cued_429_carries_retry_after_and_the_sdk_retries_after_it(fake):
    fake.cue_rate_limit("chat.postMessage", times=1, retry_after=1)
    client = WebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert time.monotonic() - started >= 0.95
    assert len(fake.calls_to("chat.postMessage")) == 2


def test_a_cued_error_answers_ok_false_for_the_next_n_calls_only(fake):
    fake.cue_error("reactions.add", "too_many_reactions", times=2)
    client = WebClient(token=TOKEN, base_url=fake.api_url)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.reactions_add(channel="C1", timestamp="1.0", name="eyes")
        assert err.value.response["error"] == "too_many_reactions"
    assert client.reactions_add(channel="C1", timestamp="1.0", name="eyes")["ok"]


def test_response_urls_are_received_and_unknown_ones_refused(fake):
    url = fake.response_url("k1")
    assert WebhookClient(url).send(text="hello", response_type="ephemeral").status_code == 200
    assert fake.wait_for_response("k1")[0]["text"] == "hello"
    assert WebhookClient(fake.base_url + "/response/nope").send(text="x").status_code == 404
