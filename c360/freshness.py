"""One rule for in-memory indexes kept fresh against the store: look again at most every
``seconds`` (another process may have written since), one thread at a time, and remember what
was seen last (a watermark: the newest write time, a fingerprint) so the next look reads only
what changed. Used by the resolver's name index and the brief's field-value index."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
W = TypeVar("W")


class KeptFresh(Generic[T, W]):
    """A value rebuilt or brought up to date by ``load(current, watermark) -> (value,
    watermark)``: on first use, then on a use ``seconds`` or more after the last look.
    ``load`` does the reading (the owner opens the session); ``lock`` also guards in-process
    updates of the value (an ingest listener), so they never interleave with a look."""

    def __init__(
        self,
        load: Callable[[T | None, W | None], tuple[T, W | None]],
        seconds: float,
        lock: threading.RLock | None = None,
    ) -> None:
        self._load = load
        self.seconds = seconds
        self.lock = lock or threading.RLock()
        self.value: T | None = None  # as last loaded, without looking again
        self.watermark: W | None = None
        self.checked = 0.0  # time.monotonic() of the last look

    def _due(self) -> bool:
        return self.value is None or time.monotonic() - self.checked >= self.seconds

    def get(self, force: bool = False) -> T:
        """The value, after looking at the store again when it is due (or ``force``)."""
        if force or self._due():
            with self.lock:
                if force or self._due():  # another thread may have looked meanwhile
                    self.value, self.watermark = self._load(self.value, self.watermark)
                    self.checked = time.monotonic()
        assert self.value is not None
        return self.value

    def expire(self) -> None:
        """Make the next use look again (as if the interval had passed)."""
        self.checked = float("-inf")
