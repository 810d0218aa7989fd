"""Which customer is a question about? The name index, kept fresh, plus description search.

The name index (``retrieval.name_index``) is built from the store's narrow name columns and
refreshed when customers change: in-process through the ingest listener, across processes
through a throttled fingerprint check (count and newest update time). Retrieval never opens a
session: the caller passes one to ``refresh`` (when ``stale``) and ``customers_changed``.

Modules: ``names`` (word lists, normalisation), ``name_index`` (matching), ``decision`` (the
decision rule and its explanation), this one (freshness and the vector description search).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from c360.freshness import Freshness
from retrieval.decision import (  # re-exported: the resolver's public vocabulary
    ACCEPT,
    MARGIN,
    Candidate,
    Resolution,
    decide,
    decide_description,
)
from retrieval.name_cache import NameIndexCache
from retrieval.name_index import SCORE_SHARED_TOKEN, NameIndex
from retrieval.names import GENERIC, STOPWORDS, WEAK, normalize_tokens
from store.queries import customer_name_rows, customers_digest, customers_fingerprint

__all__ = [
    "ACCEPT",
    "GENERIC",
    "MARGIN",
    "SCORE_SHARED_TOKEN",
    "STOPWORDS",
    "WEAK",
    "Candidate",
    "CustomerResolver",
    "NameIndex",
    "Resolution",
    "decide",
    "decide_description",
    "normalize_tokens",
]


class CustomerResolver:
    """Name index plus description search. Takes sessions, never opens them: a caller checks
    ``stale()`` and passes a session to ``refresh``."""

    def __init__(
        self,
        index=None,
        embeddings=None,
        refresh_seconds: float = 10.0,
        cache: NameIndexCache | None = None,
    ) -> None:
        self.index = index
        self.embeddings = embeddings
        self.refresh_seconds = refresh_seconds
        self.cache = cache  # the index as another process built it for the same customers
        self._names: NameIndex | None = None
        self._lock = threading.RLock()
        # The timer, lock and watermark (the customers' fingerprint) of the name index.
        self._freshness = Freshness(refresh_seconds, self._lock)

    # --- freshness ----------------------------------------------------------------------
    @property
    def names(self) -> NameIndex:
        """The index as last refreshed (empty before the first ``refresh``)."""
        if self._names is None:
            return NameIndex()
        return self._names

    def stale(self) -> bool:
        """Whether the store should be looked at again: never loaded, or last checked more
        than ``refresh_seconds`` ago."""
        return self._names is None or self._freshness.due()

    def refresh(self, session, force: bool = False) -> None:
        """Rebuild the index when the store's customers changed (count or newest update)."""

        def look(seen: tuple[int, str] | None) -> tuple[int, str]:
            fingerprint = customers_fingerprint(session)
            if self._names is None or fingerprint != seen:
                self._names = self._load_or_build(session)
            return fingerprint

        self._freshness.check(look, force=force or self._names is None)

    def _load_or_build(self, session) -> NameIndex:
        """The index kept in the cache for exactly these customers (their digest), else built
        from the store's rows and kept for the next process, unless the customers changed
        while it was built (the digest is read again after the rows)."""
        if self.cache is None:
            return self._build(session)
        digest = customers_digest(session)
        names = self.cache.load(digest)
        if names is None:
            names = self._build(session)
            if customers_digest(session) == digest:
                self.cache.save(digest, names)
        return names

    @staticmethod
    def _build(session) -> NameIndex:
        names = NameIndex()
        names.upsert(customer_name_rows(session))
        return names

    def customers_changed(self, session, customer_ids: Iterable[str]) -> None:
        """In-process change hook (the ingest listener): update just those entries; an id
        no longer in the store (deleted, merged away) leaves the index."""
        ids = list(customer_ids)
        if not ids or self._names is None:
            return
        with self._lock:
            rows = list(customer_name_rows(session, ids))
            for gone in set(ids) - {r.customer_id for r in rows}:
                self._names.remove(gone)
            self._names.upsert(rows)
            self._freshness.watermark = customers_fingerprint(session)

    @staticmethod
    def changed_customers(records) -> list[str]:
        """The customers an ingest batch wrote (``IngestService`` listener records)."""
        return [r.customer_id for r in records if getattr(r, "kind", None) == "customer"]

    # --- resolving ---------------------------------------------------------------------
    def _match(
        self, text: str, as_name: bool = False, weak: frozenset[str] = frozenset()
    ) -> list[Candidate]:
        names = self.names
        with self._lock:  # the ingest listener may be updating the index in another thread
            return names.match(text, as_name, weak)

    def find(self, text: str, limit: int = 10) -> list[Candidate]:
        """Name-based candidates, best first (for pickers)."""
        return self._match(text)[:limit]

    def resolve(
        self,
        text: str,
        use_description: bool = True,
        as_name: bool = False,
        weak: frozenset[str] = frozenset(),
    ) -> Resolution:
        candidates = self._match(text, as_name, weak)
        result = decide(candidates)
        if result.status != "not_found" or not use_description:
            return result
        return self.describe(text)

    def describe(self, text: str) -> Resolution:
        """Resolve from what the question says about the customer, through the global index:
        unfiltered nearest chunks (fast at any size), best similarity per customer."""
        if self.index is None or self.embeddings is None or not text.strip():
            return Resolution("not_found")
        vector = self.embeddings.encode_query(text)
        # A customer record's text is mostly its name: its likeness to the question is a name
        # match by other means ("Which lender services loans in VT?" is not "Lender Services of
        # VT Inc"), which the name index judges. Descriptions are matched on what happened.
        hits = [
            h
            for h in self.index.query(vector, k=40)
            if h.origin != "exchange" and h.kind != "customer"
        ]
        best: dict[str, float] = {}
        support: dict[str, int] = {}
        for hit in hits:
            if hit.score > best.get(hit.customer_id, -1.0):
                best[hit.customer_id] = hit.score
            support[hit.customer_id] = support.get(hit.customer_id, 0) + 1
        names = self.names.names
        status, ids = decide_description(
            {cid: s for cid, s in best.items() if cid in names}, support
        )
        others = sorted((s, cid) for cid, s in best.items() if cid in names and cid not in ids)
        evidence = [f"similar records: {support.get(cid, 0)} of the nearest" for cid in ids[:1]]
        if status == "resolved":
            cand = Candidate(ids[0], names[ids[0]], round(best[ids[0]], 4), ["description"])
            runner = (
                Candidate(others[-1][1], names[others[-1][1]], others[-1][0], ["description"])
                if others
                else None
            )
            return Resolution(
                "resolved",
                ids[0],
                names[ids[0]],
                "description",
                [cand],
                evidence=evidence,
                score=cand.score,
                runner_up=runner,
            )
        if status == "ambiguous":
            cands = [
                Candidate(cid, names[cid], round(best[cid], 4), ["description"]) for cid in ids
            ]
            return Resolution(
                "ambiguous",
                candidates=cands,
                evidence=evidence,
                score=cands[0].score,
                runner_up=cands[1] if len(cands) > 1 else None,
            )
        return Resolution("not_found")
