"""`c360 ingest`: files, SQL queries or a YAML source file -> store + index."""

from __future__ import annotations

import json
import logging
import sys
import traceback

from c360.commands import PROGRESS, Command, add_commands, option
from c360.safety.terminal import printable

log = logging.getLogger(__name__)


def register(sub) -> None:
    add_commands(sub, [
        Command(
            "ingest", "ingest customers, moments and complaints (files or SQL)", run,
            description="""
                Ingest CSV / JSONL / JSON files (kind from the file name: customers.*,
                moments.*, complaints.*, or --kind), a SQL query (--sql URL --query ...), or the
                sources listed in a YAML file (--source). Re-running with the same data changes
                nothing. Rejected rows are listed on stderr as source:line: reason; the rest is
                ingested.
            """,
            options=[
                option("paths", nargs="*", metavar="PATH", help="CSV, JSONL or JSON files"),
                option("--kind", choices=["customers", "moments", "complaints"], help="record kind of every input"),
                option("--mapping", metavar="M.yml", help="column-mapping file (see docs/data-format.md)"),
                option("--sql", metavar="URL", help="SQLAlchemy URL to read from (with --query)"),
                option("--query", help="SQL query whose rows are records (with --sql)"),
                option("--cursor-column", help="with --sql: read only rows where this column grew since the last run"),
                option("--name", help="with --sql: source name (shown in errors as sql:NAME; keys the cursor)"),
                option("--encoding", metavar="NAME", help="text encoding of the files (default utf-8; e.g. latin-1, cp1252)"),
                option("--source", metavar="SOURCES.yml", help="YAML file listing several sources"),
                option("--json", action="store_true", help="print the summary as JSON on stdout"),
                PROGRESS,
            ],
        ),
    ])  # fmt: skip


def run(args, container) -> int:
    from connectors.base import SourceError

    chosen = sum(bool(x) for x in (args.paths, args.sql, args.source))
    if chosen != 1:
        print(
            "c360 ingest: give files (PATH...), or --sql URL --query Q, or --source FILE (exactly one)",
            file=sys.stderr,
        )
        return 2
    if args.sql and not args.query:
        print("c360 ingest: --sql needs --query 'SELECT ...'", file=sys.stderr)
        return 2
    if args.sql and not args.kind and not args.mapping:
        print(
            "c360 ingest: --sql needs --kind (or a --mapping that names the kinds)", file=sys.stderr
        )
        return 2
    if args.encoding and not args.paths:
        print(
            "c360 ingest: --encoding is for files (in a source file: 'encoding:' on a file source)",
            file=sys.stderr,
        )
        return 2
    service = container.ingest
    try:
        if args.source:
            summary = service.ingest_sources(args.source, progress=args.progress)
        elif args.sql:
            summary = service.ingest_sql(
                args.sql, args.query, kind=args.kind, mapping=args.mapping,
                cursor_column=args.cursor_column, source_key=args.name, progress=args.progress,
            )  # fmt: skip
        else:
            summary = service.ingest_paths(
                args.paths,
                kind=args.kind,
                mapping=args.mapping,
                progress=args.progress,
                encoding=args.encoding,
            )
    except SourceError as exc:
        print(f"c360 ingest: {printable(exc)}", file=sys.stderr)
        if args.json:
            print(json.dumps({"completed": False, "failure": str(exc)}))
        return 1
    except Exception as exc:
        # An unexpected error (a database constraint, a bug): its message and traceback may
        # carry record values (an IntegrityError quotes the row), so only its type is shown.
        log.debug("ingest failed:\n%s", "".join(traceback.format_tb(exc.__traceback__)))
        failure = (
            f"stopped by an unexpected {type(exc).__name__} while ingesting "
            f"{_inputs(args)}; batches committed before it are kept, and running the same "
            "ingest again finishes the rest (c360 -v ingest ... logs where it happened)"
        )
        print(f"c360 ingest: {printable(failure)}", file=sys.stderr)
        if args.json:
            print(json.dumps({"completed": False, "failure": failure}))
        return 1
    for error in summary.errors:
        print(printable(f"rejected {error}").replace("\n", " "), file=sys.stderr)
    if summary.failure:
        print(f"c360 ingest: stopped: {printable(summary.failure)}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        print(printable(summary.describe()))
    # 0 when the run completed, rejected rows or not; 1 when it stopped (what was committed
    # before stays, the summary says where it stopped) or nothing could be read.
    return 0 if summary.completed else 1


def _inputs(args) -> str:
    if args.source:
        return f"the sources in {args.source}"
    if args.sql:
        return f"sql:{args.name}" if args.name else "the SQL query"
    return ", ".join(map(str, args.paths))
