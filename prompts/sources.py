"""The wording of freshness in a brief: the "Sources" section that says how fresh each live
source is, and names one that failed or fell behind.

Why it is shaped so:
- One line per source, its name as the sources file gives it plus the system in brackets, so
  the reader knows which system a fact may be missing from.
- "as of" with the UTC time of the last successful sync: the newest fact a brief can hold.
- A source that failed or is older than 3x its interval says so in words ("last synced 3 days
  ago"), first, because a quiet gap is what misleads a reader.
"""

from __future__ import annotations

from datetime import datetime, timedelta

TITLE_SOURCES = "Sources"
SYSTEMS = {"slack": "Slack", "hubspot": "HubSpot", "zendesk": "Zendesk"}


def ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def label(name: str, connector: str) -> str:
    system = SYSTEMS.get(connector, connector)
    return system if name.lower() == system.lower() else f"{system} ({name})"


def source_line(
    name: str,
    connector: str,
    last_success: datetime | None,
    now: datetime,
    failing: bool,
    stale: bool,
) -> str:
    who = label(name, connector)
    if last_success is None:
        return f"{who} has never synced: facts from it are missing"
    when = last_success.strftime("%Y-%m-%d %H:%M UTC")
    if failing:
        return f"{who} failed its last sync; as of {when} ({ago(now - last_success)})"
    if stale:
        return f"{who} last synced {ago(now - last_success)} (as of {when}): it is behind"
    return f"{who} as of {when}"
