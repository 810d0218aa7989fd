"""The daily digest of at-risk accounts (issue 10): scheduled per channel in the rules file
(``digests:``), queued by ``c360 worker``'s pass once the channel's local time has come, sent
once per channel per day, across restarts; each account with why (quoted, cited by label and
link) and a View brief button. Delivered to the strict fake Slack; the store is SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ownership_support import (
    ALERTS_CHANNEL,
    AlertSlack,
    make_container,
    moment,
    ownership_settings,
    seed_customers,
)

from bot import blocks
from bot.alert_blocks import render_text
from c360.clock import FixedClock
from c360.ownership.rules import RulesError, default_rules_path, load_rules

DIGEST_CHANNEL = "C0DIGEST01"
# 07:30 UTC on Monday 23 Nov is 08:30 in Berlin: the 09:00 digest is not due yet.
EARLY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
URL = "https://crm.example/notes/1?a=1&b=2"


def rules_file(tmp_path: Path, digests: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(default_rules_path().read_text() + "\n" + digests, encoding="utf-8")
    return path


DIGESTS = f"""
digests:
  - channel: {DIGEST_CHANNEL}
    at: 09:00
    tz: Europe/Berlin
"""


@pytest.fixture
def clock():
    return FixedClock(EARLY)


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        fake.add_channel(DIGEST_CHANNEL, "cs-digest")
        yield fake


def container_for(tmp_path, embeddings, clock, slack):
    settings = ownership_settings(tmp_path, None, slack, rules_file=rules_file(tmp_path, DIGESTS))
    return make_container(settings, embeddings, clock)


def seed(container, now: datetime) -> None:
    seed_customers(container)
    container.ingest.add_records(
        [
            moment(
                "m-risk", "C1",
                "<!channel> Renewal at risk: their CFO says they will cancel unless the outage is fixed.",
                now - timedelta(days=3), direction="internal", channel="note", author="Dana", url=URL,
            ),
            moment("m-praise", "C2", "Great call, they love the product.", now - timedelta(days=2)),
            moment(
                "m-angry", "C3", "This is terrible, your service is awful and I am furious.",
                now - timedelta(hours=30),
            ),
            moment("m-old", "C2", "We will cancel, this is unacceptable.", now - timedelta(days=40)),
        ],
        source="test:moments",
    )  # fmt: skip


def digests_posted(slack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == DIGEST_CHANNEL]


def test_the_rules_file_schedules_a_digest_per_channel_and_names_the_line_of_a_mistake(tmp_path):
    [schedule] = load_rules(rules_file(tmp_path, DIGESTS)).digests
    assert (schedule.channel, schedule.at.isoformat(), schedule.tz) == (
        DIGEST_CHANNEL,
        "09:00:00",  # written unquoted: YAML reads 09:00 as 540 minutes, taken as the time
        "Europe/Berlin",
    )
    assert (schedule.days, schedule.limit) == (14, 10)
    bad = rules_file(tmp_path, "digests:\n  - channel: C0DIGEST01\n    tz: Mars/Olympus\n")
    with pytest.raises(RulesError) as err:
        load_rules(bad)
    line = len(default_rules_path().read_text().splitlines()) + 3
    assert str(err.value) == (
        f"{bad}:{line}: digest: `tz` must be an IANA zone like Europe/Berlin, got 'Mars/Olympus'"
    )
    twice = rules_file(tmp_path, "digests:\n  - channel: C0D1\n  - channel: C0D1\n")
    with pytest.raises(RulesError, match="listed twice"):
        load_rules(twice)
    with pytest.raises(RulesError, match="`channel` must be a Slack channel id"):
        load_rules(rules_file(tmp_path, "digests:\n  - channel: general\n"))


def test_the_worker_posts_the_digest_once_a_day_after_its_local_time_even_across_a_restart(
    tmp_path, embeddings, clock, slack
):
    container = container_for(tmp_path, embeddings, clock, slack)
    seed(container, clock.now())
    container.ownership.run_once()
    assert digests_posted(slack) == [], "08:30 in Berlin: not yet"
    assert any(c.args["channel"] == ALERTS_CHANNEL for c in slack.calls_to("chat.postMessage"))

    clock.advance(minutes=35)  # 09:05 in Berlin
    container.ownership.run_once()
    container.ownership.run_once()
    [digest] = digests_posted(slack)
    shown = render_text(digest.args["blocks"])
    assert shown == (
        ":warning: *At-risk accounts, 23 Nov: 2 accounts with a risk signal in the last 14 days.*\n"
        "*Acme Corp*\n"
        "• At risk, 3 days ago: “&lt;!channel&gt; Renewal at risk: their CFO says they will cancel "
        "unless the outage is fixed.” _(<https://crm.example/notes/1?a=1&amp;b=2|Note by Dana, 20 Nov>)_\n"
        "*Initech*\n"
        "• At risk, yesterday: “This is terrible, your service is awful and I am furious.” "
        "_(Email, 22 Nov)_\n"
        "• 1 moment waiting for an owner\n"
        "  Sources: `moment:m-risk` `moment:m-angry`\n"
        "  Weightiest signal first: risk of churn or non-renewal, escalations, unhappy tone, "
        "money at stake, recent before old. View brief opens the account privately."
    )
    assert digest.args["text"] == (
        "At-risk accounts, 23 Nov: 2 accounts with a risk signal in the last 14 days."
    )
    # each account carries the alerts' View brief button, for its own customer
    buttons = [b["accessory"] for b in digest.args["blocks"] if b.get("accessory")]
    assert [b["text"]["text"] for b in buttons] == ["View brief", "View brief"]
    assert [json.loads(b["value"])["c"] for b in buttons] == ["C1", "C3"]
    assert {b["action_id"] for b in buttons} == {blocks.ACTION_FULL_BRIEF}
    assert "Globex" not in shown, "praise, and a risk older than 14 days, are not risk signals"
    meta = digest.args["metadata"]
    meta = json.loads(meta) if isinstance(meta, str) else meta
    assert meta["event_payload"]["dedupe_key"] == f"atrisk:{DIGEST_CHANNEL}:2026-11-23"

    # a restart (a new container on the same store) later that day posts nothing again
    clock.advance(hours=5)
    restarted = container_for(tmp_path, embeddings, clock, slack)
    restarted.ownership.run_once()
    assert len(digests_posted(slack)) == 1

    # the next morning: the next day's digest
    clock.advance(hours=19)  # 08:05 UTC on 24 Nov, 09:05 in Berlin
    restarted.ownership.run_once()
    assert len(digests_posted(slack)) == 2
    assert digests_posted(slack)[1].args["text"].startswith("At-risk accounts, 24 Nov: ")


def test_a_failed_post_is_retried_and_still_posted_once(tmp_path, embeddings, clock, slack):
    container = container_for(tmp_path, embeddings, clock, slack)
    seed(container, clock.now())
    clock.advance(minutes=35)
    slack.cue_error("chat.postMessage", "internal_error", times=50)  # Slack says no
    container.ownership.run_once()
    assert digests_posted(slack) and DIGEST_CHANNEL not in slack.messages
    slack._cues.clear()
    clock.advance(seconds=container.settings.worker_lease_seconds + 1)
    container.ownership.run_once()
    container.ownership.run_once()
    [posted] = slack.messages[DIGEST_CHANNEL]  # in the channel once
    assert posted["text"].startswith("At-risk accounts, 23 Nov: 2 accounts")
    assert (
        posted["metadata"]["event_payload"]["dedupe_key"] == f"atrisk:{DIGEST_CHANNEL}:2026-11-23"
    )
    assert container.ownership.pending_messages() == 0


def test_a_quiet_day_says_so_plainly(tmp_path, embeddings, clock, slack):
    container = container_for(tmp_path, embeddings, clock, slack)
    seed_customers(container)
    clock.advance(minutes=35)
    container.ownership.run_once()
    [digest] = digests_posted(slack)
    assert render_text(digest.args["blocks"]) == (
        ":warning: *At-risk accounts, 23 Nov: none with a risk signal in the last 14 days.*"
    )
