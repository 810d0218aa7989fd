"""`c360 demo`: generate the sample company, ingest it through the real file connector, and
show a few briefs. Works on a fresh machine with no configuration (embedded SQLite and Chroma
under the data directory, .c360 by default).

Re-running is fast: the generated files are byte-identical for the same seed and anchor day,
and the anchor is remembered in ``demo.json`` beside them, so the second ingest finds every
record unchanged and embeds nothing. The demo's own questions are not logged as moments
(``log=False``) for the same reason; `c360 ask` and `c360 brief` log theirs.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from c360.commands import PROGRESS, Command, add_commands, option
from c360.domain import Asker

MANIFEST = "demo.json"

# What the demo shows, and why each one.
SHOWCASE = [
    ("brief", "Acme Corp", "a key account with open complaints and a trend turning negative"),
    ("ask", "What's going on with Acme?", "two customers fit ('Acme Corp', 'Acme Corporation Ltd'): c360 asks instead of guessing"),
    ("ask", "Did Initech Systems get the refund for the duplicate invoice?", "a specific question, answered from that customer's own records"),
]  # fmt: skip


def register(sub) -> None:
    add_commands(sub, [
        Command(
            "demo", "generate a sample company, ingest it and show a few briefs", run,
            description="""
                Generate a realistic sample company (customers with look-alike names, two years
                of calls, emails, meetings, notes, chats and complaints), write it as canonical
                files, ingest them and print a few briefs. Deterministic for a given --seed and
                --today.
            """,
            options=[
                option("--dir", type=Path, help="where to write the files (default: <data dir>/demo-input)"),
                option("--customers", type=int, default=300, help="number of customers (default 300, at least 10)"),
                option("--seed", type=int, default=7, help="random seed (default 7)"),
                option(
                    "--today", type=date.fromisoformat,
                    help="anchor day YYYY-MM-DD; all dates fall in the two years before it "
                    "(default: the day of the first run in this directory, else today)",
                ),
                option("--no-briefs", action="store_true", help="generate and ingest only"),
                PROGRESS,
            ],
        ),
    ])  # fmt: skip


def run(args, container) -> int:
    from c360.services.demo import DemoCompany

    if args.customers < 10:
        print(
            "c360 demo: --customers must be at least 10 (the demo plants 10 look-alike accounts)",
            file=sys.stderr,
        )
        return 2
    directory = args.dir or container.settings.data_dir / "demo-input"
    today = args.today or _remembered_anchor(directory, args.customers, args.seed) or date.today()

    company = DemoCompany(customers=args.customers, seed=args.seed, today=today)
    paths = company.write(directory)
    (directory / MANIFEST).write_text(
        json.dumps(
            {"customers": args.customers, "seed": args.seed, "today": today.isoformat()}, indent=2
        )
        + "\n"
    )
    counts = {kind: _rows(path) for kind, path in paths.items()}
    print(
        f"Generated a sample company in {directory} (seed {args.seed}, dates up to {today}): "
        f"{counts['customers']} customers, {counts['moments']} moments, {counts['complaints']} complaints."
    )

    print(f"Ingesting into {container.settings.data_dir} ...")
    summary = container.ingest.ingest_paths(
        [paths["customers"], paths["moments"], paths["complaints"]], progress=args.progress
    )
    for error in summary.errors:
        print(f"rejected {error}", file=sys.stderr)
    print(summary.describe())
    if not summary.completed:
        return 1

    if not args.no_briefs:
        from c360.safety.terminal import printable

        asker = Asker(id="demo", name="c360 demo", channel="cli")
        for op, ref, why in SHOWCASE:
            shown = f'c360 {op} "{ref}"'
            print()
            print(f"── {shown} ── ({why})")
            result = (
                container.briefs.brief(ref, asker, log=False)
                if op == "brief"
                else container.briefs.ask(ref, asker, log=False)
            )
            print(printable(result.answer.rstrip()))

    print()
    print("Try next:")
    print('  c360 ask "Which open complaints does Globex Industries have?"')
    print('  c360 brief "Acme Corporation Ltd"      # the look-alike, with its own records only')
    print("  c360 brief C-1004 --json                 # by id, as JSON")
    print(
        f"  c360 ingest {directory}/moments.jsonl     # again: nothing changes, nothing is embedded"
    )
    return 0


def _remembered_anchor(directory: Path, customers: int, seed: int) -> date | None:
    """The anchor of an earlier demo in this directory with the same shape, so re-running on
    another day regenerates identical files instead of shifting every date."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("customers") != customers or manifest.get("seed") != seed:
        return None
    try:
        return date.fromisoformat(manifest["today"])
    except (KeyError, TypeError, ValueError):
        return None


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix == ".csv" else lines
