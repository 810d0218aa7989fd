"""Proactive posts never put customer content in a channel shared with another organisation
(issue 10). Alerts, escalations, redraws, the backlog digest and the daily at-risk digest ask
the one audience policy (``c360.safety.policy.decide_post``, over the bot's one reading of
``conversations.info``) before posting: a shared channel gets nothing and the outbox row fails at
once with the reason; a channel Slack would not describe gets nothing either (fail closed) and is
retried. Driven through the real worker and SlackNotifier against the strict fake Slack; the
assertions are on what Slack received, the outbox rows and the worker's log."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from ownership_support import (
    ALERTS_CHANNEL,
    AlertSlack,
    make_container,
    moment,
    ownership_settings,
    seed_customers,
)

from c360.domain import Person
from c360.ownership.rules import default_rules_path
from c360.ownership.timers import wait_until_delivered
from c360.ownership.types import alert_id_for
from store import outbox as db_outbox

# Record text that must never reach an outside organisation (and could ping everyone there).
HOSTILE = "<!channel> \x1b[31mWe are furious\x1b[0m, this is terrible and awful. <@U0EVIL>"
SHARED_REASON = (
    f"ChannelWithheld: channel {ALERTS_CHANNEL} is shared with another organisation (Slack "
    "Connect or another workspace): no customer alerts or digests are posted there; point "
    "C360_ALERTS_CHANNEL or the rules file's digests: at an internal channel (waiting alerts "
    "stay on App Home)"
)
OWNER = "U0OWNER1"


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        yield fake


def _raise(container, clock, mid: str, customer: str = "C2") -> str:
    container.ingest.add_records(
        [moment(mid, customer, HOSTILE, clock.now() - timedelta(minutes=5))],
        source="test:moments",
    )
    alert_id = alert_id_for(f"moment:{mid}")
    assert container.ownership.view(alert_id) is not None, "the angry email raises an alert"
    return alert_id


def _rows(container, alert_id: str | None = None) -> dict[str, object]:
    with container.sessions() as session:
        return {m.dedupe_key: m for m in db_outbox.outbox_messages(session, alert_id)}


def _to(slack, channel: str, method: str = "chat.postMessage") -> list:
    return [c for c in slack.calls_to(method) if c.args.get("channel") == channel]


def _shown(call) -> str:
    """Everything a chat call carried, text and blocks, as one string."""
    blocks = call.args.get("blocks")
    return call.args.get("text", "") + (blocks if isinstance(blocks, str) else json.dumps(blocks))


def test_an_alert_for_a_shared_channel_is_not_posted_and_the_row_and_log_say_why(
    tmp_path, embeddings, clock, slack, caplog
):
    slack.channels[ALERTS_CHANNEL].is_ext_shared = True  # Slack Connect with a customer
    slack.channels[ALERTS_CHANNEL].is_shared = True
    container = make_container(ownership_settings(tmp_path, None, slack), embeddings, clock)
    seed_customers(container)
    with caplog.at_level(logging.WARNING, logger="c360.ownership.outbox"):
        alert_id = _raise(container, clock, "m-hostile")
        container.ownership.run_once()

    assert slack.calls_to("chat.postMessage") == [], "nothing about Globex goes to that channel"
    assert [c.args["channel"] for c in slack.calls_to("conversations.info")] == [ALERTS_CHANNEL]
    row = _rows(container, alert_id)[f"post:{alert_id}"]
    assert (row.status, row.last_error) == ("failed", SHARED_REASON)
    assert f"outbox post:{alert_id} not sent (attempt 1): " + SHARED_REASON.split(": ", 1)[
        1
    ] in caplog.text.replace("\n", " ")
    withheld = [e for e in container.ownership.events(alert_id) if e["kind"] == "withheld"]
    assert [e["detail"]["channel"] for e in withheld] == [ALERTS_CHANNEL]

    # The fallback is the documented one: the alert waits, claimable, on everyone's App Home.
    home = container.ownership.home_summary(OWNER)
    assert [w["alert_id"] for w in home["waiting"]] == [alert_id]

    # Given up at once, not retried; its escalation 30 minutes on is withheld the same way.
    clock.advance(minutes=31)
    container.ownership.run_once()
    container.ownership.run_once()
    assert slack.calls_to("chat.postMessage") == []
    escalations = [r for k, r in _rows(container, alert_id).items() if k.startswith("escalate:")]
    assert [(r.status, r.attempts) for r in escalations] == [("failed", 1)]
    assert escalations[0].last_error == SHARED_REASON
    assert container.ownership.pending_messages() == 0


def test_a_channel_shared_after_the_rules_were_written_stops_getting_alerts_and_redraws(
    tmp_path, embeddings, clock, slack
):
    container = make_container(ownership_settings(tmp_path, None, slack), embeddings, clock)
    seed_customers(container)
    first = _raise(container, clock, "m-before")
    assert wait_until_delivered(container.ownership)
    assert len(_to(slack, ALERTS_CHANNEL)) == 1, "an internal channel gets the alert"

    # The channel is then shared with another company's workspace (Enterprise org-wide
    # sharing says so with is_org_shared); the worker's cached answer lasts a minute.
    slack.channels[ALERTS_CHANNEL].is_org_shared = True
    clock.advance(seconds=61)
    second = _raise(container, clock, "m-after", customer="C3")
    container.ownership.run_once()
    assert len(_to(slack, ALERTS_CHANNEL)) == 1, "the new alert is not posted"
    assert _rows(container, second)[f"post:{second}"].status == "failed"

    # Claiming the first alert: its copy in the now shared channel is not redrawn (that would
    # post its customer content afresh), and the new owner still gets the brief in their DM.
    container.ownership.claim(first, Person(OWNER))
    assert wait_until_delivered(container.ownership)
    assert _to(slack, ALERTS_CHANNEL, "chat.update") == []
    dms = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] != ALERTS_CHANNEL]
    assert len(dms) == 1 and "You now own this moment for *Globex*" in dms[0].args["text"]
    assert all(ALERTS_CHANNEL not in _shown(c) for c in dms)
    # conversations.info: the first post, then once more after the minute's cache (the claim's
    # redraw was checked from the cache)
    assert len(slack.calls_to("conversations.info")) == 2


def test_when_slack_will_not_describe_the_channel_nothing_is_posted_until_it_does(
    tmp_path, embeddings, clock, slack
):
    container = make_container(ownership_settings(tmp_path, None, slack), embeddings, clock)
    seed_customers(container)
    slack.cue_error("conversations.info", "internal_error", times=3)
    alert_id = _raise(container, clock, "m-unsure")
    container.ownership.run_once()

    assert slack.calls_to("chat.postMessage") == [], "fail closed: it may be shared"
    row = _rows(container, alert_id)[f"post:{alert_id}"]
    assert row.status == "sending", "not given up: retried after the lease"
    assert row.last_error == (
        f"ChannelWithheld: Slack would not say whether channel {ALERTS_CHANNEL} is shared with "
        "another organisation (conversations.info failed): nothing about customers is posted "
        "there until it does; retried after the lease"
    )
    assert "withheld" not in [e["kind"] for e in container.ownership.events(alert_id)]

    # A failed answer is not cached: once Slack answers (internal), the alert goes out once.
    slack._cues.clear()
    clock.advance(seconds=container.settings.worker_lease_seconds + 1)
    container.ownership.run_once()
    [post] = _to(slack, ALERTS_CHANNEL)
    assert "Globex" in post.args["text"]
    assert "&lt;!channel&gt;" in _shown(post) and "<!channel>" not in _shown(post)
    assert _rows(container, alert_id)[f"post:{alert_id}"].status == "sent"


def test_a_backlog_digest_for_a_shared_channel_is_not_posted(
    tmp_path, embeddings, clock, slack, caplog
):
    slack.channels[ALERTS_CHANNEL].is_pending_ext_shared = True  # invited, not yet accepted
    container = make_container(ownership_settings(tmp_path, None, slack), embeddings, clock)
    seed_customers(container)
    records = [
        moment(f"b{d:02d}", ("C1", "C2", "C3")[d % 3], HOSTILE, clock.now() - timedelta(days=d))
        for d in range(3, 14)
    ]
    container.ingest.add_records(records, source="test:backlog")
    assert len(container.ownership.scan(since_days=60)) == 11
    with caplog.at_level(logging.WARNING, logger="c360.ownership.outbox"):
        container.ownership.run_once()

    assert slack.calls_to("chat.postMessage") == []
    rows = [r for r in _rows(container).values() if r.action == "post_alert"]
    assert len(rows) == 11
    assert {(r.status, r.last_error) for r in rows} == {("failed", SHARED_REASON)}
    assert f"digest of 11 alerts for {ALERTS_CHANNEL} not sent: channel {ALERTS_CHANNEL} is " in (
        caplog.text
    )


DIGEST_CHANNEL = "C0DIGEST01"


def test_the_at_risk_digest_stops_when_its_channel_is_shared_after_the_rules_were_written(
    tmp_path, embeddings, clock, slack
):
    rules = tmp_path / "rules.yml"
    rules.write_text(
        default_rules_path().read_text()
        + f"\ndigests:\n  - channel: {DIGEST_CHANNEL}\n    at: '09:00'\n    tz: Europe/Berlin\n",
        encoding="utf-8",
    )
    slack.add_channel(DIGEST_CHANNEL, "cs-digest")
    container = make_container(
        ownership_settings(tmp_path, None, slack, rules_file=rules), embeddings, clock
    )
    seed_customers(container)
    container.ingest.add_records(
        [moment("m-risk", "C1", "Renewal at risk: they will cancel. " + HOSTILE,
                clock.now() - timedelta(days=2), direction="internal", channel="note")],
        source="test:moments",
    )  # fmt: skip
    container.ownership.run_once()  # 13:00 in Berlin on 23 Nov: the day's digest
    [day1] = _to(slack, DIGEST_CHANNEL)
    assert "Acme Corp" in _shown(day1)

    slack.channels[DIGEST_CHANNEL].is_ext_shared = True
    slack.channels[DIGEST_CHANNEL].is_shared = True
    clock.advance(days=1)
    container.ownership.run_once()
    container.ownership.run_once()
    assert len(_to(slack, DIGEST_CHANNEL)) == 1, "the next day's digest is not posted"
    row = _rows(container)[f"atrisk:{DIGEST_CHANNEL}:2026-11-24"]
    assert row.status == "failed"
    assert row.last_error.startswith(
        f"ChannelWithheld: channel {DIGEST_CHANNEL} is shared with another organisation"
    )
