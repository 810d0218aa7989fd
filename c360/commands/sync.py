"""`c360 sync` and `c360 sources`: the live sources of a sources file.

- ``c360 sync --source FILE [--name SOURCE] [--full] [--json]``: one pass over the sources in
  FILE (API sources, files and SQL queries alike); exit 0 when every source completed, 1 when
  one failed (the others still ran; committed pages stay), 2 for a bad command line or file.
- ``c360 sources [--json]``: each source's name, connector, last success, cursor, records
  seen and last error, and whether it is stale (older than 3x its interval) or failing.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from c360.commands import Command, add_commands, option
from c360.safety.terminal import printable


def register(sub) -> None:
    add_commands(sub, [
        Command(
            "sync", "read the sources of a sources file once (Slack, HubSpot, Zendesk, files, SQL)", run_sync,
            description="""
                One pass over the sources listed in FILE. API sources continue from their stored
                cursor; --full reads everything again (unchanged records stay as they are).
            """,
            options=[
                option("--source", required=True, metavar="FILE", help="the sources file (YAML)"),
                option("--name", metavar="SOURCE", help="only the source with this name"),
                option("--full", action="store_true", help="ignore the stored cursor: read all"),
                option("--json", action="store_true", help="print the result as JSON on stdout"),
            ],
        ),
        Command("sources", "each synced source: last success, cursor, errors", run_sources, [
            option("--json", action="store_true", help="print JSON instead of a table"),
        ]),
    ])  # fmt: skip


def run_sync(args, container) -> int:
    from connectors.base import SourceError

    try:
        report = container.sync.sync(args.source, name=args.name, full=args.full)
    except SourceError as exc:
        print(f"c360 sync: {printable(str(exc))}", file=sys.stderr)
        if args.json:
            print(json.dumps({"completed": False, "failure": str(exc), "sources": []}))
        return 2
    for source in report.sources:
        for error in source.summary.errors:
            print(printable(f"rejected {error}").replace("\n", " "), file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    else:
        print(printable(report.describe()))
    return 0 if report.completed else 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_sources(args, container) -> int:
    states = container.sync.states()
    rows = [
        {
            "name": s["name"],
            "connector": s["connector"],
            "last_success": _time(s["last_success_at"]),
            "last_attempt": _time(s["last_attempt_at"]),
            "cursor": s["cursor"],
            "records_seen": s["records_seen"],
            "last_error": s["last_error"],
            "interval_seconds": s["interval_seconds"],
            "stale": s["stale"],
            "failing": s["failing"],
        }
        for s in states
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("no source has been synced yet: run c360 sync --source FILE")
        return 0
    for row in rows:
        health = "FAILING" if row["failing"] else "stale" if row["stale"] else "ok"
        cursor = row["cursor"] or "-"
        cursor = cursor if len(cursor) <= 60 else cursor[:57] + "..."
        print(printable(
            f"{row['name']} ({row['connector']}): {health}; last success "
            f"{row['last_success'] or 'never'}; records seen {row['records_seen']}; cursor {cursor}"
            + (f"; last error: {row['last_error']}" if row["last_error"] else "")
        ))  # fmt: skip
    return 0
