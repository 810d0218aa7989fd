"""Slack permalinks (chat.getPermalink, paced, asked once per message) and live capture's
sources file (read again only when it changed)."""

from __future__ import annotations

import os

import pytest
import yaml
from fake_slack import FakeSlack
from sources_testkit import write_sources
from sqlalchemy import select

from c360.domain import Customer
from store.models import MomentRow

ACME, GLOBEX = "C0ACME0001", "C0GLOBEX01"


@pytest.fixture
def slack():
    with FakeSlack(token="xoxb-test-token", start_ts=1_795_000_000) as fake:
        fake.add_user("U0DANA0001", "dana", real_name="Dana Seller")
        fake.add_channel(ACME, "acme-account")
        fake.add_channel(GLOBEX, "globex-account")
        yield fake


@pytest.fixture
def live(live):
    live.ingest.add_records(
        [Customer("ACME-1", "Acme Corp"), Customer("GLOBEX-1", "Globex Industries")], source="seed"
    )
    return live


def _source(tmp_path, slack, channels=None, **extra):
    entry = {"name": "slack-shared", "connector": "slack", "base_url": slack.api_url,
             "channels": channels or {ACME: "ACME-1"}} | extra  # fmt: skip
    return write_sources(tmp_path / "sources.yml", entry)


def _urls(live):
    with live.sessions() as s:
        return {m.moment_id: m.url for m in s.scalars(select(MomentRow))}


def _link(channel, ts, thread=None):
    link = f"https://fake-team.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return link + (f"?thread_ts={thread}&cid={channel}" if thread else "")


def test_each_message_links_to_its_permalink_asked_once_and_paced_as_its_tier(
    tmp_path, slack, live
):
    parent = slack.post_history(ACME, "U0DANA0001", "Renewal quote due Friday")
    reply = slack.post_history(ACME, "U0DANA0001", "Quote sent <!channel>", thread_ts=parent)
    sources = _source(tmp_path, slack)  # no pace: each method at its tier's pace
    report = live.sync.sync(sources)
    assert report.completed, report.to_dict()
    assert _urls(live) == {
        f"slack-{ACME}-{parent}": _link(ACME, parent),
        f"slack-{ACME}-{reply}": _link(ACME, reply, thread=parent),  # opens its thread
    }
    asked = slack.calls_to("chat.getPermalink")
    assert sorted(c.args["message_ts"] for c in asked) == sorted([parent, reply])
    assert asked[1].at - asked[0].at >= 0.55  # chat.getPermalink at 100 a minute
    # A later message: only it is asked for; the rest are neither read nor asked again.
    late = slack.post_history(ACME, "U0DANA0001", "Signed!")
    assert live.sync.sync(sources).completed
    assert [c.args["message_ts"] for c in slack.calls_to("chat.getPermalink")[2:]] == [late]
    # --full reads everything again and takes the stored links: Slack is not asked again.
    assert live.sync.sync(sources, full=True).completed
    assert len(slack.calls_to("chat.getPermalink")) == 3
    # The citation opens the message.
    from c360.domain import Asker

    brief = live.briefs.brief("Acme Corp", Asker(id="U1", name="Dana", channel="cli"), log=False)
    cited = {c["record_id"]: c for c in brief.to_dict()["citations"]}
    assert cited[f"moment:slack-{ACME}-{late}"]["url"] == _link(ACME, late)


def test_a_rate_limited_permalink_waits_and_a_failed_one_leaves_the_moment_without_a_link(
    tmp_path, slack, live
):
    first = slack.post_history(ACME, "U0DANA0001", "first")
    second = slack.post_history(ACME, "U0DANA0001", "second")
    slack.cue_rate_limit("chat.getPermalink", times=1, retry_after=1)
    slack.cue_error("chat.getPermalink", error="message_not_found", times=1)
    report = live.sync.sync(_source(tmp_path, slack, pace=0))
    assert report.completed, report.to_dict()
    calls = slack.calls_to("chat.getPermalink")
    assert calls[1].at - calls[0].at >= 0.95  # waited as Retry-After said
    # The retried call got message_not_found: that moment is kept without a link.
    failed = calls[1].args["message_ts"]
    ok = first if failed == second else second
    assert _urls(live) == {f"slack-{ACME}-{failed}": None, f"slack-{ACME}-{ok}": _link(ACME, ok)}


def test_live_capture_reads_the_sources_file_again_only_when_it_changed(
    tmp_path, slack, live, monkeypatch
):
    import connectors.sql

    sources = _source(tmp_path, slack, pace=0)
    live.settings.sources_file = sources
    reads = []
    real = connectors.sql.load_sources
    monkeypatch.setattr(connectors.sql, "load_sources", lambda p: reads.append(p) or real(p))

    def capture(channel, text):
        ts = slack.post_history(channel, "U0DANA0001", text)
        event = {"type": "message", "channel": channel, "user": "U0DANA0001", "ts": ts,
                 "text": text, "channel_type": "channel"}  # fmt: skip
        return live.sync.capture_slack_message(event)

    captured = [capture(ACME, f"message {n}") for n in range(3)]
    assert all(captured) and len(reads) == 1
    assert capture(GLOBEX, "not mapped yet") is None and len(reads) == 1
    assert len(slack.calls_to("chat.getPermalink")) == 3  # one per captured message
    # The file changes: Globex's channel is mapped now, read at the next message.
    data = yaml.safe_load(sources.read_text())
    data["sources"][0]["channels"][GLOBEX] = "GLOBEX-1"
    sources.write_text(yaml.safe_dump(data))
    stat = sources.stat()
    os.utime(sources, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    moment = capture(GLOBEX, "Globex wants a demo")
    assert moment and len(reads) == 2
    with live.sessions() as s:
        assert s.get(MomentRow, moment).customer_id == "GLOBEX-1"
    # The next sync finds the captured messages stored with their links: Slack is not asked.
    asked = len(slack.calls_to("chat.getPermalink"))
    assert live.sync.sync(sources).completed
    assert len(slack.calls_to("chat.getPermalink")) == asked + 1  # only "not mapped yet"
