"""Acks before answers: the answering threads run at a lower CPU priority than the request
threads, and nothing in the ack path waits for them (issue 14, bench/bench_slack.py).

The slow part is real: the brief service behind the app spends real CPU (pure Python, holding
the GIL as retrieval's Python parts do) before the real brief, injected through the container.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import make_server

import pytest
from slack_testkit import (
    DM_ALICE,
    SIGNING_SECRET,
    SlackSender,
    _QuietHandler,
    _ThreadingWSGIServer,
)

from bot import wording

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="thread priorities are set per thread on Linux"
)

NICE = 7
SLACK_ACK_LIMIT = 3.0  # seconds: Slack shows the user an error after that


def priority(native_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, native_id)


class CpuBoundBriefs:
    """The real brief service behind a question path that first burns ``cpu_seconds`` of CPU
    in the answering thread, and notes which thread answered and at what priority."""

    def __init__(self, real, cpu_seconds: float) -> None:
        self.real, self.cpu_seconds = real, cpu_seconds
        self.answered_by: list[tuple[int, int]] = []  # (native thread id, its nice value)
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def _burn(self) -> None:
        tid = threading.get_native_id()
        with self._lock:
            self.answered_by.append((tid, priority(tid)))
        end = time.thread_time() + self.cpu_seconds
        while time.thread_time() < end:
            sum(range(2000))

    def brief(self, *args, **kwargs):
        self._burn()
        return self.real.brief(*args, **kwargs)

    def ask(self, *args, **kwargs):
        self._burn()
        return self.real.ask(*args, **kwargs)


@pytest.fixture
def served(seeded, fake_slack, settings):
    """The real app built as `c360 serve` builds it (its work pool from the settings: 2 answering
    threads at nice +NICE, 4 waiting), over the CPU-bound brief service, on real HTTP."""
    from bot.app import build_app
    from bot.http import SlackWSGI

    settings.slack_work_threads, settings.slack_work_queue = 2, 4
    settings.slack_work_nice = NICE
    seeded.limit_model_threads(settings.slack_model_threads)  # as `c360 serve` does
    slow = CpuBoundBriefs(seeded.briefs, cpu_seconds=0.8)
    seeded.__dict__["briefs"] = slow
    app = build_app(seeded)
    ack_priorities: list[int] = []

    @app.middleware
    def note_the_ack_thread(next):  # noqa: A002 - Bolt's name
        ack_priorities.append(priority(threading.get_native_id()))
        return next()

    server = make_server(
        "127.0.0.1", 0, SlackWSGI(app, SIGNING_SECRET), _ThreadingWSGIServer, _QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    sender = SlackSender(f"http://127.0.0.1:{server.server_address[1]}", fake_slack)
    try:
        yield sender, app, slow, ack_priorities
    finally:
        server.shutdown()
        server.server_close()
        app.c360.close()


def test_answers_run_at_the_lower_priority_and_acks_at_the_normal_one(served, fake_slack):
    sender, app, slow, ack_priorities = served
    base = priority(threading.get_native_id())
    status, _, _, key = sender.command("/customer", "what did Globex say about the renewal?")
    assert status == 200
    [answer] = fake_slack.wait_for_response(key, timeout=60)
    assert "Globex Industries" in (answer.get("text") or str(answer.get("blocks")))

    # The thread that answered (and ran the query's forward pass: one intra-op thread, so in
    # the calling thread) ran NICE steps lower, read inside it and again from outside by its id.
    [(tid, seen)] = slow.answered_by
    assert tid != threading.get_native_id()
    assert seen == min(19, base + NICE)
    assert priority(tid) == min(19, base + NICE)  # the pool thread is still alive
    assert app.c360.status()["work_pool"]["nice"] == NICE
    # Only that thread: the request thread that acked and this process's main thread did not move.
    assert ack_priorities == [base]
    assert priority(threading.get_native_id()) == base
    assert priority(os.getpid()) == base


def test_acks_return_within_slacks_3_s_while_every_answer_thread_is_busy(served, fake_slack):
    sender, app, slow, _ = served
    first = [sender.command("/customer", "Globex") for _ in range(2)]  # both threads burn CPU
    fake_slack.wait_for(lambda s: len(slow.answered_by) == 2, timeout=30, what="2 busy threads")
    with ThreadPoolExecutor(max_workers=8) as senders:
        more = list(senders.map(lambda _: sender.command("/customer", "Globex"), range(8)))
    results = first + more
    acks = [elapsed for status, _, elapsed, _ in results if status == 200]
    assert len(acks) == 10, [status for status, *_ in results]
    assert max(acks) < SLACK_ACK_LIMIT and statistics.median(acks) < 1.0, acks
    # 2 answering + 4 waiting were taken; the other 4 were told at once, in the ack itself.
    texts = [data.decode() for _, data, _, _ in more]
    busy = [t for t in texts if wording.BUSY in t]
    assert len(busy) == 4, texts
    accepted = [key for _, data, _, key in results if wording.BUSY not in data.decode()]
    assert len(accepted) == 6
    for key in accepted:
        [answer] = fake_slack.wait_for_response(key, timeout=60)
        assert "Globex Industries" in (answer.get("text") or str(answer.get("blocks")))
    assert app.c360.status()["work_pool"]["rejected"] == 4


def test_a_full_pool_tells_a_dm_it_is_busy_without_holding_up_the_ack(served, fake_slack):
    sender, app, slow, _ = served
    for _ in range(6):  # 2 answering + 4 waiting: the pool is full
        status, *_ = sender.command("/customer", "Globex")
        assert status == 200
    # Slack rate-limits the notice: the client waits 2 s (Retry-After) and sends it again.
    fake_slack.cue_rate_limit("chat.postMessage", times=1, retry_after=2)
    (status, _, elapsed), _event = sender.dm("What is new with Globex?")
    assert status == 200
    assert elapsed < 1.5, elapsed  # the notice's 2 s wait is not in the ack
    refused, delivered = fake_slack.wait_for(
        lambda s: (
            (
                found := [
                    c for c in s.calls_to("chat.postMessage") if c.args.get("text") == wording.BUSY
                ]
            )
            and len(found) >= 2
            and found
        ),
        timeout=20,
        what="the busy notice, refused once and sent again",
    )
    assert delivered.args["channel"] == DM_ALICE
    assert delivered.at - refused.at >= 1.9  # the notice waited out Retry-After; the ack did not
