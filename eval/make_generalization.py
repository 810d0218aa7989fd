#!/usr/bin/env python3
"""The generalization check: a second question generator, written apart from make_devset.py.

Its own vocabulary (dates in many forms, relative dates against the item's ``asked_at`` clock,
states by name and by code, role words, plain-words paraphrases of CFPB products, issues and
record states, lower case, typos) over complaints of BOTH CFPB files (the other years are
distractors) and the telco customers. Ground truth comes from the data alone: a description is
an answer item only when every complaint of the whole store that fits it (read broadly: a
paraphrase may mean any of several CFPB values) belongs to one company; when two to four
companies fit, it is an ask-back item; when none does, an abstain item. Nothing here reads the
resolver, and no threshold is ever tuned on these items.

    python eval/make_generalization.py                    # -> eval/generalization.jsonl
    python eval/make_generalization.py --ci               # -> eval/generalization_slice.jsonl
    python eval/make_generalization.py --write-subset DIR # the slice's data subset, as CSVs

Item keys are the ones ``c360 eval`` reads (id, question, customer_id, expect,
gold_record_ids, candidates) plus ``class`` (named | description | partial-id | ask-back |
abstain), an informative ``kind`` and, for relative dates, ``asked_at`` (the eval runs that
question with the brief's clock set to it).
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval import common  # noqa: E402
from eval.common import TELCO_FILE  # noqa: E402
from eval.generalization import questions  # noqa: E402
from eval.generalization.data import CFPB_FILES, SEED, Builder, load_rows  # noqa: E402

OUT = REPO / "eval" / "generalization.jsonl"
CI_OUT = REPO / "eval" / "generalization_slice.jsonl"

# How many items of each class the full set and the CI slice hold.
FULL_COUNTS = {"named": 100, "description": 125, "partial": 32, "askback": 22, "abstain": 36}
CI_COUNTS = {"named": 8, "description": 10, "partial": 6, "askback": 4, "abstain": 6}


def build(cfpb_files: list[list[dict]], telco: list[dict], counts: dict[str, int],
          seed: int = SEED) -> list[dict]:  # fmt: skip
    b = Builder(cfpb_files, telco, seed)
    questions.gen_named(b, counts["named"])
    shared = counts["askback"] // 4
    questions.gen_descriptions(b, counts["description"], counts["askback"] - shared)
    questions.gen_shared_tokens(b, counts["askback"] - b.count("ask-back"))
    questions.gen_partial_ids(b, counts["partial"])
    questions.gen_abstain(b, counts["abstain"])
    return b.items


# --- the CI slice: the same generator over a small subset of the data ----------------------
CI_COMPANIES_PER_FILE = 6
CI_MAX_ROWS = 10  # complaints per company: the slice's store must build in seconds
CI_TELCO = 20


def ci_subset(cfpb_files: list[list[dict]], telco: list[dict], seed: int = SEED):
    """Every complaint of a seeded handful of companies of each file (3-10 complaints each,
    two of them found in both files), and a few telco customers."""
    rng = random.Random(seed)
    keep: set[str] = set()
    counts = [Counter(r["Company"] for r in rows) for rows in cfpb_files]
    both = sorted(set(counts[0]) & set(counts[1]))
    both = [c for c in both if counts[0][c] + counts[1][c] <= CI_MAX_ROWS]
    keep.update(rng.sample(both, min(2, len(both))))
    total = counts[0] + counts[1]
    for cnt in counts:
        mid = sorted(c for c, n in cnt.items() if n >= 3 and total[c] <= CI_MAX_ROWS)
        mid = [c for c in mid if c not in keep]
        keep.update(rng.sample(mid, CI_COMPANIES_PER_FILE))
    subset = [[r for r in rows if r["Company"] in keep] for rows in cfpb_files]
    telco_keep = sorted(rng.sample(telco, CI_TELCO), key=lambda r: r["customerID"])
    return subset, telco_keep


def write_subset(data_dir: Path, out_dir: Path, seed: int = SEED) -> list[Path]:
    """The slice's data as CSVs with the original headers. Returns [cfpb..., telco]."""
    cfpb_files, telco = load_rows(data_dir)
    subset, telco_keep = ci_subset(cfpb_files, telco, seed)
    return common.write_subset(
        data_dir, out_dir, [*zip(CFPB_FILES, subset, strict=True), (TELCO_FILE, telco_keep)]
    )


def build_full(data_dir: Path, seed: int = SEED) -> list[dict]:
    cfpb_files, telco = load_rows(data_dir)
    return build(cfpb_files, telco, FULL_COUNTS, seed)


def build_ci_slice(data_dir: Path, seed: int = SEED) -> list[dict]:
    cfpb_files, telco = load_rows(data_dir)
    subset, telco_keep = ci_subset(cfpb_files, telco, seed)
    return build(subset, telco_keep, CI_COUNTS, seed)


def main(argv: list[str] | None = None) -> int:
    parser = common.generator_parser(
        __doc__,
        SEED,
        "output JSONL (default eval/generalization.jsonl, or eval/generalization_slice.jsonl "
        "with --ci)",
    )
    args = parser.parse_args(argv)

    def make() -> tuple[list[dict], Path]:
        items = (build_ci_slice if args.ci else build_full)(args.data, args.seed)
        return items, args.out or (CI_OUT if args.ci else OUT)

    return common.generate("make_generalization", args, write_subset, make, "class")


if __name__ == "__main__":
    sys.exit(main())
