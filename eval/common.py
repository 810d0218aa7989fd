"""What the two question generators (make_devset.py, make_generalization.py) share: where the
data is, reading it, and writing items and data subsets. Plumbing only: each generator keeps its
own vocabulary and its own rules for what an item's answer is, so the generalization check stays
written apart from the dev set."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
TELCO_FILE = Path("telco") / "Telco-Customer-Churn.csv"
# The CFPB exports' date forms (mappings/cfpb.yml): the 2015-2020 sample writes 2020/3/18, the
# 2023 one 03/22/23.
DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d")


class DataMissing(RuntimeError):
    pass


def read_csv(path: Path, made: str) -> list[dict]:
    """The rows of a CSV of the shared data; ``made``: what is generated from it (for the
    error that says where the data should be)."""
    if not path.exists():
        raise DataMissing(
            f"{path} not found: {made} is generated from the shared data set (../shared/data "
            "beside the repo); pass --data DIR if it lives elsewhere"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def parse_day(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r} (expected one of {', '.join(DATE_FORMATS)})")


def write_subset(
    data_dir: Path, out_dir: Path, parts: Iterable[tuple[Path, list[dict]]]
) -> list[Path]:
    """Each (file relative to the data directory, its rows kept) written under ``out_dir`` as a
    CSV with the original header, so the same mappings read it. Returns the paths written."""
    written = []
    for rel, rows in parts:
        with (data_dir / rel).open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        written.append(target)
    return written


def write_jsonl(items: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def generator_parser(doc: str, seed: int, out_help: str) -> argparse.ArgumentParser:
    """The options both generators take: --data, --out, --seed, --ci, --write-subset."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--out", type=Path, help=out_help)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--ci", action="store_true", help="generate the small CI slice instead")
    parser.add_argument(
        "--write-subset", type=Path, metavar="DIR",
        help="write the CI slice's data subset (CSVs, original headers) to DIR and exit",
    )  # fmt: skip
    return parser


def generate(
    name: str,
    args: argparse.Namespace,
    write_data_subset: Callable[[Path, Path, int], list[Path]],
    make: Callable[[], tuple[list[dict], Path]],
    count_by: str,
) -> int:
    """A generator's run: with --write-subset, write the CI slice's data and stop; else make the
    items (``make``: the items and where they go), write them and count them by ``count_by``.
    Exit 2, saying where the data should be, when it is missing."""
    try:
        if args.write_subset:
            for path in write_data_subset(args.data, args.write_subset, args.seed):
                print(path)
            return 0
        items, out = make()
    except DataMissing as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    write_jsonl(items, out)
    counts = Counter(item[count_by] for item in items)
    print(
        f"wrote {len(items)} items to {out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return 0
