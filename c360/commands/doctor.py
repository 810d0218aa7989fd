"""`c360 doctor [--repair] [--json]`: compare the store with the vector index and the ingest
runs; exit 0 when healthy, 1 when not (after repairing, with --repair)."""

from __future__ import annotations

import json


def register(sub) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check that the vector index equals the store and every ingest run finished",
        description=(
            "Counts missing_vectors (store chunks not in Chroma), orphan_vectors (Chroma ids with "
            "no chunk in the store), stale_vectors (Chroma's customer, record or text differ "
            "from the store), unfinished_runs (ingests whose process died) and, for "
            "information, suspicious_records (text addressed to an AI). Exit 0 when the first "
            "four are 0, else 1. --repair fixes them from the stored vectors (no embedding)."
        ),
    )
    parser.add_argument(
        "--repair", action="store_true", help="make the index equal to the store, close dead runs"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON on stdout")
    parser.set_defaults(func=run)


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
        print(json.dumps(report.to_dict()) if args.json else report.describe())
    return 0 if report.healthy else 1
