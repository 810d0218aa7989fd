"""Ingest's input side: raw connector rows -> records with their location (or the row's
error), in-process records made UTC, and the batching and progress helpers of a run."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from c360.domain import KINDS, Record
from c360.services.ingest.summary import EffectBatch, Item
from connectors.base import RawRow
from connectors.canonical import RowProblem, parse_record

log = logging.getLogger(__name__)


def split_batches(batches: Iterator[list[Any]], size: int) -> Iterator[list[Any]]:
    """Batches of at most ``size`` entries (connectors read in their own batch sizes). A
    batch's ``Effects`` (a live source's cursor, deletions) go with its last piece: they are
    applied only once everything before them is committed."""
    for batch in batches:
        effects = getattr(batch, "effects", None)
        starts = range(0, max(len(batch), 1), size)
        for start in starts:
            piece = batch[start : start + size]
            if effects is not None and start == starts[-1]:
                piece = EffectBatch(piece)
                piece.effects = effects
            yield piece


def parse_raw(
    raw: RawRow, kind: str | None, mapping, apply_mapping, now: datetime | None = None
) -> list[Any]:
    """A raw row -> items (records with their location) or (kind, RowError). Whatever is wrong
    with one row (an unexpected exception included) rejects that row, never the run; a reason
    names fields and short values, never a record's text."""
    try:
        return parse_row(raw, kind, mapping, apply_mapping, now)
    except Exception as exc:
        log.debug(
            "%s:%s: %s while reading the row\n%s",
            raw.source,
            raw.line,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return [(kind, raw.error(f"unreadable row ({type(exc).__name__})"))]


def parse_row(raw: RawRow, kind: str | None, mapping, apply_mapping, now) -> list[Any]:
    if "__error__" in raw.data:  # the connector could not even read this row
        return [(kind, raw.error(raw.data["__error__"]))]
    if mapping is not None:
        try:
            outputs = apply_mapping(mapping, raw.data)
        except RowProblem as exc:
            return [(kind, raw.error(str(exc)))]
    else:
        if kind is None:
            return [
                (
                    None,
                    raw.error(
                        "unknown record kind: name the file customers.*, moments.* or complaints.*, or pass --kind"
                    ),
                )
            ]
        outputs = [(kind, raw.data, False)]
    result: list[Any] = []
    for out_kind, values, dedupe in outputs:
        try:
            record = parse_record(out_kind, values, now=now)
        except RowProblem as exc:
            result.append((out_kind if out_kind in KINDS else kind, raw.error(str(exc))))
            continue
        result.append(Item(record, raw.source, raw.line, dedupe=dedupe, error_factory=raw.error))
    return result


def utc_record(record: Record) -> Record:
    """In-process records may carry naive datetimes: they are UTC by convention."""
    changes = {}
    for name in ("created_at", "occurred_at", "opened_at", "resolved_at"):
        value = getattr(record, name, None)
        if isinstance(value, datetime):
            fixed = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            if fixed is not value:
                changes[name] = fixed
    return replace(record, **changes) if changes else record


def size_hint(connectors) -> Callable[[], int | None]:
    def total() -> int | None:
        hints = [c.size_hint() for c in connectors]
        return None if any(h is None for h in hints) else sum(hints)

    return total


def progress_bar(progress: bool | None, total):
    import sys

    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    if callable(total):
        total = total()
    return tqdm(total=total or None, unit="row", desc="ingest", file=sys.stderr, dynamic_ncols=True)
