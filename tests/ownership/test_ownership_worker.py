"""The worker: no lost and no duplicate Slack messages when a worker dies between sending and
marking, when it is killed (SIGKILL, a real `c360 worker` process) and restarted, or when two
workers run at once. Counts are the fake Slack server's recorded chat.postMessage calls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
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

from bot.notifier import SlackNotifier
from c360.domain import Person
from c360.ownership.timers import wait_until_delivered

ANGRY = "This is terrible, your service is awful and I am furious."


@pytest.fixture
def slack():
    with AlertSlack() as fake:
        yield fake


def _raise_alerts(container, clock, n: int) -> list[str]:
    records = [
        moment(
            f"m{i:03d}",
            ("C2", "C3")[i % 2],
            f"{ANGRY} (ticket {i})",
            clock.now() - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    container.ingest.add_records(records, source="test:burst")
    alerts = container.ownership.alerts()
    assert len(alerts) == n
    return [a.alert_id for a in alerts]


class Crash(BaseException):
    """The process dies: not an Exception, so nothing in the worker catches it."""


class DiesAfterSlackAccepts(SlackNotifier):
    """A real SlackNotifier whose process dies right after Slack took the Nth post."""

    def __init__(self, client, die_on: int) -> None:
        super().__init__(client)
        self.posts = 0
        self.die_on = die_on

    def post_alert(self, *args, **kwargs):
        result = super().post_alert(*args, **kwargs)
        self.posts += 1
        if self.posts == self.die_on:
            raise Crash()
        return result


@pytest.mark.postgres
def test_a_worker_dying_between_send_and_mark_loses_and_duplicates_nothing(
    tmp_path, pg_url, embeddings, clock, slack
):
    settings = ownership_settings(tmp_path, pg_url, slack)
    first = make_container(settings, embeddings, clock)
    seed_customers(first)
    alert_ids = _raise_alerts(first, clock, 5)
    dying = DiesAfterSlackAccepts(first.notifier.client, die_on=3)
    first.__dict__["notifier"] = dying
    first.ownership._notifier = dying
    with pytest.raises(Crash):
        first.ownership.run_once()
    first.engine.dispose()
    assert len(slack.posted_keys()) == 3  # the third is in Slack but was never marked

    clock.advance(seconds=settings.worker_lease_seconds + 1)  # its lease runs out
    second = make_container(settings, embeddings, clock)
    assert wait_until_delivered(second.ownership)
    assert sorted(slack.posted_keys()) == sorted(f"post:{a}" for a in alert_ids)
    assert slack.duplicate_keys() == {}
    # The dead worker held posts 3-5 (one leased batch); for each the store cannot tell whether it
    # reached Slack, so each is looked up once before sending. Posts 1-2 were marked: no lookup.
    assert len(slack.calls_to("conversations.history")) == 3
    # the recovered row knows its Slack message, so a claim updates it
    third_key = slack.posted_keys()[2]
    second.ownership.claim(third_key.split(":", 1)[1], Person("U0OWN"))
    assert slack.calls_to("chat.update")[-1].args["ts"] == slack.messages[ALERTS_CHANNEL][2]["ts"]


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_workers_at_once_never_send_a_message_twice(
    db, request, tmp_path, embeddings, clock, slack
):
    # PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: conditional lease UPDATEs (no row locks there).
    url = request.getfixturevalue("pg_url") if db == "postgres" else None
    # one message per alert: the backlog digest (test_ownership_digest.py) is off here
    settings = ownership_settings(tmp_path, url, slack, alert_digest_over=0)
    setup = make_container(settings, embeddings, clock)
    seed_customers(setup)
    alert_ids = _raise_alerts(setup, clock, 30)
    workers = [make_container(settings, embeddings, clock) for _ in range(2)]
    for i, w in enumerate(workers):
        w.ownership.worker_id = f"worker-{i}"

    def run_both() -> None:
        barrier = threading.Barrier(2)

        def loop(container) -> None:
            barrier.wait()
            for _ in range(40):
                container.ownership.run_once(limit=3)  # small batches: the two interleave

        threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    run_both()
    assert sorted(slack.posted_keys()) == sorted(f"post:{a}" for a in alert_ids)
    clock.advance(minutes=31)  # every alert's escalation is due at the same moment
    run_both()
    escalations = [k for k in slack.posted_keys() if k.startswith("escalate:")]
    assert len(escalations) == 30 and slack.duplicate_keys() == {}
    senders = {
        e["detail"]["key"].split(":")[0]
        for a in alert_ids
        for e in setup.ownership.events(a)
        if e["kind"] == "posted"
    }
    assert senders == {"post"}
    assert setup.ownership.pending_messages() == 0


def _worker_process(settings, slack, env_extra=None) -> subprocess.Popen:
    env = {
        **os.environ,
        "C360_DATA_DIR": str(settings.data_dir),
        "C360_DATABASE_URL": settings.database_url,
        "C360_ALERTS_CHANNEL": ALERTS_CHANNEL,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.api_url,
        "C360_WORKER_POLL_SECONDS": "0.1",
        "C360_WORKER_LEASE_SECONDS": "2",
        "C360_ESCALATE_AFTER_MINUTES": str(settings.escalate_after_minutes),
        "C360_ALERT_DIGEST_OVER": str(settings.alert_digest_over),
        **(env_extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "c360.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.postgres
def test_a_worker_process_killed_mid_run_and_restarted_loses_and_duplicates_nothing(
    tmp_path, pg_url, embeddings, clock, slack
):
    # The alerts are dated by the test clock, hours before the wall clock the worker process
    # runs on: a long escalation delay keeps re-posts out, so only first posts are counted.
    settings = ownership_settings(
        tmp_path, pg_url, slack, escalate_after_minutes=100_000, alert_digest_over=0
    )
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    alert_ids = _raise_alerts(container, clock, 8)
    expected = sorted(f"post:{a}" for a in alert_ids)

    slack.hold_post(4)  # Slack accepts the 4th post, and the worker never hears back
    first = _worker_process(settings, slack)
    try:
        assert slack.wait_held(30), "the worker never reached the 4th post"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        slack.release_held()
    assert first.returncode == -signal.SIGKILL
    assert len(slack.posted_keys()) == 4

    second = _worker_process(settings, slack)
    try:
        slack.wait_for(
            lambda s: len(s.posted_keys()) >= len(expected), timeout=30, what="all alerts posted"
        )
        deadline = time.monotonic() + 15
        while container.ownership.pending_messages() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=15)
    assert container.ownership.pending_messages() == 0
    assert sorted(slack.posted_keys()) == expected, out
    assert slack.duplicate_keys() == {}
    assert second.returncode == 0, out


def test_a_post_slack_refuses_is_retried_after_its_lease_and_lands_once(
    tmp_path, embeddings, clock, slack
):
    settings = ownership_settings(tmp_path, None, slack)
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    _raise_alerts(container, clock, 1)
    slack.cue_error("chat.postMessage", "internal_error")
    assert container.ownership.run_once()["sent"] == 0
    assert container.ownership.run_once()["sent"] == 0, "not before the lease runs out"
    clock.advance(seconds=settings.worker_lease_seconds + 1)
    assert container.ownership.run_once()["sent"] == 1
    assert len(slack.calls_to("chat.postMessage")) == 2  # the refused call, then the retry
    assert len(slack.messages[ALERTS_CHANNEL]) == 1
    assert container.ownership.pending_messages() == 0
