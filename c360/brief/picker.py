"""The customer picker's typeahead (``find_customers``): prefixes of names, aliases, ids and
domains (``retrieval.typeahead``), then the resolver's own name matches (typos, acronyms).

The prefix index is rebuilt from the store when customers changed: at once after an ingest in
this process (``invalidate``), and within ``REFRESH_SECONDS`` after another process's, by the
same cheap fingerprint the resolver checks (count and newest update)."""

from __future__ import annotations

from c360.freshness import Freshness
from retrieval.decision import Candidate
from retrieval.typeahead import PrefixIndex
from store import queries as Q

REFRESH_SECONDS = 10.0


class CustomerPicker:
    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self._index: PrefixIndex | None = None
        # The timer, lock and watermark (the customers' fingerprint) of the prefix index.
        self._freshness = Freshness(REFRESH_SECONDS)

    def invalidate(self) -> None:
        with self._freshness.lock:
            self._freshness.expire()
            self._freshness.watermark = None  # whatever the fingerprint, rebuild

    def _look(self, seen: tuple | None) -> tuple:
        with self.sessions() as session:
            fingerprint = Q.customers_fingerprint(session)
            if self._index is None or fingerprint != seen:
                self._index = PrefixIndex.build(Q.customer_name_rows(session))
        return fingerprint

    def index(self) -> PrefixIndex:
        self._freshness.check(self._look)
        assert self._index is not None
        return self._index

    def find(self, text: str, limit: int, more: list[Candidate]) -> list[Candidate]:
        """Prefix matches first, then ``more`` (the resolver's matches) not already listed."""
        found = self.index().search(text, limit)
        seen = {c.customer_id for c in found}
        found += [c for c in more if c.customer_id not in seen]
        return found[:limit]
