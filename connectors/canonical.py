"""The canonical format: a raw row (column -> value) of one kind -> a domain record.

Parsing is strict and explains itself: every problem raises ``RowProblem`` with a reason a
user can act on ("occurred_at '2024-13-01' is not a date: use ISO 8601 ..."). Columns not in
the canonical set are kept (customers/complaints: ``attributes``; moments: ``meta``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from c360.domain import (
    CHANNELS,
    COMPLAINT_STATUSES,
    DIRECTIONS,
    ORIGINS,
    Complaint,
    Customer,
    Moment,
    Record,
)
from c360.safety.escaping import URL_MAX, is_web_url
from c360.safety.terminal import printable

KIND_ALIASES = {
    "customer": "customer",
    "customers": "customer",
    "moment": "moment",
    "moments": "moment",
    "complaint": "complaint",
    "complaints": "complaint",
}

FIELDS = {
    "customer": (
        "customer_id", "name", "aliases", "domain", "emails", "segment", "plan", "arr", "owner",
        "region", "created_at", "attributes", "url",
    ),
    "moment": (
        "moment_id", "customer_id", "occurred_at", "channel", "direction", "author", "text", "tags",
        "origin", "meta", "url",
    ),
    "complaint": (
        "complaint_id", "customer_id", "opened_at", "category", "text", "status", "resolved_at",
        "resolution", "severity", "attributes", "url",
    ),
}  # fmt: skip
EXTRA_FIELD = {"customer": "attributes", "moment": "meta", "complaint": "attributes"}
ID_FIELDS = ("customer_id", "moment_id", "complaint_id")

# Dates a record can carry: nothing before 1900, and nothing that has not happened yet (a day of
# slack for clocks and time zones). A far-future date would otherwise read as the latest moment.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# A value quoted in a rejection reason is cut to this many characters.
QUOTE_CHARS = 40
_WHITESPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


class RowProblem(ValueError):
    """Why a row cannot become a record."""


def quoted(value: Any) -> str:
    """A field value as a rejection reason may show it: control characters and escape sequences
    removed, whitespace folded, cut to ``QUOTE_CHARS`` characters, in quotes. Only short fields
    (ids, dates, numbers, enum values) are ever quoted; free text (text, name, notes,
    resolution) never is."""
    text = _WHITESPACE.sub(" ", printable(str(value))).strip()
    text = _SURROGATE.sub("?", text)
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1] + "…"
    return repr(text)


def normalise_kind(kind: str) -> str:
    try:
        return KIND_ALIASES[kind.strip().lower()]
    except KeyError:
        raise RowProblem(
            f"unknown kind {quoted(kind)}: use customers, moments or complaints"
        ) from None


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _scalar(value: Any, field: str) -> Any:
    """``value`` when it is one plain value: not a list or object (JSON), not NaN/infinity."""
    if type(value) is str:  # the common case, first
        return value
    if isinstance(value, dict | list | tuple | set):
        shape = "an object" if isinstance(value, dict) else "a list"
        raise RowProblem(f"{field} is {shape}, not a single value")
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise RowProblem(f"{field} is {quoted(value)}, not a finite value")
    return value


def text_value(value: Any, field: str = "value") -> str | None:
    if blank(value):
        return None
    value = _scalar(value, field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id read as 3571115.0 is still "3571115"
    return str(value).strip()


def list_value(value: Any, field: str = "value") -> list[str]:
    """A list, or a ';'-separated string (CSV cells)."""
    if blank(value):
        return []
    if isinstance(value, list | tuple):
        return [str(_scalar(v, field)).strip() for v in value if not blank(v)]
    value = _scalar(value, field)
    return [part.strip() for part in str(value).split(";") if part.strip()]


def url_value(value: Any, field: str = "url") -> str | None:
    """A link a person can open: an absolute http(s) address without spaces, quotes or Slack's
    control characters (``<``, ``>``, ``|``), at most ``URL_MAX`` characters. Anything else
    (``javascript:``, a relative path, ``<!channel>``) is refused with the reason, never stored:
    a link is rendered as ``<url|label>`` in Slack, where such a value could break out."""
    text = text_value(value, field)
    if text is None:
        return None
    if len(text) > URL_MAX:
        raise RowProblem(f"{field} is {len(text)} characters long (at most {URL_MAX})")
    if not is_web_url(text):
        raise RowProblem(
            f"{field} {quoted(text)} is not a web address: use an absolute http:// or https:// "
            "address without spaces, quotes, <, > or |"
        )
    return text


def parse_datetime(value: Any, field: str, now: datetime | None = None) -> datetime:
    """ISO 8601 (date-only accepted); a datetime without offset is taken as UTC. Dates before
    1900, and (given ``now``) more than a day after now, are rejected."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        raw = str(_scalar(value, field)).strip()
        try:
            parsed = datetime.fromisoformat(
                raw.replace("Z", "+00:00") if raw.endswith("Z") else raw
            )
        except ValueError:
            raise RowProblem(
                f"{field} {quoted(raw)} is not a date: use ISO 8601 (2024-05-01 or 2024-05-01T14:30:00+02:00), "
                "or give a date format in the mapping file"
            ) from None
    try:
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable moment
        raise RowProblem(f"{field} {quoted(value)} is out of range: check the date") from None
    if parsed < EARLIEST:
        raise RowProblem(f"{field} {quoted(value)} is before 1900: check the date")
    if now is not None and parsed > now + FUTURE_SLACK:
        raise RowProblem(
            f"{field} {quoted(value)} is in the future (after {now.date().isoformat()}): "
            "check the date and its time zone"
        )
    return parsed


def _optional_datetime(value: Any, field: str, now: datetime | None = None) -> datetime | None:
    return None if blank(value) else parse_datetime(value, field, now)


def _required(row: dict[str, Any], field: str, kind: str) -> Any:
    value = row.get(field)
    if blank(value):
        raise RowProblem(f"missing required field {field!r} for a {kind}")
    return value


def _enum(value: Any, field: str, allowed: tuple[str, ...], default: str) -> str:
    if blank(value):
        return default
    normalised = str(_scalar(value, field)).strip().lower().replace(" ", "_").replace("-", "_")
    if normalised not in allowed:
        raise RowProblem(f"{field} {quoted(value)} is not one of: {', '.join(allowed)}")
    return normalised


def _number(value: Any, field: str) -> float | None:
    if blank(value):
        return None
    value = _scalar(value, field)
    if isinstance(value, bool):
        raise RowProblem(f"{field} {quoted(value)} is not a number")
    try:
        if isinstance(value, int | float | Decimal):
            number = float(value)
        else:
            number = float(str(value).replace(",", "").strip())
    except (ValueError, OverflowError):
        raise RowProblem(f"{field} {quoted(value)} is not a number") from None
    if not math.isfinite(number):
        raise RowProblem(f"{field} {quoted(value)} is not a finite number")
    return number


def _extras(row: dict[str, Any], kind: str) -> dict[str, Any]:
    known = set(FIELDS[kind])
    extra_field = EXTRA_FIELD[kind]
    extras: dict[str, Any] = {}
    given = row.get(extra_field)
    if isinstance(given, dict):
        extras.update({k: v for k, v in given.items() if not blank(v)})
    for key, value in row.items():
        if key in known or blank(value) or key is None:
            continue
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, str):
            value = value.strip()
        elif not isinstance(value, int | float | list | dict):
            value = str(value)  # a database's UUID, time, interval...: stored as text
        extras[str(key)] = value
    return extras


def _check_values(value: Any, path: tuple = ()) -> None:
    """Every value, nested ones included, can be stored: no NaN/infinity (JSON ``NaN``) and no
    unpaired surrogate (a JSON ``"\\ud800"`` escape). Reasons name the field (``path``, the keys
    down to the value), never the text; the name is only built for a reason."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise RowProblem(f"{_field(path)} holds an unpaired surrogate escape (not valid text)")
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise RowProblem(f"{_field(path)} is {quoted(value)}, not a finite number")
    elif isinstance(value, dict) and len(path) < 20:
        for key, inner in value.items():
            _check_values(key, (*path, "(a key)"))
            _check_values(inner, (*path, key))
    elif isinstance(value, list | tuple) and len(path) < 20:
        for inner in value:
            _check_values(inner, path)


def _field(path: tuple) -> str:
    return ".".join(quoted(key)[1:-1] for key in path) or "value"


def _text(row: dict[str, Any], field: str, kind: str) -> str:
    return str(_scalar(_required(row, field, kind), field)).strip()


def parse_record(kind: str, row: dict[str, Any], now: datetime | None = None) -> Record:
    """One canonical row -> a domain record, or RowProblem saying what is wrong. With ``now``,
    an occurred_at / opened_at more than a day after it is rejected."""
    kind = normalise_kind(kind)
    for key, value in row.items():
        if type(value) is str and value.isascii():  # the common case: nothing to check
            continue
        if value is not None:
            _check_values(value, (key,))
    if kind == "customer":
        return Customer(
            customer_id=text_value(_required(row, "customer_id", kind), "customer_id"),
            name=_text(row, "name", kind),
            aliases=list_value(row.get("aliases"), "aliases"),
            domain=text_value(row.get("domain"), "domain"),
            emails=list_value(row.get("emails"), "emails"),
            segment=text_value(row.get("segment"), "segment"),
            plan=text_value(row.get("plan"), "plan"),
            arr=_number(row.get("arr"), "arr"),
            owner=text_value(row.get("owner"), "owner"),
            region=text_value(row.get("region"), "region"),
            created_at=_optional_datetime(row.get("created_at"), "created_at"),
            attributes=_extras(row, kind),
            url=url_value(row.get("url")),
        )
    if kind == "moment":
        return Moment(
            moment_id=text_value(_required(row, "moment_id", kind), "moment_id"),
            customer_id=text_value(_required(row, "customer_id", kind), "customer_id"),
            occurred_at=parse_datetime(_required(row, "occurred_at", kind), "occurred_at", now),
            text=_text(row, "text", kind),
            channel=_enum(row.get("channel"), "channel", CHANNELS, "other"),
            direction=_enum(row.get("direction"), "direction", DIRECTIONS, "inbound"),
            author=text_value(row.get("author"), "author"),
            tags=list_value(row.get("tags"), "tags"),
            origin=_enum(row.get("origin"), "origin", ORIGINS, "data"),
            meta=_extras(row, kind),
            url=url_value(row.get("url")),
        )
    return Complaint(
        complaint_id=text_value(_required(row, "complaint_id", kind), "complaint_id"),
        customer_id=text_value(_required(row, "customer_id", kind), "customer_id"),
        opened_at=parse_datetime(_required(row, "opened_at", kind), "opened_at", now),
        text=_text(row, "text", kind),
        category=text_value(row.get("category"), "category"),
        status=_enum(row.get("status"), "status", COMPLAINT_STATUSES, "open"),
        resolved_at=_optional_datetime(row.get("resolved_at"), "resolved_at"),
        resolution=text_value(row.get("resolution"), "resolution"),
        severity=text_value(row.get("severity"), "severity"),
        attributes=_extras(row, kind),
        url=url_value(row.get("url")),
    )


def validate_record(record: Record) -> None:
    """Checks for records built in-process (add_records) rather than parsed from a row."""
    kind = record.kind
    id_field = {"customer": "customer_id", "moment": "moment_id", "complaint": "complaint_id"}[kind]
    if blank(getattr(record, id_field)):
        raise RowProblem(f"missing required field {id_field!r} for a {kind}")
    if record.url is not None:
        url_value(record.url)
    if kind == "customer":
        if blank(record.name):
            raise RowProblem("missing required field 'name' for a customer")
        return
    if blank(record.customer_id):
        raise RowProblem(f"missing required field 'customer_id' for a {kind}")
    if blank(record.text):
        raise RowProblem(f"missing required field 'text' for a {kind}")
    if kind == "moment":
        if not isinstance(record.occurred_at, datetime):
            raise RowProblem("missing required field 'occurred_at' for a moment")
        _enum(record.channel, "channel", CHANNELS, "other")
        _enum(record.direction, "direction", DIRECTIONS, "inbound")
        _enum(record.origin, "origin", ORIGINS, "data")
    else:
        if not isinstance(record.opened_at, datetime):
            raise RowProblem("missing required field 'opened_at' for a complaint")
        _enum(record.status, "status", COMPLAINT_STATUSES, "open")
