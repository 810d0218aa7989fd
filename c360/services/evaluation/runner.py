"""Running an evaluation: our brief path (after its warm-up, each item at its own ``asked_at``)
and the LangChain baseline on the same items, scored with the same functions. The records'
true owners come from the store (``store.queries.record_owners``), never from an answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from c360.services.evaluation.items import EvalItem
from c360.services.evaluation.metrics import (
    Outcome,
    Owners,
    baseline_outcome,
    class_scores,
    not_in_data_markers,
    outcome_from_brief,
    score,
)
from c360.services.evaluation.report import EvalReport, SystemReport
from store import queries as Q


def _ask_at(briefs: Any, asked_at: str | None) -> Callable[[], None]:
    """Set the brief service's clock to the item's ``asked_at`` for one question; returns the
    undo. Items without it are asked at the service's own clock."""
    if not asked_at or not hasattr(briefs, "clock"):
        return lambda: None
    from c360.clock import FixedClock

    before = briefs.clock
    at = datetime.fromisoformat(asked_at)
    briefs.clock = FixedClock(at if at.tzinfo else at.replace(tzinfo=UTC))

    def restore() -> None:
        briefs.clock = before

    return restore


# --- the runner ------------------------------------------------------------------------------
class EvaluationService:
    def __init__(self, sessions, index, briefs_factory: Callable[[], Any], asker=None) -> None:
        self.sessions = sessions
        self.index = index
        self._briefs_factory = briefs_factory
        self.asker = asker
        self.warmup_ms: float | None = None

    def owners(self, record_ids: Iterable[str]) -> Owners:
        """True owner of each record id that exists in the store (customers own themselves)."""
        with self.sessions() as session:
            return Q.record_owners(session, record_ids)

    def run_ours(
        self, items: Sequence[EvalItem], progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        from c360.domain import Asker

        briefs = self._briefs_factory()
        asker = self.asker or Asker(id="c360-eval", name="c360 eval", channel="cli")
        # What a server does once at start (name and field indexes, the embedding model) is
        # not the latency of a question: done here before the clock starts, timed on its own.
        start = time.perf_counter()
        if hasattr(briefs, "warm"):
            briefs.warm()
        self.warmup_ms = (time.perf_counter() - start) * 1000
        outcomes = []
        for item in items:
            restore = _ask_at(briefs, item.asked_at)
            start = time.perf_counter()
            try:
                result = briefs.ask(item.question, asker, log=False)
                payload = result.to_dict()
                error = None
            except Exception as exc:  # one failing question must not hide the others' numbers
                payload, error = {}, f"{type(exc).__name__}: {exc}"
            latency = (time.perf_counter() - start) * 1000
            restore()
            outcome = outcome_from_brief(item.id, payload, latency)
            outcome.error = error
            outcomes.append(outcome)
            if progress:
                progress(1)
        return outcomes

    def run_baseline(
        self, items: Sequence[EvalItem], k: int = 10, progress: Callable[[int], None] | None = None
    ) -> list[Outcome]:
        store = self.index.langchain_store()
        outcomes = []
        for item in items:
            start = time.perf_counter()
            docs = store.similarity_search(item.question, k=k)
            outcomes.append(baseline_outcome(item.id, docs, (time.perf_counter() - start) * 1000))
            if progress:
                progress(1)
        return outcomes

    def evaluate(
        self,
        items: Sequence[EvalItem],
        k: int = 10,
        baseline: bool = True,
        markers: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> EvalReport:
        if not items:
            raise ValueError("no evaluation items to run")
        markers = list(markers) if markers is not None else not_in_data_markers()
        runs = [("c360", self.run_ours(items, progress))]
        if baseline:
            runs.append(("baseline", self.run_baseline(items, k=max(k, 10), progress=progress)))
        cited = {rid for _, outs in runs for o in outs for rid in o.cited}
        owners = self.owners(cited)
        systems = []
        for name, outs in runs:
            scores, failures = score(items, outs, owners, markers, k=k)
            errors = [o.item_id for o in outs if o.error]
            if errors:
                failures["errors"] = errors
            classes = class_scores(items, outs, owners, markers)
            systems.append(SystemReport(name, scores, outs, failures, classes))
        return EvalReport(items=len(items), k=k, systems=systems, warmup_ms=self.warmup_ms)
