"""Ingest's values: the run summary (``IngestSummary``, what ``c360 ingest`` prints and
``--json`` returns) and the items a batch carries through the pipeline."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from c360.domain import KINDS, Chunk, Record, RowError

if TYPE_CHECKING:
    import numpy as np

PLURAL = {"customer": "customers", "moment": "moments", "complaint": "complaints"}
# Records per pipeline batch (settings.ingest_batch, default 2000): large enough that the model
# sees big, length-sorted batches and the store sees few round trips; small enough that a crash
# loses little and memory stays flat.
# Recently embedded texts kept in memory so a text repeated within a run (a stock company
# response, say) is embedded once even before its batch is committed.
RECENT_VECTORS = 20000


@dataclass
class IngestSummary:
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            k: {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in KINDS
        }
    )
    embedded: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_record_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0
    completed: bool = True
    failure: str | None = None  # why the run stopped early (a source could not be read)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            **{PLURAL[k]: dict(v) for k, v in self.counts.items()},
            "inserted": self.total("inserted"),
            "updated": self.total("updated"),
            "unchanged": self.total("unchanged"),
            "rejected": self.rejected,
            "embedded": self.embedded,
            "errors": [
                {"source": e.source, "line": e.line, "reason": e.reason, "text": str(e)}
                for e in errors
            ],
            "errors_omitted": len(self.errors) - len(errors),
            "new_record_ids": list(self.new_record_ids),
            "sources": list(self.sources),
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "failure": self.failure,
        }

    def merge(self, other: IngestSummary) -> None:
        """Fold another run's summary into this one (several sources in one command)."""
        for kind in KINDS:
            for outcome, n in other.counts[kind].items():
                self.counts[kind][outcome] += n
        self.embedded += other.embedded
        self.errors.extend(other.errors)
        self.new_record_ids.extend(other.new_record_ids)
        self.sources.extend(other.sources)
        self.seconds += other.seconds
        self.completed = self.completed and other.completed
        self.failure = "; ".join(f for f in (self.failure, other.failure) if f) or None

    def describe(self) -> str:
        """The human summary printed by ``c360 ingest``."""
        lines = []
        for kind in KINDS:
            c = self.counts[kind]
            if any(c.values()):
                lines.append(
                    f"{PLURAL[kind]:<10} inserted {c['inserted']}, updated {c['updated']}, "
                    f"unchanged {c['unchanged']}, rejected {c['rejected']}"
                )
        if not lines:
            lines.append("no records read")
        lines.append(f"embedded {self.embedded} texts in {self.seconds:.1f}s")
        if self.failure:
            lines.append(f"STOPPED: {self.failure}")
        elif self.errors:
            lines.append(
                f"completed with {self.rejected} rejected row(s) (listed above); every other row was "
                "ingested and no stored record was changed by a rejected row"
            )
        else:
            lines.append("completed: no rows rejected")
        return "\n".join(lines)


@dataclass
class Item:
    record: Record
    source: str
    line: int
    dedupe: bool = False  # a customer derived from many rows (mapping): repeats are expected
    # A live source reads an object again when it changed again during the run: the later
    # state is written over the earlier one instead of being rejected as a duplicate.
    revision: bool = False
    error_factory: Callable[[str], RowError] | None = None

    def error(self, reason: str) -> RowError:
        if self.error_factory:
            return self.error_factory(reason)
        return RowError(self.source, self.line, reason)


@dataclass
class Effects:
    """What a live source's page does besides writing records, applied in the transaction that
    writes the page's records (so a crash keeps both or neither): records the source deleted
    (``kind:id``), customers it merged (old id -> surviving id), and ``apply(session, now)``,
    which advances the source's cursor past the page."""

    deleted: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)
    apply: Callable[[Any, Any], None] | None = None
    source: str | None = None  # whose records a deleted customer takes along


class EffectBatch(list):
    """A batch of items that carries its page's ``Effects`` (see ``split_batches``)."""

    effects: Effects | None = None


@dataclass
class Prepared:
    """A validated, classified, embedded batch ready to be written."""

    upserts: dict[str, tuple[list[tuple[Record, str]], list[tuple[Record, str]]]]
    changed_ids: list[str]
    chunk_rows: list[dict[str, Any]]
    chunks: list[Chunk]
    vectors: np.ndarray
    origins: list[str]
    records: list[Record]
    effects: Effects | None = None


class RunState:
    def __init__(self) -> None:
        # id -> where it was first seen, packed as (source number << 32 | line): a million ids
        # must not cost a million tuples.
        self.seen: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self.source_numbers: dict[str, int] = {}
        self.known_customers: set[str] = set()
        self.recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def mark_seen(self, kind: str, source_id: str, source: str, line: int) -> None:
        number = self.source_numbers.setdefault(source, len(self.source_numbers))
        self.seen[kind][source_id] = (number << 32) | line

    def first_seen(self, kind: str, source_id: str) -> str | None:
        packed = self.seen[kind].get(source_id)
        if packed is None:
            return None
        sources = {n: s for s, n in self.source_numbers.items()}
        return f"{sources[packed >> 32]}:{packed & 0xFFFFFFFF}"

    def remember(self, digest: str, vector: np.ndarray) -> None:
        self.recent[digest] = vector
        if len(self.recent) > RECENT_VECTORS:
            self.recent.popitem(last=False)
