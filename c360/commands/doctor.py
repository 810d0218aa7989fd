"""`c360 doctor [--repair] [--json]`: compare the store with the vector index and the ingest
runs; exit 0 when healthy, 1 when not (after repairing, with --repair)."""

from __future__ import annotations

import json

from c360.commands import Command, add_commands, option
from c360.safety.terminal import printable


def register(sub) -> None:
    add_commands(sub, [
        Command(
            "doctor", "check that the vector index equals the store and every ingest run finished", run,
            description="""
                Counts missing_vectors (store chunks not in Chroma), orphan_vectors (Chroma ids
                with no chunk in the store), stale_vectors (Chroma's customer, record or text
                differ from the store), unfinished_runs (ingests whose process died) and, for
                information, suspicious_records (text addressed to an AI). Exit 0 when the first
                four are 0, else 1. --repair fixes them from the stored vectors (no embedding).
                Live sources that failed their last sync or are older than 3x their interval are
                listed as stale sources (stale_sources in --json).
            """,
            options=[
                option("--repair", action="store_true", help="make the index equal to the store, close dead runs"),
                option("--json", action="store_true", help="print the counts as JSON on stdout"),
            ],
        ),
    ])  # fmt: skip


def run(args, container) -> int:
    doctor = container.doctor
    if args.repair:
        before, done, report = doctor.repair()
        if args.json:
            payload = report.to_dict() | {"before": before.counts(), "repaired": done}
            print(json.dumps(payload))
        else:
            print("before repair:\n" + before.describe())
            print(
                "repaired: "
                + ", ".join(f"{key} {value}" for key, value in done.items())
                + "\nafter repair:\n"
                + report.describe()
            )
    else:
        report = doctor.check()
        if args.json:
            print(json.dumps(report.to_dict() | {"stale_sources": _stale_sources(container)}))
        else:
            print(report.describe())
    if not args.json:
        for line in _stale_sources(container, text=True):
            print(printable(line))
    return 0 if report.healthy else 1


def _stale_sources(container, text: bool = False) -> list:
    """Live sources that failed their last sync or are older than 3x their interval
    (informational: the index can be healthy while a source is behind)."""
    from prompts.sources import source_line

    now = container.clock.now()
    bad = [s for s in container.sync.freshness() if s["stale"] or s["failing"]]
    if text:
        return [
            "stale source: " + source_line(s["name"], s["connector"], s["last_success_at"], now,
                                           s["failing"], s["stale"])
            + (f" (last error: {s['last_error']})" if s["failing"] else "")
            for s in bad
        ]  # fmt: skip
    return [
        {"name": s["name"], "connector": s["connector"], "failing": s["failing"],
         "stale": s["stale"], "last_success": s["last_success_at"].isoformat() if s["last_success_at"] else None,
         "last_error": s["last_error"]}
        for s in bad
    ]  # fmt: skip
