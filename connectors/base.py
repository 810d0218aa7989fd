"""The connector interface: a source of raw rows, read in batches.

A connector knows where rows come from (file, database) and where each one sits
(``source`` + ``line``) so a rejected row can be reported as ``source:line: reason``; it does
not know the canonical format. Mapping (``connectors.mapping``) and parsing
(``connectors.canonical``) turn raw rows into domain records.

Two ways to read, after Onyx's Load/Poll connectors: ``load_all()`` reads everything;
``changes_since(cursor)`` reads only what changed after a cursor value (``None`` = all).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from c360.domain import RowError

DEFAULT_BATCH_ROWS = 1000


@dataclass
class RawRow:
    """One row as the source gave it: column name -> value."""

    source: str
    line: int
    data: dict[str, Any]
    item: bool = False  # located by element number in a JSON array, not by line

    def error(self, reason: str) -> RowError:
        return (ItemRowError if self.item else RowError)(self.source, self.line, reason)


class ItemRowError(RowError):
    """A rejected element of a JSON array: located as ``item N`` (counting from 1)."""

    def __str__(self) -> str:
        return f"{self.source}: item {self.line}: {self.reason}"


class ApiRowError(RowError):
    """A rejected object of an API source: located by the object (``zendesk: ticket 7``)."""

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class SourceError(Exception):
    """The source as a whole cannot be read (missing file, bad mapping, unreachable database).
    Unlike a RowError this stops the run: nothing from that source can be trusted."""


class Connector(Protocol):
    name: str  # shown in errors and ingest_runs, never with a password in it
    kind: str | None  # the record kind its rows hold, when known (e.g. from the file name)

    def load_all(self) -> Iterator[list[RawRow]]:
        """Every row, in batches."""
        ...

    def changes_since(self, cursor: str | None) -> Iterator[list[RawRow]]:
        """Rows changed after ``cursor`` (all rows when None), in batches. Sources that cannot
        tell what changed read everything; the content hash makes unchanged rows a no-op."""
        ...


@dataclass
class Page:
    """One page of a live source (an API response or a few): its objects as canonical rows,
    what the source deleted or merged, and the cursor to store once the page is committed
    (None: keep the previous one)."""

    rows: list[ApiRow]
    cursor: str | None = None
    deleted: list[str] = field(default_factory=list)  # record ids, "complaint:zd-123"
    merged: dict[str, str] = field(default_factory=dict)  # customer id merged away -> survivor
    # Names of deleted customers: they leave the aliases of a customer they were linked to.
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class ApiRow:
    """One object of an API in the canonical columns of its ``kind`` (connectors.canonical
    parses it, so an API record is checked like a file row). ``where`` locates it in errors
    (``zendesk: ticket 123``). A customer row's ``same_as`` lists c360 customer ids it is
    the same customer as when they exist (an external id); its ``domain`` matches too."""

    kind: str
    data: dict[str, Any]
    where: str
    same_as: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, kind: str, data: dict[str, Any], where: str, external_id: Any = None) -> ApiRow:
        """The row of an object from its fields, the absent (None) ones left out. A customer's
        ``external_id`` (the c360 customer id the API keeps for it, when set) becomes a column
        and its ``same_as``."""
        if external_id:
            data = data | {"external_id": str(external_id)}
        return cls(
            kind,
            {k: v for k, v in data.items() if v is not None},
            where,
            same_as=[str(external_id)] if external_id else [],
        )


@dataclass(frozen=True)
class ApiSource:
    """An API source as its entry in the sources file names it: ``name`` (keys its cursor,
    starts its errors), ``base_url`` (None: the API's own; a test server stands in for it),
    ``pace`` (seconds between two calls; None: the API's documented pace) and ``retries`` (of
    one call on a 429 or a 5xx before the source fails)."""

    name: str
    base_url: str | None = None
    pace: float | None = None
    retries: int = 5


class LiveConnector(Protocol):
    """A source read over an API (``connector:`` in the sources file): HubSpot, Zendesk, Slack."""

    name: str  # the source's name in the sources file: keys its cursor
    connector: str  # slack | hubspot | zendesk

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages changed after ``cursor`` (everything when None), oldest first."""
        ...


class ReReading(Protocol):
    """A live source that can read again what hangs on some of its records (Zendesk: the
    comments of tickets a sync rejected, once they are valid); its pages move no cursor."""

    def pages_about(self, record_ids: list[str]) -> Iterator[Page]: ...
