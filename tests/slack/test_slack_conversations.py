"""Mentions and DMs, end to end: signed event over real HTTP -> the real Bolt app -> real
retrieval (MiniLM, Chroma, SQLite) -> Web API calls recorded by the fake Slack."""

from __future__ import annotations

import threading
import time
from wsgiref.simple_server import make_server

import pytest
from fake_slack import FakeSlack
from slack_testkit import (
    ALICE,
    DM_ALICE,
    GENERAL,
    GUEST,
    SHARED,
    SIGNING_SECRET,
    SlackSender,
    _QuietHandler,
    _ThreadingWSGIServer,
    all_text,
    buttons,
)

from bot import blocks
from c360.container import Container


def thread_posts(fake: FakeSlack, channel: str, thread_ts: str, method: str = "chat.postMessage"):
    return [
        c
        for c in fake.calls_to(method)
        if c.args.get("channel") == channel and c.args.get("thread_ts") == thread_ts
    ]


def wait_thread_post(
    fake: FakeSlack,
    channel: str,
    thread_ts: str,
    method: str = "chat.postMessage",
    timeout: float = 15.0,
):
    return fake.wait_for(
        lambda s: thread_posts(s, channel, thread_ts, method),
        timeout,
        f"{method} in thread {thread_ts}",
    )


def header(call) -> str:
    return next(b["text"]["text"] for b in call.args["blocks"] if b["type"] == "header")


def test_a_mention_is_answered_in_its_thread_masked_for_the_channel(slack, fake_slack, seeded):
    (status, _, elapsed), event = slack.mention("what is going on with Globex?")
    assert status == 200 and elapsed < 3.0
    posted = wait_thread_post(fake_slack, GENERAL, event["ts"])[0]
    assert header(posted) == "Globex Industries"
    public_text = all_text(posted.args["blocks"])
    assert "90,000" not in public_text and "ops@globex.example" not in public_text
    assert "`complaint:c-g1`" in public_text  # facts still cite their records
    assert posted.args["unfurl_links"] is False and posted.args["unfurl_media"] is False
    # progress was shown on the question itself
    assert fake_slack.calls_to("reactions.add")[0].args == {
        "channel": GENERAL,
        "timestamp": event["ts"],
        "name": "eyes",
    }
    # feedback buttons on the answer point at the logged exchange
    feedback = [
        b
        for b in buttons(posted.args["blocks"])
        if b["action_id"].startswith(blocks.ACTION_FEEDBACK)
    ]
    assert len(feedback) == 3


def test_every_exchange_is_logged_with_the_slack_user_channel_and_permalink(
    slack, fake_slack, seeded
):
    (_, _, _), event = slack.mention("what is going on with Globex?")
    wait_thread_post(fake_slack, GENERAL, event["ts"])
    [exchange] = seeded.moments.recent_exchanges(asker_id=ALICE)
    assert exchange.customer_id == "globex-1" and exchange.author == "Alice Archer"
    assert exchange.meta["channel_id"] == GENERAL
    permalink = f"https://fake-team.slack.com/archives/{GENERAL}/p{event['ts'].replace('.', '')}"
    assert exchange.meta["permalink"] == permalink
    assert exchange.url == permalink  # the record links back to the question


def test_customer_text_can_never_ping_the_channel_or_mention_anyone(slack, fake_slack, seeded):
    (_, _, _), event = slack.mention("any outage complaints from Globex?")
    wait_thread_post(fake_slack, GENERAL, event["ts"])
    sent = " ".join(
        all_text(c.args["blocks"]) + c.args["text"]
        for c in fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.postEphemeral")
    )
    assert "&lt;!channel&gt;" in sent  # the complaint is shown...
    assert "<!channel>" not in sent and "<@U0BOB00002>" not in sent  # ...but cannot ping


def test_a_follow_up_in_the_thread_keeps_the_customer_even_in_another_process(
    slack, fake_slack, seeded, settings, embeddings, clock, work_pool
):
    (_, _, _), first = slack.mention("Globex please")
    wait_thread_post(fake_slack, GENERAL, first["ts"])
    # A second app instance (as another gunicorn worker would be) over the same database.
    from bot.app import build_app
    from bot.http import SlackWSGI

    other = build_app(Container(settings, embeddings=embeddings, clock=clock), pool=work_pool)
    server = make_server(
        "127.0.0.1", 0, SlackWSGI(other, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        sender = SlackSender(f"http://127.0.0.1:{server.server_address[1]}", fake_slack)
        before = len(thread_posts(fake_slack, GENERAL, first["ts"]))
        (_, _, _), follow = sender.mention("any open complaints?", thread_ts=first["ts"])
        answers = fake_slack.wait_for(
            lambda s: (
                len(thread_posts(s, GENERAL, first["ts"])) > before
                and thread_posts(s, GENERAL, first["ts"])
            ),
            15,
            "the follow-up answer",
        )
    finally:
        server.shutdown()
        server.server_close()
    # a follow-up answers only the follow-up: no header, no brief again
    assert not any(b["type"] == "header" for b in answers[-1].args["blocks"])
    assert "Double charge" in all_text(answers[-1].args["blocks"])


def test_a_direct_message_is_answered_in_the_conversation_in_full(slack, fake_slack, seeded):
    (status, _, _), event = slack.dm("Globex?")
    assert status == 200
    posted = wait_thread_post(fake_slack, DM_ALICE, None)[0]  # not in a thread
    full = next(
        b for b in buttons(posted.args["blocks"]) if b["action_id"] == blocks.ACTION_FULL_BRIEF
    )
    slack.click(full, channel=DM_ALICE)
    whole = fake_slack.wait_for(
        lambda s: len(thread_posts(s, DM_ALICE, None)) > 1 and thread_posts(s, DM_ALICE, None),
        15,
        "the full brief",
    )[-1]
    assert "ops@globex.example" in all_text(whole.args["blocks"])  # nothing masked in a DM
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_an_ambiguous_customer_gets_buttons_and_a_pick_answers_the_question(
    slack, fake_slack, seeded
):
    (_, _, _), event = slack.mention("what did Acme ask about?")
    picker = wait_thread_post(fake_slack, GENERAL, event["ts"])[0]
    choices = buttons(picker.args["blocks"])
    assert {b["text"]["text"] for b in choices} == {
        "Acme Corp (acme-1)",
        "Acme Corporation Ltd (acme-2)",
    }
    acme_corp = next(b for b in choices if "acme-1" in b["text"]["text"])
    before = len(thread_posts(fake_slack, GENERAL, event["ts"]))
    status, key = slack.click(acme_corp)
    assert status == 200
    answers = fake_slack.wait_for(
        lambda s: (
            len(thread_posts(s, GENERAL, event["ts"])) > before
            and thread_posts(s, GENERAL, event["ts"])
        ),
        15,
        "the answer",
    )
    assert header(answers[-1]) == "Acme Corp"
    assert "export API" in all_text(answers[-1].args["blocks"])
    assert (
        "Acme Corp" in fake_slack.wait_for_response(key)[0]["text"]
    )  # the picker message is replaced


def test_an_unknown_customer_is_said_so(slack, fake_slack, seeded):
    (_, _, _), event = slack.mention("how is Zzyzx Holdings doing?")
    reply = wait_thread_post(fake_slack, GENERAL, event["ts"])[0]
    assert "couldn't find a customer" in reply.args["text"]


def test_retries_and_duplicate_event_ids_are_processed_once_across_two_app_instances(
    slack, fake_slack, seeded, settings, embeddings, clock, work_pool
):
    from bot.app import build_app
    from bot.http import SlackWSGI

    other = build_app(Container(settings, embeddings=embeddings, clock=clock), pool=work_pool)
    server = make_server(
        "127.0.0.1", 0, SlackWSGI(other, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        sender_b = SlackSender(f"http://127.0.0.1:{server.server_address[1]}", fake_slack)
        (first, _, _), event = slack.mention("Globex?", event_id="Ev0DUPLICATE1")
        retry, _, _ = sender_b.event(
            {k: v for k, v in event.items() if k != "event_ts"},
            event_id="Ev0DUPLICATE1",
            retry_num=1,
        )
        again, _, _ = slack.event(
            {k: v for k, v in event.items() if k != "event_ts"},
            event_id="Ev0DUPLICATE1",
            retry_num=2,
        )
        assert (first, retry, again) == (200, 200, 200)
        wait_thread_post(fake_slack, GENERAL, event["ts"])
        time.sleep(1.0)  # give a (wrong) second processing time to show up
    finally:
        server.shutdown()
        server.server_close()
    assert len(thread_posts(fake_slack, GENERAL, event["ts"])) == 1
    assert len(fake_slack.calls_to("reactions.add")) == 1
    assert len(seeded.moments.recent_exchanges(asker_id=ALICE)) == 1


@pytest.mark.parametrize(
    ("user", "channel", "expected"),
    [(GUEST, GENERAL, blocks.GUEST_USER), (ALICE, SHARED, blocks.EXTERNAL_CHANNEL)],
)
def test_guests_and_channels_with_external_members_get_a_polite_refusal(
    slack, fake_slack, seeded, user, channel, expected
):
    (_, _, _), event = slack.mention("Globex?", user=user, channel=channel)
    reply = wait_thread_post(fake_slack, channel, event["ts"])[0]
    assert reply.args["text"] == expected
    time.sleep(0.3)
    assert "Globex Industries" not in " ".join(
        c.args.get("text", "") for c in fake_slack.api_calls()
    )
    assert seeded.moments.recent_exchanges(asker_id=user) == []


def test_a_429_from_the_web_api_is_retried_after_retry_after(slack, fake_slack, seeded):
    fake_slack.cue_rate_limit("chat.postMessage", times=1, retry_after=1)
    (_, _, _), event = slack.mention("Globex?")
    posts = fake_slack.wait_for(
        lambda s: (
            len(thread_posts(s, GENERAL, event["ts"])) >= 2
            and thread_posts(s, GENERAL, event["ts"])
        ),
        15,
        "the retried post",
    )
    assert posts[1].at - posts[0].at >= 0.95
    assert header(posts[1]) == "Globex Industries"


def test_web_api_errors_are_logged_and_the_user_still_gets_an_answer(
    slack, fake_slack, seeded, caplog
):
    for method in ("reactions.add", "users.info", "chat.getPermalink"):
        fake_slack.cue_error(method, "internal_error")
    fake_slack.cue_error("chat.postMessage", "not_in_channel")
    (_, _, _), event = slack.mention("Globex?")
    # the in-thread post was refused, so the answer reaches the asker privately
    private = fake_slack.wait_for(
        lambda s: [
            c
            for c in thread_posts(s, GENERAL, event["ts"], "chat.postEphemeral")
            if "Globex Industries" in all_text(c.args["blocks"])
        ],
        15,
        "a private answer",
    )
    assert private[0].args["user"] == ALICE
    assert any("not_in_channel" in r.getMessage() for r in caplog.records)


def test_when_the_service_fails_the_user_is_told_with_an_error_id(
    slack, fake_slack, seeded, bolt_app
):
    class FailingBriefs:  # the real interface, failing the way a broken store would
        def ask(self, *args, **kwargs):
            raise RuntimeError("database is locked")

    bolt_app.c360.container.__dict__["briefs"] = FailingBriefs()
    (_, _, _), event = slack.mention("Globex?")
    reply = wait_thread_post(fake_slack, GENERAL, event["ts"])[0]
    assert "something went wrong" in reply.args["text"] and "error id" in reply.args["text"]
