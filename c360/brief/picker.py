"""The customer picker's typeahead (``find_customers``): prefixes of names, aliases, ids and
domains (``retrieval.typeahead``), then the resolver's own name matches (typos, acronyms).

The prefix index is rebuilt from the store when customers changed: at once after an ingest in
this process (``invalidate``), and within ``REFRESH_SECONDS`` after another process's, by the
same cheap fingerprint the resolver checks (count and newest update)."""

from __future__ import annotations

import threading
import time

from retrieval.decision import Candidate
from retrieval.typeahead import PrefixIndex
from store import queries as Q

REFRESH_SECONDS = 10.0


class CustomerPicker:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self._index: PrefixIndex | None = None
        self._fingerprint: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0
            self._fingerprint = None

    def index(self) -> PrefixIndex:
        with self._lock:
            now = time.monotonic()
            if self._index is not None and now - self._checked < REFRESH_SECONDS:
                return self._index
            with self.sessions() as session:
                fingerprint = Q.customers_fingerprint(session)
                if self._index is None or fingerprint != self._fingerprint:
                    self._index = PrefixIndex.build(Q.customer_name_rows(session))
                    self._fingerprint = fingerprint
            self._checked = now
            return self._index

    def find(self, text: str, limit: int, more: list[Candidate]) -> list[Candidate]:
        """Prefix matches first, then ``more`` (the resolver's matches) not already listed."""
        found = self.index().search(text, limit)
        seen = {c.customer_id for c in found}
        found += [c for c in more if c.customer_id not in seen]
        return found[:limit]
