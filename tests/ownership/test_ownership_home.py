"""App Home with ownership (issue 10): rows dated by the moment itself, in words, on the
reader's calendar (users.info ``tz``); rule labels, not rule ids; whole lines; each waiting
moment with an "I'll own it" button that is the alerts' own claim action; my open alerts with
their SLA clock. Driven through the real Bolt app with signed requests against the strict fake
Slack; the store is SQLite (no row-lock race is exercised here)."""

from __future__ import annotations

import json
import re
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
    moment,
    ownership_settings,
    seed_customers,
)
from slack_testkit import (
    ALICE,
    GUEST,
    SIGNING_SECRET,
    SlackSender,
    _QuietHandler,
    _ThreadingWSGIServer,
    all_text,
)

from bot import alert_blocks as ab
from c360.clock import FixedClock
from c360.domain import Customer
from c360.ownership.types import alert_id_for

TEAM = "T0FAKE0001"
# 14:00 UTC on 23 Nov is 06:00 in Los Angeles; the moment, 02:30 UTC on 22 Nov, is the
# evening of 21 Nov there: the reader's calendar says "21 Nov, 2 days ago", UTC's "22 Nov, yesterday".
RAISED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MOMENT_AT = datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
HOSTILE = "<!channel> This is terrible, your service is awful and I am furious <@U0BOB>."


@pytest.fixture
def clock():
    return FixedClock(RAISED)


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        fake.add_user(ALICE, "alice", real_name="Alice Archer")  # tz America/Los_Angeles
        fake.add_user(GUEST, "gus", real_name="Gus Guest", is_restricted=True)
        yield fake


@pytest.fixture
def app_container(tmp_path, embeddings, clock, slack):
    settings = ownership_settings(tmp_path, None, slack, slack_signing_secret=SIGNING_SECRET)
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    container.ingest.add_records(
        [Customer("C9", "<!here> Evil & Co", segment="SMB", plan="Basic")], source="test:hostile"
    )
    return container


@pytest.fixture
def sender(app_container, slack):
    from bot.app import build_app
    from bot.http import SlackWSGI
    from bot.pool import WorkPool

    pool = WorkPool(workers=2, queue_size=20)
    app = build_app(app_container, pool=pool)
    server = make_server(
        "127.0.0.1", 0, SlackWSGI(app, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield SlackSender(f"http://127.0.0.1:{server.server_address[1]}", slack)
    server.shutdown()
    server.server_close()
    pool.shutdown(wait=True)


def raise_hostile_alert(container, mid: str = "m-evil", customer: str = "C9") -> str:
    container.ingest.add_records([moment(mid, customer, HOSTILE, MOMENT_AT)], source="test:moments")
    alert_id = alert_id_for(f"moment:{mid}")
    assert container.ownership.view(alert_id) is not None
    return alert_id


def open_home(sender: SlackSender, slack, user: str = ALICE, count: int = 1) -> dict:
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"}
    status, _, _ = sender.event(event)
    assert status == 200
    return slack.wait_for_call("views.publish", count=count)[count - 1].args["view"]


def press_on_home(sender: SlackSender, alert_id: str, user: str = ALICE) -> int:
    """block_actions as Slack sends it for a button on App Home: the container is the view,
    there is no channel and no response_url."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "alice", "name": "alice", "team_id": TEAM},
        "container": {"type": "view", "view_id": "V0HOME0001"},
        "trigger_id": "trigger-" + uuid.uuid4().hex,
        "view": {"id": "V0HOME0001", "type": "home", "blocks": []},
        "actions": [
            {
                "action_id": ab.ACTION_CLAIM,
                "block_id": f"{ab.ACTIONS_BLOCK_PREFIX}{alert_id}",
                "value": alert_id,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    status, _, _ = sender.interaction(payload)
    return status


def section_texts(view: dict) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b.get("type") == "section"]


def test_a_waiting_moment_reads_in_words_on_the_readers_calendar_with_its_sla_and_a_claim_button(
    app_container, sender, slack, clock
):
    alert_id = raise_hostile_alert(app_container)
    clock.advance(hours=2)
    view = open_home(sender, slack)

    [row] = [
        b for b in view["blocks"] if b.get("block_id") == f"{ab.ACTIONS_BLOCK_PREFIX}{alert_id}"
    ]
    text = row["text"]["text"]
    assert text == (
        "• *&lt;!here&gt; Evil &amp; Co* — Negative sentiment: “&lt;!channel&gt; This is "
        "terrible, your service is awful and I am furious &lt;@U0BOB&gt;.”\n"
        "_moment from 21 Nov, 2 days ago · waiting 2 hours, past the 1 hour SLA_"
    )
    assert row["accessory"] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "I'll own it"},
        "action_id": ab.ACTION_CLAIM,
        "value": alert_id,
        "style": "primary",
    }
    everything = all_text(view["blocks"])
    # the alert's stored one-line summary (what the channel message shows) names no day: each
    # surface dates the moment on its own reader's calendar
    summary = app_container.ownership.view(alert_id).summary
    assert "· inbound email: “<!channel> This is terrible" in summary and "Nov" not in summary
    assert "negative_inbound" not in everything and "2026-" not in everything
    assert "<!" not in everything and "<@" not in everything


def test_claiming_from_home_uses_the_alerts_claim_and_moves_the_row_to_my_open_alerts(
    app_container, sender, slack, clock
):
    alert_id = raise_hostile_alert(app_container)
    clock.advance(minutes=25)
    open_home(sender, slack)

    assert press_on_home(sender, alert_id) == 200
    view = open_home_after_press(slack)
    assert app_container.ownership.view(alert_id).owner_id == ALICE
    texts = section_texts(view)
    mine = texts.index("*Moments I own*")
    assert texts[mine + 1].startswith("• *&lt;!here&gt; Evil &amp; Co* — Negative sentiment: “")
    assert texts[mine + 1].endswith(
        "_moment from 21 Nov, 2 days ago · open 25 min; owned after 25 min, within the 1 hour SLA_"
    )
    assert "_Nothing is waiting for an owner._" in "\n".join(texts)
    assert not [b for b in view["blocks"] if b.get("accessory")], "no claim button once owned"
    # the claim rule's own effects: the owner's brief by DM, the channel copy redrawn
    slack.wait_for(
        lambda s: any(c.args.get("users") == ALICE for c in s.calls_to("conversations.open")),
        what="the owner's DM",
    )
    events = [e["kind"] for e in app_container.ownership.events(alert_id)]
    assert "claimed" in events


def open_home_after_press(slack) -> dict:
    """The Home tab the press redrew (the second views.publish)."""
    return slack.wait_for_call("views.publish", count=2)[1].args["view"]


def test_a_guest_pressing_claim_on_home_is_told_why_in_the_apps_dm_and_owns_nothing(
    app_container, sender, slack
):
    alert_id = raise_hostile_alert(app_container)
    assert press_on_home(sender, alert_id, user=GUEST) == 200
    slack.wait_for(
        lambda s: any(c.args.get("channel") == GUEST for c in s.calls_to("chat.postMessage")),
        what="a DM to the guest",
    )
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == GUEST]
    assert "guest" in dm.args["text"].lower()
    assert app_container.ownership.view(alert_id).status == "open"


def test_when_users_info_fails_home_dates_in_utc_and_says_nothing_about_a_zone(
    app_container, sender, slack
):
    raise_hostile_alert(app_container)
    slack.cue_error("users.info", "user_not_found", times=5)
    view = open_home(sender, slack)
    text = all_text(view["blocks"])
    # Slack could not vouch for the reader: the lists are masked with the reason, and dated
    # by UTC's calendar rather than a guessed zone.
    assert "moment from 22 Nov, yesterday" in text
    assert "21 Nov" not in text and "UTC" not in text and "Los_Angeles" not in text


def test_home_lists_at_most_ten_waiting_rows_and_says_how_many_more(app_container, sender, slack):
    for i in range(12):
        raise_hostile_alert(app_container, mid=f"m-evil-{i:02d}")
    view = open_home(sender, slack)
    texts = section_texts(view)
    assert "*Moments waiting for an owner* _(10 shown, 2 more)_" in texts
    claims = [
        b for b in view["blocks"] if (b.get("accessory") or {}).get("action_id") == ab.ACTION_CLAIM
    ]
    assert len(claims) == 10
    assert len(json.dumps(view)) < 100_000 and all(len(t) < 3000 for t in texts)
    assert all(
        re.search(r"\n_moment from 21 Nov, 2 days ago · waiting ", t) for t in texts if "Evil" in t
    )


def test_each_surface_names_the_moments_day_once_on_its_readers_calendar(
    app_container, sender, slack, clock
):
    """23:30 UTC on 22 Nov is 08:30 on 23 Nov in Tokyo, where Taro is (users.info tz). The
    channel message dates the moment with Slack's date token (each reader's own day; UTC's
    as fallback); the owner's DM and reminder in words on Taro's calendar; the alert's stored
    summary names no day, so none of them says a second, UTC, day."""
    taro = "U0TARO0001"
    slack.add_user(taro, "taro", real_name="Taro Tanaka", tz="Asia/Tokyo")
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    app_container.ingest.add_records([moment("m-late", "C9", HOSTILE, late)], source="test:late")
    alert_id = alert_id_for("moment:m-late")
    assert "Nov" not in app_container.ownership.view(alert_id).summary
    app_container.ownership.run_once()

    [post] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == ALERTS_CHANNEL]
    head = post.args["blocks"][0]["text"]["text"]
    token = f"<!date^{int(late.timestamp())}^{{date_short}}|22 Nov>"
    assert head.startswith("*&lt;!here&gt; Evil &amp; Co* — a moment needs an owner\n")
    # The token shows each reader their own day, so the age beside it is elapsed time, true on
    # every calendar: "yesterday" (UTC's) would sit beside Taro's "23 Nov".
    assert f"\n_moment from {token}, 12 hours ago_\n" in head
    assert "yesterday" not in head and "today" not in head
    assert head.count("Nov") == 1, head  # the token's fallback, nothing in the summary
    assert "inbound email: “&lt;!channel&gt; This is terrible" in head
    assert "moment from 22 Nov, yesterday" in post.args["text"]  # a phone notification: UTC's day

    assert press_on_home(sender, alert_id, user=taro) == 200
    dm_channel = slack.wait_for(
        lambda s: next(
            (
                c.args["channel"]
                for c in s.calls_to("chat.postMessage")
                if c.args["channel"][0] == "D"
            ),
            None,
        ),
        what="the owner's DM",
    )
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == dm_channel]
    assert dm.args["text"].startswith(
        "You now own this moment for *&lt;!here&gt; Evil &amp; Co*.\n_moment from 23 Nov, today_\n"
    )
    assert "22 Nov" not in dm.args["text"]

    clock.advance(hours=24)  # 21:00 on 24 Nov in Tokyo
    app_container.ownership.run_once()
    reminder = slack.calls_to("chat.postMessage")[-1].args
    assert reminder["channel"] == dm_channel
    text = reminder["blocks"][0]["text"]["text"]
    assert (
        "\n_moment from 23 Nov, yesterday_\n&lt;!here&gt; Evil &amp; Co (SMB, Basic) · inbound email: “"
        in text
    )
    assert text.count("Nov") == 1, text
