"""Files in: CSV, JSONL and JSON arrays, read in batches with each row's location.

CSV rows are located by the physical line they start on (a quoted field may span lines),
JSONL rows by line, JSON-array elements as ``item N``. The record kind comes from the file
name (``customers.csv``, ``moments.jsonl``, ``complaints_2024.json``) unless given.

A file is read as UTF-8 unless an ``encoding`` is given. A line that does not decode is a
rejected row (``file:LINE: not UTF-8 (byte 0xe9 at column N) ...``) and the rest is read. A CSV
quote that never closes (the file ends inside it, or the quoted field runs over
``MAX_QUOTED_LINES`` lines or ``MAX_QUOTED_CHARS`` characters, or a stray quote breaks a later
line) rejects the row it starts on; the lines after that row are read again as rows of their
own, so one stray ``"`` never swallows the rest of the file.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from c360.domain import KINDS
from connectors.base import DEFAULT_BATCH_ROWS, RawRow, SourceError
from connectors.canonical import KIND_ALIASES

# Some CRM exports carry whole email threads in one cell; the limits below, not this one, stop
# a quote that never closes.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

# A quoted CSV field may span lines (an email thread in a cell), but not this many: past either
# limit the quote is taken as unclosed and the row it starts on is rejected.
MAX_QUOTED_LINES = 1000
MAX_QUOTED_CHARS = 1_000_000

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}

# Bytes the decoder could not read, kept by ``errors="surrogateescape"`` as U+DC80..U+DCFF.
_UNDECODED = re.compile("[\udc80-\udcff]")


def kind_from_name(path: Path) -> str | None:
    """``customers.csv`` -> customer; ``complaints_2024-01.jsonl`` -> complaint; else None."""
    stem = path.name.split(".")[0].lower()
    for prefix, kind in KIND_ALIASES.items():
        if stem == prefix or stem.startswith((prefix + "_", prefix + "-")):
            return kind
    return None


def _codec(encoding: str | None) -> tuple[str, str]:
    """(codec to open the file with, name shown in errors). UTF-8 skips a BOM."""
    name = (encoding or "utf-8").strip()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise SourceError(
            f"unknown encoding {name!r}: use e.g. utf-8, latin-1, cp1252 (Python codec names)"
        ) from None
    if canonical in ("utf-8", "utf-8-sig"):
        return "utf-8-sig", "UTF-8"
    return canonical, name


def undecodable(text: str, encoding_label: str) -> str | None:
    """The rejection reason for a line holding bytes the encoding could not read, else None."""
    match = _UNDECODED.search(text)
    if match is None:
        return None
    byte = ord(match.group()) - 0xDC00
    return (
        f"not {encoding_label} (byte 0x{byte:02x} at column {match.start() + 1}): "
        "re-save the file as UTF-8 or pass --encoding (e.g. --encoding latin-1)"
    )


class _RunawayQuote(Exception):
    """A quoted CSV field ran over MAX_QUOTED_LINES / MAX_QUOTED_CHARS."""


class _Lines:
    """The lines of a CSV file, fed to ``csv.reader``, that know which lines the record being
    read spans, and can be rewound to the line after a bad record's first line."""

    def __init__(self, fh, encoding_label: str) -> None:
        self._fh = fh
        self._label = encoding_label
        self._pending: deque[str] = deque()  # lines read again after a bad record
        self.line = 0  # the last line handed out
        self.start = 1  # the first line of the record being read
        self._record: list[str] = []
        self._chars = 0
        self.bad: tuple[int, str] | None = None  # first undecodable line of the record

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self._pending.popleft() if self._pending else next(self._fh)
        self.line += 1
        self._record.append(text)
        self._chars += len(text)
        if len(self._record) > 1 and (
            len(self._record) > MAX_QUOTED_LINES or self._chars > MAX_QUOTED_CHARS
        ):
            raise _RunawayQuote
        if self.bad is None and not text.isascii():
            reason = undecodable(text, self._label)
            if reason is not None:
                self.bad = (self.line, reason)
        return text

    def next_record(self) -> None:
        self.start = self.line + 1
        self._record = []
        self._chars = 0
        self.bad = None

    def rewind_after_start(self) -> None:
        """Reject the current record's first line only: its other lines are read again."""
        self._pending.extendleft(reversed(self._record[1:]))
        self.line = self.start
        self.next_record()


class FileConnector:
    def __init__(
        self,
        path: str | Path,
        kind: str | None = None,
        mapping=None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        encoding: str | None = None,
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
        try:
            self.encoding, self.encoding_label = _codec(encoding)
        except SourceError as exc:
            raise SourceError(f"{self.path}: {exc}") from None
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

    def _open(self, newline: str | None = None):
        return self.path.open(encoding=self.encoding, errors="surrogateescape", newline=newline)

    def size_hint(self) -> int | None:
        """Rows to expect, for the progress bar (only asked for when a bar is shown). CSV is
        counted with the csv reader, as quoted fields may span lines."""
        if self.format == "json":
            return None
        try:
            with self._open(newline="") as fh:
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
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_rows:
                yield batch
                batch = []
        if batch:
            yield batch

    def changes_since(self, cursor: str | None) -> Iterator[list[RawRow]]:
        # A file cannot say what changed; content hashes make unchanged rows a no-op.
        return self.load_all()

    def _csv(self) -> Iterator[RawRow]:
        delimiter = "\t" if self.format == "tsv" else ","
        with self._open(newline="") as fh:
            lines = _Lines(fh, self.encoding_label)
            try:
                header = next(csv.reader(lines, delimiter=delimiter, strict=True))
            except StopIteration:
                return
            except (csv.Error, _RunawayQuote):
                raise SourceError(
                    f"{self.path}:1: the header row's quoting does not close; nothing from this "
                    "file was ingested"
                ) from None
            if lines.bad is not None:
                raise SourceError(
                    f"{self.path}:{lines.bad[0]}: header row: {lines.bad[1]}; nothing from this "
                    "file was ingested"
                )
            header = [h.strip() for h in header]
            lines.next_record()
            while True:
                reader = csv.reader(lines, delimiter=delimiter, strict=True)
                try:
                    for values in reader:
                        start, end, bad = lines.start, lines.line, lines.bad
                        if len(values) > len(header) and end > start:
                            # A stray quote merged the lines after it into this row.
                            yield RawRow(self.name, start, {"__error__": _unclosed(
                                f"its row ends at line {end} with {len(values)} values for "
                                f"{len(header)} columns"
                            )})  # fmt: skip
                            lines.rewind_after_start()
                            break
                        lines.next_record()
                        if bad is not None:
                            yield RawRow(self.name, bad[0], {"__error__": bad[1]})
                            continue
                        if not values or all(not v.strip() for v in values):
                            continue
                        if len(values) > len(header):
                            yield RawRow(self.name, start, {"__error__": (
                                f"row has {len(values)} values but the header has {len(header)} "
                                "columns: check the quoting of fields that contain commas"
                            )})  # fmt: skip
                            continue
                        yield RawRow(self.name, start, dict(zip(header, values, strict=False)))
                    else:
                        return
                except _RunawayQuote:
                    yield RawRow(self.name, lines.start, {"__error__": _unclosed(
                        f"the quoted field runs over {MAX_QUOTED_LINES:,} lines or "
                        f"{MAX_QUOTED_CHARS:,} characters"
                    )})  # fmt: skip
                    lines.rewind_after_start()
                except csv.Error as exc:
                    start, end = lines.start, lines.line
                    if end > start or str(exc) == "unexpected end of data":
                        where = (
                            "the file ends inside the quoted field"
                            if str(exc) == "unexpected end of data"
                            else f"the quoting breaks at line {end}"
                        )
                        reason = _unclosed(where)
                    else:
                        reason = (
                            f"bad quoting ({exc}): a quoted field ends with '\"' followed by the "
                            'delimiter or the end of the line; write a quote inside it as ""'
                        )
                    yield RawRow(self.name, start, {"__error__": reason})
                    lines.rewind_after_start()

    def _jsonl(self) -> Iterator[RawRow]:
        with self._open() as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                reason = undecodable(line, self.encoding_label)
                if reason is not None:
                    yield RawRow(self.name, n, {"__error__": reason})
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    data = {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}
                if not isinstance(data, dict):
                    data = {"__error__": f"expected a JSON object, got {type(data).__name__}"}
                yield RawRow(self.name, n, data)

    def _json(self) -> Iterator[RawRow]:
        with self._open() as fh:
            text = fh.read()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            line_start = text.rfind("\n", 0, exc.pos) + 1
            line_end = text.find("\n", exc.pos)
            line = text[line_start : None if line_end < 0 else line_end]
            hint = (
                f"; that line holds bytes that are not {self.encoding_label}: re-save the file "
                "as UTF-8 or pass --encoding"
                if _UNDECODED.search(line)
                else ""
            )
            raise SourceError(
                f"{self.path}:{exc.lineno}: not valid JSON ({exc.msg}); nothing from this file "
                f"was ingested{hint}"
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
        # Undecodable bytes inside strings reject their element, located by the line and column
        # of the first one (the elements hold them in file order).
        bad_positions = iter(m.start() for m in _UNDECODED.finditer(text))
        for n, element in enumerate(data, start=1):
            if not isinstance(element, dict):
                element = {"__error__": f"expected a JSON object, got {type(element).__name__}"}
            else:
                found = len(_UNDECODED.findall(json.dumps(element, ensure_ascii=False)))
                if found:
                    positions = [next(bad_positions, None) for _ in range(found)]
                    element = {"__error__": self._undecodable_at(text, positions[0])}
            yield RawRow(self.name, n, element, item=True)

    def _undecodable_at(self, text: str, position: int | None) -> str:
        if position is None:
            return f"not {self.encoding_label}: re-save the file as UTF-8 or pass --encoding"
        line = text.count("\n", 0, position) + 1
        line_start = text.rfind("\n", 0, position) + 1
        byte = ord(text[position]) - 0xDC00
        return (
            f"not {self.encoding_label} (byte 0x{byte:02x} at line {line}, column "
            f"{position - line_start + 1}): re-save the file as UTF-8 or pass --encoding "
            "(e.g. --encoding latin-1)"
        )


def _unclosed(why: str) -> str:
    return (
        f"unclosed quote starting here ({why}): the lines after this one were read as rows of "
        'their own; close the quote, or write a quote inside a field as ""'
    )


def order_for_ingest(connectors: list) -> list:
    """Customers first, so moments and complaints given in the same run find them."""
    return sorted(connectors, key=lambda c: KINDS.index(c.kind) if c.kind in KINDS else 0)
