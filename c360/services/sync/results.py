"""What a sync reports (``c360 sync --json``) and the ``interval:`` of a source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from c360.services.ingest.summary import IngestSummary
from connectors.base import SourceError

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: Any, where: str) -> float | None:
    """``interval:`` of a source: seconds, or ``15m``, ``2h``, ``1d``."""
    if value in (None, ""):
        return None
    match = _INTERVAL.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise SourceError(
            f"{where}: interval {str(value)!r} is not a duration: use e.g. 300, 15m, 2h"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class SourceResult:
    name: str
    connector: str
    completed: bool
    summary: IngestSummary
    deleted: int = 0
    merged: int = 0
    failure: str | None = None
    cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        counts = self.summary.to_dict(max_errors=100)
        return {
            "name": self.name,
            "connector": self.connector,
            "completed": self.completed,
            "inserted": counts["inserted"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "rejected": counts["rejected"],
            "deleted": self.deleted,
            "merged": self.merged,
            "embedded": counts["embedded"],
            "seconds": counts["seconds"],
            "cursor": self.cursor,
            "failure": self.failure,
            "errors": counts["errors"],
        }


@dataclass
class SyncReport:
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return all(s.completed for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "sources": [s.to_dict() for s in self.sources]}

    def describe(self) -> str:
        lines = []
        for s in self.sources:
            c = s.summary
            head = (
                f"{s.name} ({s.connector}): inserted {c.total('inserted')}, updated "
                f"{c.total('updated')}, unchanged {c.total('unchanged')}, rejected {c.rejected}, "
                f"deleted {s.deleted}"
            )
            lines.append(head + ("" if s.completed else f" - FAILED: {s.failure}"))
        return "\n".join(lines) or "no sources"
