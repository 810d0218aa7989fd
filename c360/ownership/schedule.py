"""The rules file's ``digests:`` entries: which channel gets the daily digest of at-risk
accounts, at what local time (``c360.ownership.atrisk`` builds and queues it). Checked on load,
a mistake reported as ``rules.yml:LINE: ...`` like every other rules-file error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, tzinfo
from typing import Any

from c360.clock import zone

DIGEST_DEFAULTS: dict[str, Any] = {
    "channel": None,
    "at": "09:00",
    "tz": "UTC",
    "days": 14,
    "limit": 10,
}
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class DigestSchedule:
    """One ``digests:`` entry: post to ``channel`` once a day after ``at`` (in ``tz``)."""

    channel: str
    at: time
    tz: str = "UTC"
    days: int = 14
    limit: int = 10
    line: int = 0

    @property
    def zone(self) -> tzinfo | None:
        return zone(self.tz)


def parse_digests(source: str, doc: dict[str, Any], error) -> list[DigestSchedule]:
    """The rules file's ``digests:`` list; ``error(line, reason)`` raises the loader's
    ``RulesError`` so a mistake is reported as ``rules.yml:LINE: ...``."""
    raw = doc.get("digests") or []
    if not isinstance(raw, list):
        raise error(doc["__line__"], "`digests:` must be a list of {channel, at, tz, days, limit}")
    out: list[DigestSchedule] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, dict):
            raise error(doc["__line__"], "each digest must be a mapping with at least `channel`")
        line = entry.get("__line__", 0)
        values = dict(DIGEST_DEFAULTS)
        for key, value in entry.items():
            if key == "__line__":
                continue
            if key not in DIGEST_DEFAULTS:
                known = ", ".join(DIGEST_DEFAULTS)
                raise error(line, f"digest: unknown setting {key!r}; known: {known}")
            values[key] = value
        channel = str(values["channel"] or "")
        if not _CHANNEL.match(channel):
            raise error(
                line, f"digest: `channel` must be a Slack channel id (C… or G…), got {channel!r}"
            )
        if channel in seen:
            raise error(line, f"digest: channel {channel} is listed twice; one digest a day each")
        if isinstance(values["at"], int) and not isinstance(values["at"], bool):
            # YAML 1.1 reads an unquoted 09:00 as sexagesimal minutes (540)
            values["at"] = f"{values['at'] // 60:02d}:{values['at'] % 60:02d}"
        match = _AT.match(str(values["at"]))
        if not match:
            raise error(
                line, f'digest: `at` must be a time of day like "09:00", got {values["at"]!r}'
            )
        if zone(values["tz"]) is None and values["tz"] != "UTC":
            raise error(
                line, f"digest: `tz` must be an IANA zone like Europe/Berlin, got {values['tz']!r}"
            )
        for key, low, high in (("days", 1, 365), ("limit", 1, 20)):
            if not isinstance(values[key], int) or not low <= values[key] <= high:
                raise error(line, f"digest: `{key}` must be a whole number from {low} to {high}")
        seen.add(channel)
        at = time(int(match[1]), int(match[2]))
        out.append(
            DigestSchedule(channel, at, str(values["tz"]), values["days"], values["limit"], line)
        )
    return out
