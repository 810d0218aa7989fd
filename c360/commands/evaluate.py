"""`c360 eval FILE.jsonl [FILE.jsonl ...]`: score our answers and the plain LangChain baseline on
evaluation items against whatever is ingested (see c360.services.evaluation for the metric
definitions). Several files (the dev set beside the generalization check) are reported one after
the other, each with its own table and per-class figures."""

from __future__ import annotations

import argparse
import json
import sys

from c360.commands import Command, add_commands, option


def register(sub) -> None:
    add_commands(sub, [
        Command(
            "eval", "evaluate answer quality on a JSONL file of items (ours beside the baseline)", _eval,
            description="""
                Runs each item's question through c360 and through the plain LangChain baseline
                (Chroma similarity_search, no customer resolution) and prints resolution,
                clarification, recall@5/@10, MRR, contamination, citation validity, abstention
                and latency. Generate items with eval/make_devset.py.
            """,
            options=[
                option(
                    "file", nargs="+",
                    help="evaluation items, one JSON object a line; several files are reported side by side "
                    "(e.g. eval/devset.jsonl eval/generalization.jsonl)",
                ),
                option("--json", action="store_true", help="print the report as JSON"),
                option(
                    "--baseline", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the LangChain baseline (default: yes)",
                ),
                option("--k", type=int, default=10, help="baseline hits per question (default 10)"),
                option("--limit", type=int, help="only the first N items (of each file)"),
                option("--outcomes", action="store_true", help="with --json: include every item's outcome"),
                option("--show-failures", type=int, default=0, metavar="N", help="list up to N failing item ids per metric"),
                option(
                    "--show-slowest", type=int, default=0, metavar="N",
                    help="list the N slowest items of each system with their latency (where the p95 comes from)",
                ),
            ],
        ),
    ])  # fmt: skip


def _eval(args, container) -> int:
    from c360.services.evaluation import EvalFileError, load_items

    files = [args.file] if isinstance(args.file, str) else list(args.file)
    sets = []
    for path in files:
        try:
            items = load_items(path)
        except FileNotFoundError as exc:
            print(f"c360 eval: {exc}", file=sys.stderr)
            return 2
        except EvalFileError as exc:
            for error in exc.errors:
                print(f"c360 eval: {error}", file=sys.stderr)
            print("c360 eval: fix the lines above; nothing was run", file=sys.stderr)
            return 2
        sets.append((path, items[: args.limit] if args.limit else items))
    if args.k < 1:
        print("c360 eval: --k must be at least 1", file=sys.stderr)
        return 2
    if container.index.count() == 0:
        print(
            f"c360 eval: the index under {container.settings.data_dir} is empty; ingest data first "
            "(c360 ingest ...) or point C360_DATA_DIR at an ingested store",
            file=sys.stderr,
        )
        return 2
    reports = [(path, _run(container, items, args)) for path, items in sets]
    if args.json:
        if len(reports) == 1:  # one file: the report itself, as always
            print(json.dumps(reports[0][1].to_dict(with_outcomes=args.outcomes), indent=2))
        else:
            out = [
                {"file": str(path), **report.to_dict(with_outcomes=args.outcomes)}
                for path, report in reports
            ]
            print(json.dumps({"sets": out}, indent=2))
        return 0
    for n, (path, report) in enumerate(reports):
        if len(reports) > 1:
            print(("\n" if n else "") + f"== {path}")
        _print_report(report, container, args)
    return 0


def _run(container, items, args):
    from c360.services.evaluation import EvaluationService

    service = EvaluationService(container.sessions, container.index, lambda: container.briefs)
    return service.evaluate(
        items, k=args.k, baseline=args.baseline, progress=_progress(len(items), args)
    )


def _print_report(report, container, args) -> None:
    warm = f", warm-up {report.warmup_ms:.0f} ms (not in latency)" if report.warmup_ms else ""
    print(f"{report.items} items, {container.index.count()} indexed chunks, k={report.k}{warm}")
    print(report.table())
    classes = report.class_table()
    if classes:
        print(classes)
    if getattr(args, "show_failures", 0):
        for system in report.systems:
            for metric, ids in system.failures.items():
                if ids:
                    shown = ", ".join(ids[: args.show_failures])
                    print(f"{system.name} {metric}: {len(ids)} failing: {shown}")
    if getattr(args, "show_slowest", 0):
        for system in report.systems:
            slowest = sorted(system.outcomes, key=lambda o: -o.latency_ms)[: args.show_slowest]
            shown = ", ".join(f"{o.item_id} {o.latency_ms:.0f} ms" for o in slowest)
            print(f"{system.name} slowest: {shown}")


def _progress(n_items: int, args):
    """A progress bar on stderr for interactive runs; nothing when piped or --json."""
    if args.json or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=n_items * (2 if args.baseline else 1), unit="q", file=sys.stderr, leave=False)
    return bar.update
