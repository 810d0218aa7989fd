"""Alert buttons through the real Bolt app: correctly signed block_actions requests over HTTP,
the bot's Web API calls going to the fake Slack server, the store on real PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from wsgiref.simple_server import make_server

import pytest
from ownership_support import (
    ALERTS_CHANNEL,
    AlertSlack,
    make_container,
    ownership_settings,
    raise_alert,
    seed_customers,
)
from slack_testkit import (
    ALICE,
    GENERAL,
    SIGNING_SECRET,
    SlackSender,
    _QuietHandler,
    _ThreadingWSGIServer,
)

from bot import alert_blocks as ab
from c360.safety.policy import LOOKUP_REFUSED

pytestmark = pytest.mark.postgres
TEAM = "T0FAKE0001"


class _Server(_ThreadingWSGIServer):
    # 20 clicks arrive in the same instant; wsgiref's default listen backlog of 5 would reset
    # some connections before the app sees them (gunicorn's default backlog is 2048).
    request_queue_size = 64


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        fake.add_user("U0BOB", "bob", real_name="Bob Baker")
        fake.add_user(ALICE, "alice", real_name="Alice Archer")
        # Everyone who presses a button is a full member Slack knows (users.info answers):
        # the audience policy refuses alert changes from anyone it cannot confirm.
        fake.add_user("U0ANN", "ann", real_name="Ann Avery")
        for i in range(20):
            fake.add_user(f"U0CLICK{i:02d}", f"clicker{i:02d}")
        fake.add_channel(GENERAL, "general")
        yield fake


@pytest.fixture
def app_container(tmp_path, pg_url, embeddings, clock, slack):
    settings = ownership_settings(tmp_path, pg_url, slack, slack_signing_secret=SIGNING_SECRET)
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    return container


@pytest.fixture
def sender(app_container, slack):
    from bot.app import build_app
    from bot.http import SlackWSGI
    from bot.pool import WorkPool

    pool = WorkPool(workers=4, queue_size=50)
    app = build_app(app_container, pool=pool)
    server = make_server("127.0.0.1", 0, SlackWSGI(app, SIGNING_SECRET), _Server, _QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield SlackSender(f"http://127.0.0.1:{server.server_address[1]}", slack)
    server.shutdown()
    server.server_close()
    pool.shutdown(wait=True)


def press(sender: SlackSender, alert_id: str, action: dict, user: str, ts: str = "1.000001") -> int:
    """A block_actions payload as Slack sends it for an element of the alert's actions block."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": ALERTS_CHANNEL,
            "is_ephemeral": False,
        },
        "trigger_id": "trigger-" + uuid.uuid4().hex,
        "channel": {"id": ALERTS_CHANNEL, "name": "customer-alerts"},
        "message": {"type": "message", "ts": ts, "text": "alert"},
        "response_url": sender.fake.response_url(),
        "actions": [
            {
                "block_id": f"{ab.ACTIONS_BLOCK_PREFIX}{alert_id}",
                "action_ts": f"{time.time():.6f}",
                **action,
            }
        ],
    }
    status, _, _ = sender.interaction(payload)
    return status


CLAIM = {"action_id": ab.ACTION_CLAIM, "type": "button", "value": "x"}


def _ephemerals(slack):
    return [(c.args["user"], c.args["text"]) for c in slack.calls_to("chat.postEphemeral")]


def test_twenty_people_clicking_ill_own_it_at_once_make_one_owner_and_nineteen_polite_notes(
    app_container, sender, slack, clock
):
    alert_id = raise_alert(app_container, clock.now())
    app_container.ownership.run_once()
    posted_ts = slack.messages[ALERTS_CHANNEL][0]["ts"]
    users = [f"U0CLICK{i:02d}" for i in range(20)]
    barrier = threading.Barrier(20)
    statuses = {}

    def click(user: str) -> None:
        barrier.wait()
        statuses[user] = press(sender, alert_id, {**CLAIM, "value": alert_id}, user, posted_ts)

    threads = [threading.Thread(target=click, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert set(statuses.values()) == {200}

    slack.wait_for(
        lambda s: len(s.calls_to("chat.postEphemeral")) >= 19 and s.calls_to("chat.update"),
        timeout=20,
        what="19 notes and the update",
    )
    owner = app_container.ownership.view(alert_id).owner_id
    assert owner in users
    notes = _ephemerals(slack)
    assert sorted(u for u, _ in notes) == sorted(u for u in users if u != owner)
    assert {t for _, t in notes} == {f"Thanks for jumping in! It's already owned by <@{owner}>."}
    (update,) = slack.calls_to("chat.update")
    assert update.args["ts"] == posted_ts and f"*Owned by* <@{owner}>" in json.dumps(
        update.args["blocks"]
    )
    dms = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"].startswith("D")]
    assert len(dms) == 1 and [c.args["users"] for c in slack.calls_to("conversations.open")] == [
        owner
    ]
    time.sleep(0.3)
    assert len(slack.calls_to("chat.postEphemeral")) == 19, "no note to the owner, none twice"


def test_assign_snooze_release_and_resolve_from_the_alerts_controls(
    app_container, sender, slack, clock
):
    alert_id = raise_alert(app_container, clock.now())
    svc = app_container.ownership
    svc.run_once()

    assert (
        press(
            sender,
            alert_id,
            {"action_id": ab.ACTION_ASSIGN, "type": "users_select", "selected_user": "U0BOB"},
            "U0ANN",
        )
        == 200
    )
    slack.wait_for(lambda s: len(_ephemerals(s)) >= 1, what="assign confirmation")
    assert _ephemerals(slack)[-1] == (
        "U0ANN",
        "Assigned to <@U0BOB>; they have the full brief in their DMs.",
    )
    view = svc.view(alert_id)
    assert (view.owner_id, view.owner_name) == ("U0BOB", "Bob Baker")

    snooze = {
        "action_id": ab.ACTION_SNOOZE,
        "type": "static_select",
        "selected_option": {
            "value": "tomorrow",
            "text": {"type": "plain_text", "text": "tomorrow"},
        },
    }
    assert press(sender, alert_id, snooze, "U0BOB") == 200
    slack.wait_for(lambda s: len(_ephemerals(s)) >= 2, what="snooze confirmation")
    # Bob is in Los Angeles (users.info tz): 04:00 there now, so "tomorrow" is his own 09:00
    # on 24 Nov (17:00 UTC), and the reply says so in words on his clock.
    assert _ephemerals(slack)[-1] == (
        "U0BOB",
        "Snoozed until 09:00 tomorrow, 24 Nov (your time, America/Los_Angeles).",
    )
    assert svc.view(alert_id).snoozed_until == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)

    assert (
        press(
            sender,
            alert_id,
            {"action_id": ab.ACTION_RELEASE, "type": "button", "value": alert_id},
            "U0ANN",
        )
        == 200
    )
    slack.wait_for(lambda s: len(_ephemerals(s)) >= 3, what="release refusal")
    assert _ephemerals(slack)[-1] == ("U0ANN", "Only the owner can release it (<@U0BOB>).")
    assert (
        press(
            sender,
            alert_id,
            {"action_id": ab.ACTION_RELEASE, "type": "button", "value": alert_id},
            "U0BOB",
        )
        == 200
    )
    slack.wait_for(lambda s: svc.view(alert_id).status == "open", what="release")

    assert (
        press(
            sender,
            alert_id,
            {"action_id": ab.ACTION_RESOLVE, "type": "button", "value": alert_id},
            "U0ANN",
        )
        == 200
    )
    slack.wait_for(lambda s: svc.view(alert_id).status == "resolved", what="resolve")
    slack.wait_for(
        lambda s: (
            "*Resolved* by <@U0ANN>" in json.dumps(s.calls_to("chat.update")[-1].args["blocks"])
        ),
        what="resolved update",
    )
    kinds = [
        (e["kind"], e["actor_id"])
        for e in svc.events(alert_id)
        if e["kind"] in ("assigned", "snoozed", "released", "resolved")
    ]
    assert kinds == [
        ("assigned", "U0ANN"),
        ("snoozed", "U0BOB"),
        ("released", "U0BOB"),
        ("resolved", "U0ANN"),
    ]


def test_a_moment_logged_with_needs_owner_raises_an_alert_that_the_worker_posts(
    app_container, sender, slack
):
    status, _, _, key = sender.command(
        "/moment", "Globex: they want a renewal quote by Friday, needs owner"
    )
    assert status == 200
    slack.wait_for_response(key)
    (alert,) = app_container.ownership.alerts()
    assert alert.customer_name == "Globex"
    assert alert.reasons == [
        {"rule": "needs_owner", "reason": "Alice Archer flagged this moment as needing an owner"}
    ]
    assert app_container.ownership.run_once()["sent"] == 1
    (post,) = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == ALERTS_CHANNEL]
    assert "renewal quote by Friday" in json.dumps(post.args["blocks"])


TOMORROW = {
    "action_id": ab.ACTION_SNOOZE,
    "type": "static_select",
    "selected_option": {"value": "tomorrow", "text": {"type": "plain_text", "text": "tomorrow"}},
}


def test_a_snooze_without_the_readers_zone_is_utc_and_says_so(app_container, sender, slack, clock):
    """users.info answers but names no zone: 09:00 UTC, said plainly. A users.info that fails
    outright is refused by the audience policy (alert changes fail closed): nothing snoozes."""
    slack.add_user("U0NOTZ", "notz", real_name="Nora No-Zone", tz=None)
    slack.add_user("U0FAIL", "fail", real_name="Fay Failing")
    alert_id = raise_alert(app_container, clock.now())
    app_container.ownership.run_once()

    assert press(sender, alert_id, TOMORROW, "U0NOTZ") == 200
    slack.wait_for(lambda s: _ephemerals(s), what="snooze confirmation")
    assert _ephemerals(slack)[-1] == (
        "U0NOTZ",
        "Snoozed until 09:00 UTC tomorrow, 24 Nov. Slack didn't tell me your time zone, so "
        "that time is UTC.",
    )
    assert app_container.ownership.view(alert_id).snoozed_until == datetime(
        2026, 11, 24, 9, 0, tzinfo=UTC
    )

    slack.cue_error("users.info", "internal_error", times=100)
    assert press(sender, alert_id, {**TOMORROW, "selected_option": {
        "value": "1h", "text": {"type": "plain_text", "text": "1 hour"}}}, "U0FAIL") == 200  # fmt: skip
    slack.wait_for(lambda s: len(_ephemerals(s)) >= 2, what="the refusal")
    assert _ephemerals(slack)[-1] == ("U0FAIL", LOOKUP_REFUSED)
    assert app_container.ownership.view(alert_id).snoozed_by == "U0NOTZ", "nothing changed"


def test_the_snooze_menu_offers_tomorrow_on_each_readers_own_clock(app_container, slack, clock):
    raise_alert(app_container, clock.now())
    app_container.ownership.run_once()
    (post,) = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == ALERTS_CHANNEL]
    blocks = post.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    [menu] = [
        e for b in blocks if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == ab.ACTION_SNOOZE
    ]  # fmt: skip
    labels = [o["text"]["text"] for o in menu["options"]]
    assert labels == ["1 hour", "4 hours", "tomorrow 09:00 (your time)"]
    assert "UTC" not in json.dumps(menu)
