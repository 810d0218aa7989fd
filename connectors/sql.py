"""SQL databases in: the rows of a query against any SQLAlchemy URL.

With a cursor column (``updated_at``, an increasing id) the connector reads only rows newer
than the stored cursor: the query is wrapped as ``SELECT * FROM (<query>) WHERE col > :cursor
ORDER BY col`` and the largest value seen becomes the next cursor. Cursor values are stored
with their type (``datetime:...``, ``int:...``) so the comparison binds the right type on any
driver. The URL's password never appears in names, errors or logs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from connectors.base import DEFAULT_BATCH_ROWS, RawRow, SourceError
from connectors.canonical import normalise_kind

LIVE_CONNECTORS = ("slack", "hubspot", "zendesk")  # read over an API by `c360 sync`
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def redact(url: str) -> str:
    """The URL with its password hidden: safe to print."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still hold a secret: show only the scheme
        return url.split(":", 1)[0] + "://***"


def encode_cursor(value: Any) -> str:
    if isinstance(value, datetime):
        return "datetime:" + value.isoformat()
    if isinstance(value, date):
        return "date:" + value.isoformat()
    if isinstance(value, bool):
        return "int:" + str(int(value))
    if isinstance(value, int):
        return "int:" + str(value)
    if isinstance(value, float | Decimal):
        return "float:" + repr(float(value))
    return "str:" + str(value)


def decode_cursor(stored: str) -> Any:
    kind, _, text = stored.partition(":")
    if kind == "datetime":
        return datetime.fromisoformat(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


class SqlConnector:
    def __init__(
        self,
        url: str,
        query: str,
        kind: str | None,
        cursor_column: str | None = None,
        name: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        if not url:
            raise SourceError(
                "no database URL given: pass --sql URL (or 'url:' in the source file)"
            )
        if not query or not query.strip():
            raise SourceError(
                "no query given: pass --query 'SELECT ...' (or 'query:' in the source file)"
            )
        if cursor_column and not _IDENT.match(cursor_column):
            raise SourceError(
                f"cursor column {cursor_column!r} must be a plain column name of the query's result"
            )
        self.url = url
        self.query = query.strip().rstrip(";")
        self.kind = normalise_kind(kind) if kind else None
        self.cursor_column = cursor_column
        self.batch_rows = batch_rows
        self.max_cursor: str | None = None
        self._max_value: Any = None
        from sqlalchemy.engine import make_url

        try:
            database = make_url(url).database or "db"
        except Exception:
            raise SourceError(f"not a valid SQLAlchemy URL: {redact(url)}") from None
        digest = hashlib.sha1((redact(url) + "\n" + self.query).encode()).hexdigest()[:10]
        label = name or f"{Path(database).stem}-{self.kind or 'rows'}"
        self.name = f"sql:{label}"
        # Cursors are keyed by the source's name when given, so editing the query keeps it.
        self.source_key = f"sql:{name}" if name else f"sql:{label}:{digest}"

    def load_all(self) -> Iterator[list[RawRow]]:
        return self.changes_since(None)

    def changes_since(self, cursor: str | None) -> Iterator[list[RawRow]]:
        import sqlalchemy as sa

        params: dict[str, Any] = {}
        sql = self.query
        if self.cursor_column:
            col = self.cursor_column
            where = f" WHERE c360_src.{col} > :c360_cursor" if cursor is not None else ""
            sql = f"SELECT * FROM ({self.query}) AS c360_src{where} ORDER BY c360_src.{col}"
            if cursor is not None:
                params["c360_cursor"] = decode_cursor(cursor)
        try:
            # hide_parameters: a database error never quotes the bound values.
            engine = sa.create_engine(self.url, hide_parameters=True)
        except Exception as exc:
            raise SourceError(
                f"{self.name}: cannot use database {redact(self.url)}: {type(exc).__name__}"
            ) from None
        try:
            with engine.connect() as conn:
                try:
                    result = conn.execution_options(stream_results=True).execute(
                        sa.text(sql), params
                    )
                except sa.exc.SQLAlchemyError as exc:
                    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                    raise SourceError(
                        f"{self.name}: query failed on {redact(self.url)}: {reason}".replace(
                            self.url, redact(self.url)
                        )
                    ) from None
                line = 0
                while True:
                    rows = result.fetchmany(self.batch_rows)
                    if not rows:
                        break
                    batch = []
                    for row in rows:
                        line += 1
                        data = dict(row._mapping)
                        if self.cursor_column:
                            self._track(data.get(self.cursor_column))
                        batch.append(RawRow(self.name, line, data))
                    yield batch
        except sa.exc.OperationalError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise SourceError(f"{self.name}: cannot reach {redact(self.url)}: {reason}") from None
        finally:
            engine.dispose()

    def _track(self, value: Any) -> None:
        if value is None:
            return
        if self._max_value is None or value > self._max_value:
            self._max_value = value
            self.max_cursor = encode_cursor(value)


def load_sources(path: str | Path) -> list[dict[str, Any]]:
    """A YAML source file: ``sources:`` list of {name, url, query, kind, mapping, cursor_column}.
    ``${VAR}`` in a URL is read from the environment, so passwords stay out of the file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: source file not found") from None
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: not valid YAML: {exc}") from None
    entries = raw.get("sources") if isinstance(raw, dict) else raw
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"{path}: expected 'sources:' with a list of {{name, url, query, kind}}")
    sources = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise SourceError(f"{path}: source {n} must be a dict")
        live = entry.get("connector")
        if live is not None and live not in LIVE_CONNECTORS:
            raise SourceError(
                f"{path}: source {n} ({entry.get('name', 'unnamed')}): unknown connector "
                f"{str(live)!r}: use one of {', '.join(LIVE_CONNECTORS)}"
            )
        needs = () if "path" in entry or live else ("url", "query")
        missing = [k for k in needs if not entry.get(k)]
        if missing:
            raise SourceError(
                f"{path}: source {n} ({entry.get('name', 'unnamed')}) needs {', '.join(missing)}"
            )
        resolved = dict(entry)
        resolved.setdefault("name", f"{path.stem}-{n}")
        if "url" in resolved and not live:
            resolved["url"] = _expand_env(str(resolved["url"]), path, n)
        for key in ("mapping", "path"):
            if resolved.get(key):
                target = Path(str(resolved[key]))
                resolved[key] = str(target if target.is_absolute() else path.parent / target)
        sources.append(resolved)
    return sources


def _expand_env(url: str, path: Path, n: int) -> str:
    def sub(match: re.Match) -> str:
        var = match.group(1)
        if var not in os.environ:
            raise SourceError(
                f"{path}: source {n} uses ${{{var}}} but it is not set in the environment"
            )
        return os.environ[var]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, url)
