"""c360/freshness.py (in-memory indexes kept fresh against the store): an index looks at the
store on first use, then at most once per interval, one thread at a time, handing each look the
watermark the previous one returned."""

from __future__ import annotations

import threading
import time

from c360.freshness import Freshness


def test_the_first_use_looks_then_not_again_within_the_interval():
    fresh, seen = Freshness(3600), []
    assert fresh.check(lambda mark: seen.append(mark) or "w1")
    assert not fresh.check(lambda mark: seen.append(mark) or "w2")
    assert seen == [None] and fresh.watermark == "w1"


def test_a_look_gets_the_previous_watermark_once_due_or_forced():
    fresh, seen = Freshness(3600), []
    fresh.check(lambda mark: "2026-01-01")
    fresh.expire()  # the interval passes
    assert fresh.check(lambda mark: seen.append(mark) or "2026-02-01")
    assert fresh.check(lambda mark: seen.append(mark) or "2026-03-01", force=True)
    assert seen == ["2026-01-01", "2026-02-01"] and fresh.watermark == "2026-03-01"


def test_a_zero_interval_looks_every_time():
    fresh = Freshness(0)
    assert all(fresh.check(lambda mark: (mark or 0) + 1) for _ in range(3))
    assert fresh.watermark == 3


def test_threads_arriving_together_look_once():
    fresh, looks, start = Freshness(3600), [], threading.Barrier(8)

    def look(mark):
        looks.append(mark)
        time.sleep(0.05)  # the others arrive while this look holds the lock
        return "done"

    def use():
        start.wait()
        fresh.check(look)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert looks == [None] and fresh.watermark == "done"
