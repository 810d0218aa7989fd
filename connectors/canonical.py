"""The canonical format: a raw row (column -> value) of one kind -> a domain record.

Parsing is strict and explains itself: every problem raises ``RowProblem`` with a reason a
user can act on ("occurred_at '2024-13-01' is not a date: use ISO 8601 ..."). Columns not in
the canonical set are kept (customers/complaints: ``attributes``; moments: ``meta``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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
        "region", "created_at", "attributes",
    ),
    "moment": (
        "moment_id", "customer_id", "occurred_at", "channel", "direction", "author", "text", "tags",
        "origin", "meta",
    ),
    "complaint": (
        "complaint_id", "customer_id", "opened_at", "category", "text", "status", "resolved_at",
        "resolution", "severity", "attributes",
    ),
}  # fmt: skip
EXTRA_FIELD = {"customer": "attributes", "moment": "meta", "complaint": "attributes"}


class RowProblem(ValueError):
    """Why a row cannot become a record."""


def normalise_kind(kind: str) -> str:
    try:
        return KIND_ALIASES[kind.strip().lower()]
    except KeyError:
        raise RowProblem(f"unknown kind {kind!r}: use customers, moments or complaints") from None


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_value(value: Any) -> str | None:
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id read as 3571115.0 is still "3571115"
    return str(value).strip()


def list_value(value: Any) -> list[str]:
    """A list, or a ';'-separated string (CSV cells)."""
    if blank(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if not blank(v)]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def parse_datetime(value: Any, field: str) -> datetime:
    """ISO 8601 (date-only accepted); a datetime without offset is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        raw = str(value).strip()
        try:
            parsed = datetime.fromisoformat(
                raw.replace("Z", "+00:00") if raw.endswith("Z") else raw
            )
        except ValueError:
            raise RowProblem(
                f"{field} {raw!r} is not a date: use ISO 8601 (2024-05-01 or 2024-05-01T14:30:00+02:00), "
                "or give a date format in the mapping file"
            ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _optional_datetime(value: Any, field: str) -> datetime | None:
    return None if blank(value) else parse_datetime(value, field)


def _required(row: dict[str, Any], field: str, kind: str) -> Any:
    value = row.get(field)
    if blank(value):
        raise RowProblem(f"missing required field {field!r} for a {kind}")
    return value


def _enum(value: Any, field: str, allowed: tuple[str, ...], default: str) -> str:
    if blank(value):
        return default
    normalised = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if normalised not in allowed:
        raise RowProblem(f"{field} {str(value)!r} is not one of: {', '.join(allowed)}")
    return normalised


def _number(value: Any, field: str) -> float | None:
    if blank(value):
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        raise RowProblem(f"{field} {str(value)!r} is not a number") from None


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
        extras[str(key)] = value
    return extras


def parse_record(kind: str, row: dict[str, Any]) -> Record:
    """One canonical row -> a domain record, or RowProblem saying what is wrong."""
    kind = normalise_kind(kind)
    if kind == "customer":
        return Customer(
            customer_id=text_value(_required(row, "customer_id", kind)),
            name=text_value(_required(row, "name", kind)),
            aliases=list_value(row.get("aliases")),
            domain=text_value(row.get("domain")),
            emails=list_value(row.get("emails")),
            segment=text_value(row.get("segment")),
            plan=text_value(row.get("plan")),
            arr=_number(row.get("arr"), "arr"),
            owner=text_value(row.get("owner")),
            region=text_value(row.get("region")),
            created_at=_optional_datetime(row.get("created_at"), "created_at"),
            attributes=_extras(row, kind),
        )
    if kind == "moment":
        return Moment(
            moment_id=text_value(_required(row, "moment_id", kind)),
            customer_id=text_value(_required(row, "customer_id", kind)),
            occurred_at=parse_datetime(_required(row, "occurred_at", kind), "occurred_at"),
            text=str(_required(row, "text", kind)).strip(),
            channel=_enum(row.get("channel"), "channel", CHANNELS, "other"),
            direction=_enum(row.get("direction"), "direction", DIRECTIONS, "inbound"),
            author=text_value(row.get("author")),
            tags=list_value(row.get("tags")),
            origin=_enum(row.get("origin"), "origin", ORIGINS, "data"),
            meta=_extras(row, kind),
        )
    return Complaint(
        complaint_id=text_value(_required(row, "complaint_id", kind)),
        customer_id=text_value(_required(row, "customer_id", kind)),
        opened_at=parse_datetime(_required(row, "opened_at", kind), "opened_at"),
        text=str(_required(row, "text", kind)).strip(),
        category=text_value(row.get("category")),
        status=_enum(row.get("status"), "status", COMPLAINT_STATUSES, "open"),
        resolved_at=_optional_datetime(row.get("resolved_at"), "resolved_at"),
        resolution=text_value(row.get("resolution")),
        severity=text_value(row.get("severity")),
        attributes=_extras(row, kind),
    )


def validate_record(record: Record) -> None:
    """Checks for records built in-process (add_records) rather than parsed from a row."""
    kind = record.kind
    id_field = {"customer": "customer_id", "moment": "moment_id", "complaint": "complaint_id"}[kind]
    if blank(getattr(record, id_field)):
        raise RowProblem(f"missing required field {id_field!r} for a {kind}")
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
