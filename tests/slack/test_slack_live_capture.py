"""Live capture (issue 11): a signed `message` event in a channel a slack source maps becomes a
moment the next /customer brief cites, and the next `c360 sync` of that channel finds the same
moment unchanged (deduplicated by ts), never a second one."""

from __future__ import annotations

import time

import pytest
import yaml
from fake_slack import FakeSlack
from slack_testkit import ALICE, GENERAL, all_text
from sqlalchemy import select

from store.models import MomentRow

TS = "1795410000.000100"  # 2026-11-23 01:00 UTC: before the tests' fixed clock (12:00)
TEXT = "Globex says the SSO rollout slipped to January"


@pytest.fixture
def capture_sources(settings, tmp_path, fake_slack: FakeSlack):
    """A sources file mapping #general to Globex, set before the app is built."""
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": [{
        "name": "slack-shared", "connector": "slack", "base_url": fake_slack.api_url,
        "pace": 0, "channels": {GENERAL: "globex-1"},
    }]}))  # fmt: skip
    settings.sources_file = path
    return path


def response_text(body: dict) -> str:
    return (body.get("text") or "") + "\n" + all_text(body.get("blocks") or [])


def _moments(container):
    with container.sessions() as s:
        return list(s.scalars(select(MomentRow).where(MomentRow.moment_id.like("slack-%"))))


def test_a_message_in_a_mapped_channel_is_cited_by_the_next_brief_and_not_duplicated_by_sync(
    capture_sources, slack, fake_slack, seeded
):
    event = {"type": "message", "channel_type": "channel", "user": ALICE, "text": TEXT,
             "ts": TS, "channel": GENERAL}  # fmt: skip
    status, _, _ = slack.event(event)
    assert status == 200
    deadline = time.monotonic() + 15
    while not _moments(seeded) and time.monotonic() < deadline:
        time.sleep(0.1)
    [moment] = _moments(seeded)
    assert moment.moment_id == f"slack-{GENERAL}-{TS}" and moment.customer_id == "globex-1"
    assert (moment.author, moment.channel, moment.direction) == ("Alice Archer", "chat", "internal")
    assert moment.url == f"https://fake-team.slack.com/archives/{GENERAL}/p{TS.replace('.', '')}"

    _, _, _, key = slack.command("/customer", "what did Globex say about SSO?")
    [answer] = fake_slack.wait_for_response(key)
    assert "SSO rollout slipped to January" in response_text(answer)

    fake_slack.post_history(GENERAL, ALICE, TEXT, ts=TS)
    result = seeded.sync.sync(capture_sources).sources[0]
    assert result.completed, result.to_dict()
    assert result.summary.counts["moment"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }
    assert len(_moments(seeded)) == 1
