"""The rules file (``rules.yml``): which new records need an owner, and why.

Loading checks every rule and names the line of a mistake (``rules.yml:12: rule 'angry':
unknown setting 'treshold' ...``). Each rule type is one function below (``RULE_CHECKS``):
given the record and what the rules share (the customer, the sentiment score, the store), it
says whether the rule fires and what to fill into its ``reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from c360.domain import Complaint, Customer, Moment
from c360.ownership.schedule import DigestSchedule, parse_digests
from c360.safety.escaping import is_user_id
from retrieval.sentiment import compound

RULE_TYPES = ("new_complaint", "negative_inbound", "repeat_contact", "key_account", "needs_owner")
# Parameters each rule type understands, with defaults. A key not listed here is a typo in the
# rules file and is refused with its line number.
RULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "new_complaint": {"statuses": ["open", "in_progress"]},
    "negative_inbound": {"threshold": -0.3, "channels": None},
    "repeat_contact": {"min_moments": 3, "days": 7},
    "key_account": {"arr_above": None, "threshold": -0.05, "include_complaints": True},
    "needs_owner": {"tags": ["needs-owner", "needs_owner"]},
}


class RulesError(ValueError):
    """A rules file that cannot be used: says which file, which line and what to change."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.source, self.line, self.reason = source, line, reason


@dataclass
class RuleSpec:
    name: str
    type: str
    reason: str
    params: dict[str, Any]
    enabled: bool = True
    line: int = 0


@dataclass
class RulesConfig:
    rules: list[RuleSpec]
    backlog_hours: float = 48
    teams: dict[str, str] = field(default_factory=dict)  # Slack user id -> team
    source: str = "rules.yml"
    # The CRM's owner value (a handle, a name, an e-mail; compared case-insensitively) -> the
    # Slack user id to mention for it, so an escalation pings the account owner.
    owners: dict[str, str] = field(default_factory=dict)
    # Daily digests of at-risk accounts, one per channel (``c360.ownership.atrisk``).
    digests: list[DigestSchedule] = field(default_factory=list)

    def slack_user_for(self, owner: str | None) -> str | None:
        """The Slack user id mapped to a CRM owner value, or None when there is no mapping."""
        if not owner:
            return None
        return self.owners.get(owner.strip().lower())

    def team_of(self, user_id: str | None, fallback: str | None = None) -> str:
        if user_id and user_id in self.teams:
            return self.teams[user_id]
        return fallback or "unassigned"


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_rules_path() -> Path:
    return Path(str(resources.files("c360") / "rules.yml"))


def load_rules(path: str | Path | None = None) -> RulesConfig:
    """Read and check a rules file (default: the packaged ``c360/rules.yml``)."""
    path = Path(path) if path else default_rules_path()
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(
            source,
            0,
            f"cannot read the rules file ({exc.strerror}); set C360_RULES_FILE to an existing YAML file",
        ) from exc
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulesError(
            source,
            (mark.line + 1) if mark else 0,
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(
            source, 1, "expected a mapping with a `rules:` list (see docs/ownership.md)"
        )
    rules: list[RuleSpec] = []
    names: set[str] = set()
    for entry in doc["rules"]:
        if not isinstance(entry, dict):
            raise RulesError(
                source, doc["__line__"], "each rule must be a mapping with name, type and reason"
            )
        line = entry.pop("__line__", 0)
        name, rtype, reason = (
            entry.pop("name", None),
            entry.pop("type", None),
            entry.pop("reason", None),
        )
        enabled = entry.pop("enabled", True)
        if not name or not isinstance(name, str):
            raise RulesError(source, line, "a rule needs a `name`")
        if name in names:
            raise RulesError(
                source, line, f"rule name {name!r} is used twice; names must be unique"
            )
        if rtype not in RULE_TYPES:
            raise RulesError(
                source,
                line,
                f"rule {name!r}: unknown type {rtype!r}; use one of {', '.join(RULE_TYPES)}",
            )
        if not reason or not isinstance(reason, str):
            raise RulesError(
                source,
                line,
                f"rule {name!r}: a `reason` (the sentence the alert shows) is required",
            )
        params = dict(RULE_DEFAULTS[rtype])
        for key, value in entry.items():
            if key not in params:
                raise RulesError(
                    source,
                    line,
                    f"rule {name!r}: unknown setting {key!r} for type {rtype}; known: {', '.join(params) or 'none'}",
                )
            params[key] = value
        _check_params(source, line, name, rtype, params)
        names.add(name)
        rules.append(RuleSpec(name, rtype, reason, params, bool(enabled), line))
    teams: dict[str, str] = {}
    raw_teams = doc.get("teams") or {}
    if not isinstance(raw_teams, dict):
        raise RulesError(
            source, doc["__line__"], "`teams:` must map a team name to a list of Slack user ids"
        )
    for team, members in raw_teams.items():
        if team == "__line__":
            continue
        if not isinstance(members, list):
            raise RulesError(
                source, raw_teams["__line__"], f"team {team!r}: expected a list of Slack user ids"
            )
        for member in members:
            teams[str(member)] = str(team)
    backlog = doc.get("backlog_hours", 48)
    if not isinstance(backlog, int | float) or backlog < 0:
        raise RulesError(source, doc["__line__"], "`backlog_hours` must be a number of hours >= 0")
    owners = _owners(source, doc)
    digests = parse_digests(source, doc, lambda line, reason: RulesError(source, line, reason))
    return RulesConfig(
        rules=rules,
        backlog_hours=float(backlog),
        teams=teams,
        source=source,
        owners=owners,
        digests=digests,
    )


def _owners(source: str, doc: dict[str, Any]) -> dict[str, str]:
    """``owners:`` maps a CRM owner value to a Slack user id (``U…``/``W…``)."""
    raw = doc.get("owners") or {}
    if not isinstance(raw, dict):
        raise RulesError(
            source,
            doc["__line__"],
            "`owners:` must map a CRM owner (name, handle or e-mail) to a Slack user id",
        )
    line = raw.get("__line__", doc["__line__"])
    owners: dict[str, str] = {}
    for owner, user_id in raw.items():
        if owner == "__line__":
            continue
        if not isinstance(user_id, str) or not is_user_id(user_id):
            raise RulesError(
                source,
                line,
                f"owner {str(owner)!r}: {str(user_id)!r} is not a Slack user id (U… or W…; "
                "Slack shows it under the person's profile, More -> Copy member ID)",
            )
        owners[str(owner).strip().lower()] = user_id.strip()
    return owners


def _check_params(source: str, line: int, name: str, rtype: str, params: dict[str, Any]) -> None:
    def number(key: str, low: float | None = None, high: float | None = None) -> None:
        value = params.get(key)
        if value is None:
            return
        if (
            not isinstance(value, int | float)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            bounds = (
                f" between {low} and {high}"
                if high is not None
                else (f" >= {low}" if low is not None else "")
            )
            raise RulesError(
                source, line, f"rule {name!r}: `{key}` must be a number{bounds}, got {value!r}"
            )

    if rtype in ("negative_inbound", "key_account"):
        number("threshold", -1, 1)
    if rtype == "repeat_contact":
        number("min_moments", 2)
        number("days", 1)
    if rtype == "key_account":
        number("arr_above", 0)


# --- one function per rule type ------------------------------------------------------------
@dataclass
class Seen:
    """What the rules share while they look at one record: its customer, its sentiment (scored
    once, on first need, by the one VADER in ``retrieval/sentiment.py``) and the store reads."""

    record: Moment | Complaint
    customer: Customer | None
    key_account_arr: float
    inbound_ids: Callable[[str, Any, Any], list[str]]  # (customer_id, since, until) -> ids
    has_unresolved: Callable[[str, str], bool]  # (customer_id, rule name) -> bool
    repeat_seen: set[str] = field(default_factory=set)  # customers a repeat rule fired for
    _score: float | None = None

    @property
    def score(self) -> float:
        if self._score is None:
            self._score = compound(self.record.text or "")
        return self._score


# A check returns (fired, fields for the reason, citations) or None when the rule does not
# apply to this kind of record.
Outcome = tuple[bool, dict[str, Any], list[str]] | None


def new_complaint(rule: RuleSpec, seen: Seen) -> Outcome:
    record = seen.record
    if not isinstance(record, Complaint):
        return None
    fired = record.status in (rule.params["statuses"] or [])
    fields = {
        "category": record.category or "uncategorised",
        "severity": record.severity or "unspecified",
    }
    return fired, fields, [record.record_id]


def needs_owner(rule: RuleSpec, seen: Seen) -> Outcome:
    record = seen.record
    if not isinstance(record, Moment):
        return None
    tags = {t.lower() for t in record.tags}
    fired = bool((record.meta or {}).get("needs_owner")) or bool(
        tags & {t.lower() for t in rule.params["tags"] or []}
    )
    return fired, {"author": record.author or "someone"}, [record.record_id]


def _inbound(record: Moment | Complaint) -> bool:
    return isinstance(record, Moment) and record.direction == "inbound"


def negative_inbound(rule: RuleSpec, seen: Seen) -> Outcome:
    record = seen.record
    if not _inbound(record):
        return None
    channels = rule.params["channels"]
    fired = (not channels or record.channel in channels) and seen.score <= rule.params["threshold"]
    return fired, {"score": f"{seen.score:+.2f}", "channel": record.channel}, [record.record_id]


def repeat_contact(rule: RuleSpec, seen: Seen) -> Outcome:
    """Raised once per customer (per batch, and until its alert is resolved)."""
    record = seen.record
    if not _inbound(record) or record.customer_id in seen.repeat_seen:
        return None
    days = rule.params["days"]
    since = record.occurred_at - timedelta(days=days)
    ids = seen.inbound_ids(record.customer_id, since, record.occurred_at)
    if len(ids) < rule.params["min_moments"] or seen.has_unresolved(record.customer_id, rule.name):
        return None
    seen.repeat_seen.add(record.customer_id)
    others = [f"moment:{i}" for i in ids if f"moment:{i}" != record.record_id][:3]
    return True, {"count": len(ids), "days": days}, [record.record_id, *others]


def key_account(rule: RuleSpec, seen: Seen) -> Outcome:
    record, customer, p = seen.record, seen.customer, rule.params
    if customer is None:
        return None
    threshold_arr = p["arr_above"] if p["arr_above"] is not None else seen.key_account_arr
    if customer.arr is None or customer.arr <= threshold_arr:
        return None
    fields: dict[str, Any] = {"arr_above": _fmt_money(threshold_arr)}
    if isinstance(record, Complaint):
        fired = bool(p["include_complaints"]) and record.is_open
    else:
        fired = seen.score <= p["threshold"]
        fields["score"] = f"{seen.score:+.2f}"
    return fired, fields, [record.record_id, f"customer:{customer.customer_id}"]


RULE_CHECKS: dict[str, Callable[[RuleSpec, Seen], Outcome]] = {
    "new_complaint": new_complaint,
    "negative_inbound": negative_inbound,
    "repeat_contact": repeat_contact,
    "key_account": key_account,
    "needs_owner": needs_owner,
}


def triggers(rules: list[RuleSpec], seen: Seen) -> list[dict[str, Any]]:
    """The rules ``seen.record`` fires, in file order: ``{rule, reason, citations}`` each."""
    name = seen.customer.name if seen.customer else seen.record.customer_id
    fired: list[dict[str, Any]] = []
    for rule in rules:
        outcome = RULE_CHECKS[rule.type](rule, seen)
        if outcome is None or not outcome[0]:
            continue
        _, fields, cites = outcome
        reason = rule.reason.format_map(_Defaults({"customer": name, **fields}))
        fired.append({"rule": rule.name, "reason": reason, "citations": cites})
    return fired


def _fmt_money(value: float | None) -> str:
    return f"${value:,.0f}" if value is not None else "n/a"


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
