"""Files in: CSV, JSONL and JSON arrays, read in batches with each row's location.

CSV rows are located by the physical line they start on (a quoted field may span lines),
JSONL rows by line, JSON-array elements as ``item N``. The record kind comes from the file
name (``customers.csv``, ``moments.jsonl``, ``complaints_2024.json``) unless given.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from c360.domain import KINDS
from connectors.base import DEFAULT_BATCH_ROWS, RawRow, SourceError
from connectors.canonical import KIND_ALIASES

# Some CRM exports carry whole email threads in one cell.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


def kind_from_name(path: Path) -> str | None:
    """``customers.csv`` -> customer; ``complaints_2024-01.jsonl`` -> complaint; else None."""
    stem = path.name.split(".")[0].lower()
    for prefix, kind in KIND_ALIASES.items():
        if stem == prefix or stem.startswith((prefix + "_", prefix + "-")):
            return kind
    return None


class FileConnector:
    def __init__(
        self,
        path: str | Path,
        kind: str | None = None,
        mapping=None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ):
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: file not found (check the path; nothing was ingested)")
        self.format = FORMATS.get(self.path.suffix.lower())
        if self.format is None:
            raise SourceError(
                f"{self.path}: unknown file type {self.path.suffix!r}: use .csv, .tsv, .jsonl, .ndjson or .json"
            )
        if kind:
            from connectors.canonical import normalise_kind

            kind = normalise_kind(kind)
        self.kind = (
            kind or (mapping.kind if mapping is not None else None) or kind_from_name(self.path)
        )
        if self.kind is None and mapping is None:
            raise SourceError(
                f"{self.path}: cannot tell the record kind from the file name: name it customers.*, "
                "moments.* or complaints.*, or pass --kind"
            )
        self.batch_rows = batch_rows

    def size_hint(self) -> int | None:
        """Rows to expect, for the progress bar (only asked for when a bar is shown). CSV is
        counted with the csv reader, as quoted fields may span lines."""
        if self.format == "json":
            return None
        try:
            with self.path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
                if self.format == "jsonl":
                    return sum(1 for line in fh if line.strip())
                reader = csv.reader(fh, delimiter="\t" if self.format == "tsv" else ",")
                return max(0, sum(1 for values in reader if values) - 1)
        except csv.Error:
            return None

    def load_all(self) -> Iterator[list[RawRow]]:
        rows = {"csv": self._csv, "tsv": self._csv, "jsonl": self._jsonl, "json": self._json}[
            self.format
        ]()
        batch: list[RawRow] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) >= self.batch_rows:
                    yield batch
                    batch = []
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{self.path}: not UTF-8 text ({exc.reason} at byte {exc.start}): re-save it as UTF-8"
            ) from None
        if batch:
            yield batch

    def changes_since(self, cursor: str | None) -> Iterator[list[RawRow]]:
        # A file cannot say what changed; content hashes make unchanged rows a no-op.
        return self.load_all()

    def _csv(self) -> Iterator[RawRow]:
        with self.path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter="\t" if self.format == "tsv" else ",")
            try:
                header = next(reader)
            except StopIteration:
                return
            header = [h.strip() for h in header]
            last_end = reader.line_num
            for values in reader:
                start, last_end = last_end + 1, reader.line_num
                if not values or all(not v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    yield RawRow(self.name, start, {"__error__": (
                        f"row has {len(values)} values but the header has {len(header)} columns: "
                        "check the quoting of fields that contain commas"
                    )})  # fmt: skip
                    continue
                yield RawRow(self.name, start, dict(zip(header, values, strict=False)))

    def _jsonl(self) -> Iterator[RawRow]:
        with self.path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    data = {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}
                if not isinstance(data, dict):
                    data = {"__error__": f"expected a JSON object, got {type(data).__name__}"}
                yield RawRow(self.name, n, data)

    def _json(self) -> Iterator[RawRow]:
        with self.path.open(encoding="utf-8-sig") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise SourceError(
                    f"{self.path}:{exc.lineno}: not valid JSON ({exc.msg}); nothing from this file was ingested"
                ) from None
        if (
            isinstance(data, dict)
            and len(data) == 1
            and isinstance(next(iter(data.values())), list)
        ):
            data = next(iter(data.values()))  # {"customers": [...]}
        if not isinstance(data, list):
            raise SourceError(
                f"{self.path}: expected a JSON array of objects (or JSON Lines in a .jsonl file)"
            )
        for n, element in enumerate(data, start=1):
            if not isinstance(element, dict):
                element = {"__error__": f"expected a JSON object, got {type(element).__name__}"}
            yield RawRow(self.name, n, element, item=True)


def order_for_ingest(connectors: list) -> list:
    """Customers first, so moments and complaints given in the same run find them."""
    return sorted(connectors, key=lambda c: KINDS.index(c.kind) if c.kind in KINDS else 0)
