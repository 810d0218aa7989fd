"""Slack channels through `c360 sync`: conversations.history and .replies against the strict
fake Web API (cursor pagination, `oldest` as the incremental cursor), channel -> customer by the
sources file or a Slack Connect team's domain, what is not a moment, 429 and a bad token."""

from __future__ import annotations

import pytest
from fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack
from sources_testkit import write_sources
from sqlalchemy import select

from c360.domain import Customer
from store.models import MomentRow

ACME_CHANNEL, SHARED_CHANNEL, OTHER_CHANNEL = "C0ACME0001", "C0GLOBEX01", "C0RANDOM01"


@pytest.fixture
def slack():
    # Messages from 2026-11-18 on: before the tests' fixed clock.
    with FakeSlack(token="xoxb-test-token", start_ts=1_795_000_000) as fake:
        fake.add_user("U0DANA0001", "dana", real_name="Dana Seller")
        fake.add_user(
            "U0GINA0001", "gina", real_name="Gina Buyer", team_id="T0GLOBEX01", is_stranger=True
        )
        fake.add_channel(ACME_CHANNEL, "acme-account")
        fake.add_channel(SHARED_CHANNEL, "globex-shared", is_ext_shared=True, is_shared=True,
                         connected_team_ids=["T0GLOBEX01"])  # fmt: skip
        fake.add_channel(OTHER_CHANNEL, "random")
        fake.teams["T0GLOBEX01"] = {"id": "T0GLOBEX01", "name": "Globex", "domain": "globex",
                                    "email_domain": "globex.example"}  # fmt: skip
        yield fake


@pytest.fixture
def customers(live):
    summary = live.ingest.add_records(
        [Customer("ACME-1", "Acme Corp", domain="acme.example"),
         Customer("GLOBEX-1", "Globex Industries", domain="globex.example")],
        source="seed",
    )  # fmt: skip
    assert summary.completed
    return live


def _source(tmp_path, slack):
    entry = {"name": "slack-shared", "connector": "slack", "base_url": slack.api_url, "pace": 0,
             "channels": {ACME_CHANNEL: "ACME-1"}}  # fmt: skip
    return write_sources(tmp_path / "sources.yml", entry)


def _moments(live):
    with live.sessions() as s:
        return {m.moment_id: m for m in s.scalars(select(MomentRow))}


def test_people_s_messages_become_moments_and_system_bot_and_c360_posts_do_not(
    tmp_path, slack, customers
):
    live = customers
    ts1 = slack.post_history(ACME_CHANNEL, "U0DANA0001", "Acme wants the renewal quote by Friday")
    slack.post_history(
        ACME_CHANNEL, "U0DANA0001", "<@U0DANA0001> has joined the channel", subtype="channel_join"
    )
    slack.post_history(
        ACME_CHANNEL, None, "Deploy finished", subtype="bot_message", bot_id="B0OTHER01"
    )
    slack.post_history(ACME_CHANNEL, BOT_USER_ID, "Acme Corp brief: ...", bot_id=BOT_ID)
    slack.post_history(
        ACME_CHANNEL, "U0DANA0001", "Logged by c360", metadata={"event_type": "c360_exchange"}
    )
    reply = slack.post_history(ACME_CHANNEL, "U0DANA0001", "Quote sent", thread_ts=ts1)
    slack.post_history(OTHER_CHANNEL, "U0DANA0001", "lunch?")
    g = slack.post_history(
        SHARED_CHANNEL, "U0GINA0001", "Our SSO still loops", user_team="T0GLOBEX01"
    )
    d = slack.post_history(SHARED_CHANNEL, "U0DANA0001", "Looking into it", user_team=TEAM_ID)
    report = live.sync.sync(_source(tmp_path, slack))
    assert report.completed, report.to_dict()
    moments = _moments(live)
    assert set(moments) == {f"slack-{ACME_CHANNEL}-{ts1}", f"slack-{ACME_CHANNEL}-{reply}",
                            f"slack-{SHARED_CHANNEL}-{g}", f"slack-{SHARED_CHANNEL}-{d}"}  # fmt: skip
    first = moments[f"slack-{ACME_CHANNEL}-{ts1}"]
    assert (first.customer_id, first.channel, first.direction, first.author) == (
        "ACME-1",
        "chat",
        "internal",
        "Dana Seller",
    )
    assert (
        first.url == f"https://fake-team.slack.com/archives/{ACME_CHANNEL}/p{ts1.replace('.', '')}"
    )
    assert first.source == "slack-shared"
    gina = moments[f"slack-{SHARED_CHANNEL}-{g}"]
    assert (gina.customer_id, gina.direction) == ("GLOBEX-1", "inbound")  # mapped by domain
    assert moments[f"slack-{SHARED_CHANNEL}-{d}"].direction == "internal"
    assert moments[f"slack-{ACME_CHANNEL}-{reply}"].meta["slack_thread_ts"] == ts1
    assert not slack.calls_to("conversations.history") or all(
        c.args["channel"] != OTHER_CHANNEL for c in slack.calls_to("conversations.history")
    )


def test_the_next_sync_reads_from_oldest_and_pages_by_cursor(tmp_path, slack, customers):
    live = customers
    slack.page_size_cap = 1000
    import connectors.slack as sl

    sl.HISTORY_LIMIT, saved = 2, sl.HISTORY_LIMIT
    try:
        for n in range(5):
            slack.post_history(ACME_CHANNEL, "U0DANA0001", f"message {n}")
        sources = _source(tmp_path, slack)
        first = live.sync.sync(sources).sources[0]
        assert first.summary.counts["moment"]["inserted"] == 5
        pages = [
            c.args.get("cursor")
            for c in slack.calls_to("conversations.history")
            if c.args["channel"] == ACME_CHANNEL
        ]
        assert len(pages) == 3 and pages[0] is None and all(pages[1:])
        newest = max(float(m["ts"]) for m in slack.history[ACME_CHANNEL])
        late = slack.post_history(ACME_CHANNEL, "U0DANA0001", "one more")
        second = live.sync.sync(sources).sources[0]
        assert second.summary.counts["moment"] == {
            "inserted": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
        }
        last_call = [
            c for c in slack.calls_to("conversations.history") if c.args["channel"] == ACME_CHANNEL
        ][-1]
        assert float(last_call.args["oldest"]) == newest
        assert f"slack-{ACME_CHANNEL}-{late}" in _moments(live)
    finally:
        sl.HISTORY_LIMIT = saved


def test_429_on_history_waits_for_retry_after(tmp_path, slack, customers):
    live = customers
    slack.post_history(ACME_CHANNEL, "U0DANA0001", "hello")
    slack.cue_rate_limit("conversations.history", times=1, retry_after=1)
    report = live.sync.sync(_source(tmp_path, slack))
    assert report.completed, report.to_dict()
    calls = slack.calls_to("conversations.history")
    assert calls[1].at - calls[0].at >= 0.95


def test_a_bad_token_fails_the_source_naming_slack_bot_token(tmp_path, slack, customers):
    live = customers
    slack.token = "xoxb-other"
    source = live.sync.sync(_source(tmp_path, slack)).sources[0]
    assert not source.completed
    assert "SLACK_BOT_TOKEN" in source.failure and "invalid_auth" in source.failure


def test_a_captured_message_is_the_same_moment_the_next_sync_reads_unchanged(
    tmp_path, slack, customers
):
    live = customers
    sources = _source(tmp_path, slack)
    live.settings.sources_file = sources
    ts = slack.post_history(ACME_CHANNEL, "U0DANA0001", "Acme signed the renewal today")
    event = {"type": "message", "channel": ACME_CHANNEL, "user": "U0DANA0001", "ts": ts,
             "text": "Acme signed the renewal today", "channel_type": "channel"}  # fmt: skip
    assert live.sync.capture_slack_message(event) == f"slack-{ACME_CHANNEL}-{ts}"
    moment = _moments(live)[f"slack-{ACME_CHANNEL}-{ts}"]
    assert (moment.customer_id, moment.direction, moment.author) == (
        "ACME-1",
        "internal",
        "Dana Seller",
    )
    # Not moments: a join, a bot, a channel no source maps.
    joined = slack.post_history(ACME_CHANNEL, "U0DANA0001", "joined", subtype="channel_join")
    join = dict(event, ts=joined, text="joined", subtype="channel_join")
    assert live.sync.capture_slack_message(join) is None
    assert live.sync.capture_slack_message(dict(event, bot_id="B0OTHER01")) is None
    assert live.sync.capture_slack_message(dict(event, channel=OTHER_CHANNEL)) is None
    result = live.sync.sync(sources).sources[0]
    assert result.summary.counts["moment"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }
