"""Evaluation items: one JSON object a line (see the package docstring), read with every bad
line reported as file:line and reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from c360.domain import RowError

EXPECTS = ("answer", "clarify", "abstain")
CLASSES = ("named", "description", "partial-id", "ask-back", "abstain")


class EvalFileError(ValueError):
    """A malformed evaluation file; ``errors`` says where (file:line) and why."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(str(e) for e in errors[:5]) + (" ..." if len(errors) > 5 else "")
        )


@dataclass
class EvalItem:
    id: str
    question: str
    customer_id: str | None
    expect: str
    gold_record_ids: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    kind: str | None = None
    cls: str | None = None  # the item's "class"; see item_class()
    asked_at: str | None = None  # ISO time the question is asked at (relative dates)
    # Records the answer's first two lines must cite (one is enough): "what is going on" items
    # whose newest moment is a risk signal (eval/make_leadset.py).
    lead_record_ids: list[str] = field(default_factory=list)


def item_class(item: EvalItem) -> str:
    """The item's class: its own ``class``, else abstain / ask-back by ``expect``, description
    when its ``kind`` says so, else named."""
    if item.cls:
        return item.cls
    if item.expect == "abstain":
        return "abstain"
    if item.expect == "clarify":
        return "ask-back"
    return "description" if (item.kind or "").startswith("desc") else "named"


# --- reading items ---------------------------------------------------------------------------
def load_items(path: str | Path) -> list[EvalItem]:
    """Read a JSONL evaluation file; every bad line is reported with file:line and reason."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such evaluation file (generate one with eval/make_devset.py)"
        )
    items, errors, seen = [], [], set()
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item = _parse_item(raw)
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                errors.append(RowError(str(path), line_no, str(exc)))
                continue
            if item.id in seen:
                errors.append(RowError(str(path), line_no, f"duplicate id {item.id!r}"))
                continue
            seen.add(item.id)
            items.append(item)
    if errors:
        raise EvalFileError(errors)
    return items


def _parse_item(raw: Any) -> EvalItem:
    if not isinstance(raw, dict):
        raise ValueError("each line must be a JSON object")
    for key in ("id", "question", "expect"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"missing or empty {key!r}")
    if raw["expect"] not in EXPECTS:
        raise ValueError(f"expect must be one of {', '.join(EXPECTS)}, not {raw['expect']!r}")
    customer = raw.get("customer_id")
    if customer is not None and not isinstance(customer, str):
        raise ValueError("customer_id must be a string or null")
    lists = {}
    for key in ("gold_record_ids", "candidates", "lead_record_ids"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings")
        lists[key] = value
    if raw["expect"] == "clarify" and not lists["candidates"]:
        raise ValueError("a clarify item needs the expected candidates")
    cls = raw.get("class")
    if cls is not None and cls not in CLASSES:
        raise ValueError(f"class must be one of {', '.join(CLASSES)}, not {cls!r}")
    asked_at = raw.get("asked_at")
    if asked_at is not None:
        try:
            datetime.fromisoformat(asked_at)
        except (TypeError, ValueError):
            raise ValueError(f"asked_at must be an ISO date-time, not {asked_at!r}") from None
    return EvalItem(
        id=raw["id"],
        question=raw["question"],
        customer_id=customer,
        expect=raw["expect"],
        gold_record_ids=lists["gold_record_ids"],
        candidates=lists["candidates"],
        kind=raw.get("kind"),
        cls=cls,
        asked_at=asked_at,
        lead_record_ids=lists["lead_record_ids"],
    )
