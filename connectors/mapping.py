"""Column-mapping files (YAML): ingest an export whose columns have other names, unedited.

A mapping lists *outputs*; each input row can emit several records (a CFPB row -> the company
as a customer, a complaint, and the company's response as an outbound moment). Each output
names its ``kind`` and how to build every canonical field from the row. See
docs/data-format.md for the full reference; in short a field spec is either a column name or
a dict with one source (``column``, ``template``, ``value``) and optional steps applied in
this order: ``null_values`` -> ``map``/``default`` -> ``slug`` -> ``multiply`` -> ``type``
-> ``date_format``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from connectors.base import SourceError
from connectors.canonical import EXTRA_FIELD, RowProblem, blank, normalise_kind, quoted

DATE_FIELDS = {"created_at", "occurred_at", "opened_at", "resolved_at"}
SPEC_KEYS = {
    "column", "template", "value", "map", "default", "slug", "multiply", "type", "date_format",
    "null_values",
}  # fmt: skip
TRAILING_JUNK = " \t\n:;,-–—|/"


@dataclass
class FieldSpec:
    column: str | None = None
    template: list[tuple[str, str | None]] | None = None  # (literal, column) pieces
    value: Any = None
    has_value: bool = False
    value_map: dict[str, Any] | None = None
    default: Any = None
    slug: bool = False
    multiply: float | None = None
    type: str | None = None
    date_formats: list[str] = field(default_factory=list)
    null_values: set[str] = field(default_factory=set)

    def columns(self) -> set[str]:
        cols = {self.column} if self.column else set()
        if self.template:
            cols |= {c for _, c in self.template if c}
        return cols


@dataclass
class Output:
    kind: str
    fields: dict[str, FieldSpec]
    extras: dict[str, FieldSpec]
    when: list[str]
    dedupe: bool


@dataclass
class Mapping:
    name: str
    outputs: list[Output]
    path: Path | None = None

    @property
    def kind(self) -> str | None:
        """The primary kind (of the first output), to order files: customers first."""
        kinds = [o.kind for o in self.outputs]
        return "customer" if "customer" in kinds else (kinds[0] if kinds else None)


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: mapping file not found (nothing was ingested)") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: mapping is not valid YAML: {exc}") from None
    try:
        return parse_mapping(raw, name=path.stem, path=path)
    except (RowProblem, ValueError, TypeError) as exc:
        raise SourceError(f"{path}: {exc} (see docs/data-format.md, 'Mapping files')") from None


def parse_mapping(raw: Any, name: str = "mapping", path: Path | None = None) -> Mapping:
    if not isinstance(raw, dict):
        raise ValueError("a mapping file is a YAML dict with 'outputs:' (or 'kind:' and 'fields:')")
    defaults = {
        "date_formats": _as_list(raw.get("date_formats")),
        "null_values": {str(v) for v in _as_list(raw.get("null_values"))},
    }
    outputs_raw = raw.get("outputs")
    if outputs_raw is None and "fields" in raw:  # one output: kind + fields at the top
        outputs_raw = [
            {
                k: v
                for k, v in raw.items()
                if k in ("kind", "fields", "attributes", "meta", "when", "dedupe")
            }
        ]
    if not isinstance(outputs_raw, list) or not outputs_raw:
        raise ValueError("'outputs' must be a non-empty list of {kind, fields}")
    outputs = []
    for n, out in enumerate(outputs_raw, start=1):
        if (
            not isinstance(out, dict)
            or "kind" not in out
            or not isinstance(out.get("fields"), dict)
        ):
            raise ValueError(f"output {n} needs 'kind' and a 'fields' dict")
        kind = normalise_kind(str(out["kind"]))
        extras_raw = out.get(EXTRA_FIELD[kind]) or out.get("attributes") or out.get("meta") or {}
        if not isinstance(extras_raw, dict):
            raise ValueError(f"output {n}: '{EXTRA_FIELD[kind]}' must be a dict of name: spec")
        outputs.append(
            Output(
                kind=kind,
                fields={
                    f: _spec(s, f, defaults, date=f in DATE_FIELDS)
                    for f, s in out["fields"].items()
                },
                extras={f: _spec(s, f, defaults, date=False) for f, s in extras_raw.items()},
                when=[str(c) for c in _as_list(out.get("when"))],
                dedupe=bool(out.get("dedupe", kind == "customer" and len(outputs_raw) > 1)),
            )
        )
    return Mapping(name=str(raw.get("name") or name), outputs=outputs, path=path)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _spec(raw: Any, target: str, defaults: dict, date: bool) -> FieldSpec:
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        raise ValueError(
            f"field {target!r}: give a column name or a dict (column/template/value ...)"
        )
    unknown = set(raw) - SPEC_KEYS
    if unknown:
        raise ValueError(
            f"field {target!r}: unknown key(s) {sorted(unknown)}; known: {sorted(SPEC_KEYS)}"
        )
    sources = [k for k in ("column", "template", "value") if k in raw]
    if len(sources) != 1:
        raise ValueError(f"field {target!r}: give exactly one of column, template, value")
    spec = FieldSpec(
        column=str(raw["column"]) if "column" in raw else None,
        template=_parse_template(str(raw["template"]), target) if "template" in raw else None,
        value=raw.get("value"),
        has_value="value" in raw,
        value_map={str(k): v for k, v in raw["map"].items()}
        if isinstance(raw.get("map"), dict)
        else None,
        default=raw.get("default"),
        slug=bool(raw.get("slug", False)),
        multiply=float(raw["multiply"]) if raw.get("multiply") is not None else None,
        type=raw.get("type"),
        null_values=set(defaults["null_values"])
        | {str(v) for v in _as_list(raw.get("null_values"))},
    )
    if spec.type not in (None, "str", "int", "float", "bool"):
        raise ValueError(f"field {target!r}: type must be str, int, float or bool")
    formats = _as_list(raw.get("date_format"))
    if formats or date:
        spec.date_formats = [str(f) for f in formats] + [str(f) for f in defaults["date_formats"]]
    return spec


def _parse_template(template: str, target: str) -> list[tuple[str, str | None]]:
    try:
        pieces = [(literal, name) for literal, name, _, _ in string.Formatter().parse(template)]
    except ValueError as exc:
        raise ValueError(f"field {target!r}: bad template {template!r}: {exc}") from None
    return pieces


def render_template(
    pieces: list[tuple[str, str | None]], row: dict[str, Any], null_values: set[str]
) -> str | None:
    """Fill ``{Column}`` placeholders; an empty column drops itself and the separator after it,
    so "{Issue}: {Sub-issue}. {Narrative}" never renders as "Issue: . ".

    Each placeholder owns the literal text that follows it (up to the next placeholder); the
    text before the first placeholder is a prefix kept whenever anything is rendered."""
    if not any(name is not None for _, name in pieces):
        return "".join(literal for literal, _ in pieces) or None
    prefix = pieces[0][0]
    units: list[tuple[str, str]] = []  # (value, the literal that follows it)
    for i, (_, name) in enumerate(pieces):
        if name is None:
            continue
        value = _cell(row, name, null_values)
        following = pieces[i + 1][0] if i + 1 < len(pieces) else ""
        units.append(("" if value is None else str(value).strip(), following))
    kept = [(v, sep) for v, sep in units if v]
    if not kept:
        return None
    body = "".join(v + sep for v, sep in kept)
    return (prefix + body).rstrip(TRAILING_JUNK).strip() or None


def _cell(row: dict[str, Any], column: str, null_values: set[str]) -> Any:
    if column not in row:
        columns = ", ".join(quoted(c)[1:-1] for c in row)
        raise RowProblem(f"column {quoted(column)} is not in this row (columns: {columns[:300]})")
    value = row[column]
    if blank(value) or (isinstance(value, str) and value.strip() in null_values):
        return None
    return value


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """'TRANSUNION INTERMEDIATE HOLDINGS, INC.' -> 'transunion-intermediate-holdings-inc'."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return _SLUG_RE.sub("-", ascii_text.lower()).strip("-")


def evaluate(spec: FieldSpec, row: dict[str, Any], target: str) -> Any:
    if spec.has_value:
        value = spec.value
    elif spec.template is not None:
        value = render_template(spec.template, row, spec.null_values)
    else:
        value = _cell(row, spec.column, spec.null_values)
    if spec.value_map is not None:
        key = None if value is None else str(value).strip()
        value = spec.value_map.get(key, spec.default) if key is not None else spec.default
    elif value is None:
        value = spec.default
    if value is None:
        return None
    if spec.slug:
        value = slugify(value) or None
    if spec.multiply is not None:
        number = _to_float(value, target)
        value = None if number is None else round(number * spec.multiply, 6)
    if spec.type and value is not None:
        value = _convert(value, spec.type, target)
    if spec.date_formats and isinstance(value, str):
        value = _parse_date(value.strip(), spec.date_formats)
    return value


def _to_float(value: Any, target: str) -> float | None:
    if isinstance(value, dict | list):
        raise RowProblem(f"{target}: a list or object is not a number")
    text = value if isinstance(value, int | float) else str(value).replace(",", "").strip()
    if text == "":
        return None
    try:
        return float(text)
    except (ValueError, OverflowError):
        raise RowProblem(f"{target}: {quoted(value)} is not a number") from None


def _convert(value: Any, type_name: str, target: str) -> Any:
    if type_name == "str":
        return str(value)
    if type_name == "bool":
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "y", "t"):
            return True
        if text in ("0", "false", "no", "n", "f"):
            return False
        raise RowProblem(f"{target}: {quoted(value)} is not yes/no")
    number = _to_float(value, target)
    if number is None:
        return None
    return int(number) if type_name == "int" else number


def _parse_date(value: str, formats: list[str]) -> Any:
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        try:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except OverflowError:  # the canonical parser explains it (out of range)
            return value
    return value  # ISO 8601 is still accepted by the canonical parser, which explains failures


def apply_mapping(mapping: Mapping, row: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """One input row -> ``(kind, canonical row, dedupe)`` per output whose ``when`` holds."""
    if "__error__" in row:
        raise RowProblem(row["__error__"])
    results = []
    for out in mapping.outputs:
        if any(_cell(row, col, set()) is None for col in out.when):
            continue
        values: dict[str, Any] = {}
        for target, spec in out.fields.items():
            values[target] = evaluate(spec, row, target)
        extras = {}
        for target, spec in out.extras.items():
            value = evaluate(spec, row, target)
            if value is not None:
                extras[target] = value.isoformat() if isinstance(value, datetime) else value
        values[EXTRA_FIELD[out.kind]] = extras
        results.append((out.kind, values, out.dedupe))
    return results
