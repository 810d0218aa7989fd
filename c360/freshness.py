"""One rule for in-memory indexes kept fresh against the store: look again at most every
``seconds`` (another process may have written since), one thread at a time, and remember what
was seen last (a watermark: the newest write time, a fingerprint) so that the next look reads
only what changed. The resolver's name index and the brief's field-value index use it; the
look itself (and its session) is the owner's."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class Freshness:
    """The timer, the lock and the watermark of one index. ``check(look)`` runs
    ``look(watermark) -> new watermark`` when due (first use, or ``seconds`` after the last
    look). ``lock`` also guards in-process updates of the index (an ingest listener), so they
    never interleave with a look."""

    def __init__(self, seconds: float, lock: threading.RLock | None = None) -> None:
        self.seconds = seconds
        self.lock = lock or threading.RLock()
        self.watermark: Any = None  # what the last look saw
        self.checked = float("-inf")  # time.monotonic() of the last look

    def due(self) -> bool:
        """Never looked, or looked ``seconds`` or more ago."""
        return time.monotonic() - self.checked >= self.seconds

    def check(self, look: Callable[[Any], Any], force: bool = False) -> bool:
        """Look when due (or ``force``); whether it looked."""
        if not force and not self.due():
            return False
        with self.lock:
            if not force and not self.due():  # another thread looked meanwhile
                return False
            self.watermark = look(self.watermark)
            self.checked = time.monotonic()
        return True

    def expire(self) -> None:
        """The next use looks again (as when the interval has passed)."""
        self.checked = float("-inf")
