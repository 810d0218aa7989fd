#!/usr/bin/env python3
"""Generate the c360 evaluation set mechanically from the real data in ../shared/data.

Every question is a template filled from the data's own fields, and every gold record id is
the id the ingest mapping gives that row (mappings/cfpb.yml, mappings/telco.yml): no answer is
written by hand. The run is seeded, so the same data and seed give byte-identical output.

    python eval/make_devset.py                      # full dev set -> eval/devset.jsonl
    python eval/make_devset.py --ci                 # the CI slice -> eval/ci_slice.jsonl
    python eval/make_devset.py --write-subset DIR   # the CI slice's data subset, as CSVs in DIR
    python eval/make_devset.py --cfpb ../shared/data/cfpb/complaints_2023_payday_personal_loan_narratives.csv \
        --out eval/check2023.jsonl                  # the independent check: same rules, other file

Sources: the 2015-2020 CFPB complaints sample (customer = company) and the IBM telco customers.
The 2023 CFPB file is reserved for independent checks: it is read only when ``--cfpb`` names it,
and nothing here is tuned on it. A file without credit-reporting complaints (the 2023 one is
payday loans only) has no bureaus: it gets no bureau items and no bureau share.

Item kinds (``kind`` field, informative only; ``c360 eval`` reads the other fields):
- answer items: product at company, issue from a state, the company's response to one complaint,
  the latest complaint, typos and abbreviations of the company name, a description without the
  name, telco customer fields. Gold = the records that hold the asked facts.
- clarify items: "the credit bureau" (the three bureaus), and a name token several companies
  share ("Santander"). Expected: no customer picked, the sharing companies listed as candidates.
- abstain items: companies that are not in the data (customer_id null, no candidates), and
  fields the data does not have (whether the consumer disputed, after 2017 always "N/A"; a
  telco customer's e-mail address or phone number). Expected: the answer says it is not in
  the data.
"""

from __future__ import annotations

import random
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval import common  # noqa: E402
from eval.common import TELCO_FILE, parse_day  # noqa: E402
from eval.devset.names import (  # noqa: E402
    GENERIC,
    LEGAL,
    SYLLABLES,
    UNKNOWN_SUFFIXES,
    company_customer_id,
    complaint_rid,
    initials,
    response_rid,
    short_name,
    telco_customer_id,
    tokens,
    typo,
)

CFPB_FILE = Path("cfpb") / "complaints_2019_2020_sample.csv"
SEED = 360


# --- reading the data -------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict]:
    return common.read_csv(path, "the dev set")


# --- the generator ------------------------------------------------------------------------------
class Builder:
    def __init__(self, cfpb: list[dict], telco: list[dict], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.cfpb = sorted(cfpb, key=lambda r: int(r["Complaint ID"]))
        self.telco = sorted(telco, key=lambda r: r["customerID"])
        self.by_company: dict[str, list[dict]] = defaultdict(list)
        for row in self.cfpb:
            self.by_company[row["Company"]].append(row)
        self.companies = sorted(self.by_company)
        # How many company names contain each word: a short name must be a word only one has.
        self.first_tokens = Counter()
        for name in self.companies:
            self.first_tokens.update(set(tokens(name)))
        credit = Counter(
            r["Company"] for r in self.cfpb if r["Product"].startswith("Credit reporting")
        )
        # The bureaus are the companies with the most credit-reporting complaints: data, not a list.
        self.bureaus = [name for name, _ in credit.most_common(3)]
        self.items: list[dict] = []
        self._seen_questions: set[str] = set()

    # helpers
    def short(self, company: str) -> str:
        return short_name(company, self.first_tokens)

    def add(self, kind: str, question: str, customer: str | None, expect: str,
            gold: Iterable[str] = (), candidates: Iterable[str] = ()) -> None:  # fmt: skip
        if question in self._seen_questions:
            return
        self._seen_questions.add(question)
        self.items.append(
            {
                "id": f"{kind}-{sum(1 for i in self.items if i['kind'] == kind) + 1:03d}",
                "kind": kind,
                "question": question,
                "customer_id": customer,
                "expect": expect,
                "gold_record_ids": sorted(set(gold)),
                "candidates": sorted(set(candidates)),
            }
        )

    def pick_companies(self, n: int, min_rows: int, bureau_share: float) -> list[str]:
        """n company draws, about bureau_share of them a bureau (the look-alike twins)."""
        others = [
            c
            for c in self.companies
            if len(self.by_company[c]) >= min_rows and c not in self.bureaus
        ]
        return [
            self.rng.choice(self.bureaus)
            if self.bureaus and self.rng.random() < bureau_share
            else self.rng.choice(others)
            for _ in range(n)
        ]

    def answer(self, kind: str, question: str, company: str, gold: Iterable[str]) -> None:
        """An answer item about a CFPB company: its records ``gold`` hold what is asked."""
        self.add(kind, question, company_customer_id(company), "answer", gold)

    def product_gold(self, company: str) -> tuple[str, list[str]]:
        """One of the company's products, picked, and its complaints of that product."""
        rows = self.by_company[company]
        product = self.rng.choice(sorted({r["Product"] for r in rows}))
        return product, [complaint_rid(r) for r in rows if r["Product"] == product]

    # answer items
    def product_at_company(self, n: int) -> None:
        for company in self.pick_companies(n, 2, 0.35):
            product, gold = self.product_gold(company)
            self.answer("product", f"What did consumers complain about regarding {product} at {self.short(company)}?", company, gold)  # fmt: skip

    def issue_from_state(self, n: int) -> None:
        for company in self.pick_companies(n, 3, 0.4):
            rows = [r for r in self.by_company[company] if r["State"]]
            if not rows:
                continue
            row = self.rng.choice(rows)
            gold = [
                complaint_rid(r)
                for r in rows
                if r["Issue"] == row["Issue"] and r["State"] == row["State"]
            ]
            self.answer("issue-state", f"Any complaints about {row['Issue'].lower()} from {row['State']} for {self.short(company)}?", company, gold)  # fmt: skip

    def response(self, n: int) -> None:
        for company in self.pick_companies(n, 2, 0.4):
            row = self.rng.choice(self.by_company[company])
            received = parse_day(row["Date received"]).isoformat()
            same = [
                r for r in self.by_company[company]
                if r["Issue"] == row["Issue"] and r["Date received"] == row["Date received"]
            ]  # fmt: skip
            gold = [rid for r in same for rid in (complaint_rid(r), response_rid(r))]
            self.answer("response", f"How did {self.short(company)} respond to the complaint about {row['Issue'].lower()} received on {received}?", company, gold)  # fmt: skip

    def latest(self, n: int) -> None:
        for company in self.pick_companies(n, 3, 0.3):
            rows = self.by_company[company]
            newest = max(parse_day(r["Date received"]) for r in rows)
            gold = [complaint_rid(r) for r in rows if parse_day(r["Date received"]) == newest]
            self.answer("latest", f"What is the most recent complaint about {self.short(company)}?", company, gold)  # fmt: skip

    def typos(self, n: int) -> None:
        for company in self.pick_companies(n, 3, 0.4):
            name = self.short(company)
            words = name.split()
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            if len(words[longest]) < 6:
                continue
            words[longest] = typo(words[longest], self.rng)
            misspelt = " ".join(words)
            if misspelt.lower() == name.lower():
                continue
            product, gold = self.product_gold(company)
            self.answer(
                "typo", f"what are the {product.lower()} complaints at {misspelt}", company, gold
            )

    def abbreviations(self, limit: int) -> None:
        by_initials: dict[str, list[str]] = defaultdict(list)
        for company in self.companies:
            abbrev = initials(company)
            if abbrev and len(abbrev) >= 3:
                by_initials[abbrev].append(company)
        unique = [
            (abbrev, names[0]) for abbrev, names in sorted(by_initials.items())
            if len(names) == 1 and len(self.by_company[names[0]]) >= 5
        ]  # fmt: skip
        for abbrev, company in unique[:limit]:
            rows = self.by_company[company]
            newest = max(parse_day(r["Date received"]) for r in rows)
            gold = [complaint_rid(r) for r in rows if parse_day(r["Date received"]) == newest]
            self.answer(
                "abbreviation", f"What is the latest complaint about {abbrev}?", company, gold
            )

    def descriptions(self, n: int) -> None:
        """The company named only by what its complaints say: an (issue, state, channel)
        combination no other company shares."""
        owners: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for row in self.cfpb:
            if row["State"]:
                owners[(row["Sub-issue"] or row["Issue"], row["State"], row["Submitted via"])].add(
                    row["Company"]
                )
        issue_freq = Counter(r["Sub-issue"] or r["Issue"] for r in self.cfpb)
        unique = sorted(
            (key for key, names in owners.items() if len(names) == 1 and issue_freq[key[0]] <= 40),
            key=lambda key: (issue_freq[key[0]], key),
        )
        self.rng.shuffle(unique)
        for issue, state, channel in unique[:n]:
            company = next(iter(owners[(issue, state, channel)]))
            gold = [
                complaint_rid(r) for r in self.by_company[company]
                if (r["Sub-issue"] or r["Issue"]) == issue and r["State"] == state and r["Submitted via"] == channel
            ]  # fmt: skip
            self.answer("description", f"What do we know about the company with complaints about {issue.lower()} in {state} via {channel.lower()}?", company, gold)  # fmt: skip

    def telco_fields(self, n: int) -> None:
        templates = [
            "What is the contract and monthly charge of telco customer {id}?",
            "Which internet service and payment method does telco customer {id} have?",
            "Is telco customer {id} on paperless billing, and what is their tenure?",
        ]
        for row in self.rng.sample(self.telco, min(n, len(self.telco))):
            cid = telco_customer_id(row)
            self.add(
                "telco",
                self.rng.choice(templates).format(id=cid),
                cid,
                "answer",
                [f"customer:{cid}"],
            )

    # clarify items
    def bureau_clarify(self) -> None:
        if not self.bureaus:  # no credit-reporting complaints in this file: no bureaus to ask about
            return
        ids = [company_customer_id(c) for c in self.bureaus]
        for question in (
            "What are consumers saying about the credit bureau?",
            "Show me the latest complaints for the credit reporting agency",
            "Any incorrect information on report complaints at the credit bureau?",
        ):
            self.add("clarify-bureau", question, None, "clarify", candidates=ids)

    def shared_token_clarify(self, n: int) -> None:
        sharing: dict[str, set[str]] = defaultdict(set)
        for company in self.companies:
            for token in set(tokens(company)):
                sharing[token].add(company)
        leading = {
            core[0] for c in self.companies if (core := [t for t in tokens(c) if t not in LEGAL])
        }
        # A token people would use as a name: it leads at least one company's name.
        usable = sorted(
            token for token, names in sharing.items()
            if 2 <= len(names) <= 3 and len(token) >= 5 and token not in GENERIC
            and not token.isdigit() and token in leading
        )  # fmt: skip
        self.rng.shuffle(usable)
        seen_sets: set[frozenset] = set()
        for token in usable:
            names = frozenset(sharing[token])
            # Not when the word is the whole name of one of them ("Sierra Holdings LLC").
            if names in seen_sets or any(
                [t for t in tokens(c) if t not in LEGAL] == [token] for c in names
            ):
                continue
            seen_sets.add(names)
            self.add(
                "clarify-token", f"What complaints do we have for {token.title()}?", None, "clarify",
                candidates=[company_customer_id(c) for c in names],
            )  # fmt: skip
            if len(seen_sets) >= n:
                break

    # abstain items
    def unknown_companies(self, n: int) -> None:
        known = {t for c in self.companies for t in tokens(c)}
        made = 0
        while made < n:
            name = "".join(self.rng.sample(SYLLABLES, 3)).title()
            if name.lower() in known:
                continue
            company = f"{name} {self.rng.choice(UNKNOWN_SUFFIXES)}"
            self.add("abstain-unknown", f"What complaints has {company} received?", None, "abstain")
            made += 1

    def absent_fields(self, n_cfpb: int, n_telco: int) -> None:
        not_recorded = [r for r in self.cfpb if r["Consumer disputed?"] in ("", "N/A")]
        for row in self.rng.sample(not_recorded, min(n_cfpb, len(not_recorded))):
            company = row["Company"]
            self.add(
                "abstain-field",
                f"Did the consumer dispute {self.short(company)}'s response to complaint {row['Complaint ID']}?",
                company_customer_id(company), "abstain",
            )  # fmt: skip
        for row in self.rng.sample(self.telco, min(n_telco, len(self.telco))):
            field = self.rng.choice(["e-mail address", "phone number"])
            cid = telco_customer_id(row)
            self.add(
                "abstain-field", f"What is the {field} of telco customer {cid}?", cid, "abstain"
            )


def build_devset(
    cfpb: list[dict], telco: list[dict], seed: int = SEED, scale: float = 1.0
) -> list[dict]:
    b = Builder(cfpb, telco, seed)
    s = lambda n: max(2, round(n * scale))  # noqa: E731
    b.product_at_company(s(60))
    b.issue_from_state(s(50))
    b.response(s(30))
    b.latest(s(20))
    b.typos(s(30))
    b.abbreviations(s(8))
    b.descriptions(s(20))
    b.telco_fields(s(30))
    b.bureau_clarify()
    b.shared_token_clarify(s(15))
    b.unknown_companies(s(15))
    b.absent_fields(s(15), s(10))
    return b.items


# --- the CI subset ----------------------------------------------------------------------------
CI_BUREAU_ROWS = 40  # per bureau
CI_OTHER_COMPANIES = 12
CI_TELCO = 30


def ci_subset(
    cfpb: list[dict], telco: list[dict], seed: int = SEED
) -> tuple[list[dict], list[dict]]:
    """A fixed slice that ingests in seconds: a seeded sample of each bureau's complaints,
    every complaint of a dozen other companies (including a set sharing a name token, so the
    slice holds an ambiguous name), and a few telco customers."""
    rng = random.Random(seed)
    b = Builder(cfpb, telco, seed)
    keep: list[dict] = []
    for bureau in b.bureaus:
        keep += rng.sample(b.by_company[bureau], CI_BUREAU_ROWS)
    twins = [c for c in b.companies if "santander" in c.lower()]
    mid = [c for c in b.companies if 4 <= len(b.by_company[c]) <= 20 and c not in twins]
    others = twins + rng.sample(mid, CI_OTHER_COMPANIES - len(twins))
    for company in others:
        keep += b.by_company[company]
    keep.sort(key=lambda r: int(r["Complaint ID"]))
    telco_keep = sorted(rng.sample(b.telco, CI_TELCO), key=lambda r: r["customerID"])
    return keep, telco_keep


def write_subset(data_dir: Path, out_dir: Path, seed: int = SEED) -> list[Path]:
    """Write the CI slice's data as CSVs with the original headers (so the same mappings read
    them). Returns [cfpb_csv, telco_csv]."""
    cfpb_rows, telco_rows = ci_subset(
        read_csv(data_dir / CFPB_FILE), read_csv(data_dir / TELCO_FILE), seed
    )
    return common.write_subset(
        data_dir, out_dir, [(CFPB_FILE, cfpb_rows), (TELCO_FILE, telco_rows)]
    )


def build_ci_slice(data_dir: Path, seed: int = SEED) -> list[dict]:
    cfpb_rows, telco_rows = ci_subset(
        read_csv(data_dir / CFPB_FILE), read_csv(data_dir / TELCO_FILE), seed
    )
    b = Builder(cfpb_rows, telco_rows, seed)
    b.product_at_company(10)
    b.issue_from_state(8)
    b.response(5)
    b.latest(4)
    b.typos(5)
    b.telco_fields(6)
    b.bureau_clarify()
    b.shared_token_clarify(2)
    b.unknown_companies(3)
    b.absent_fields(3, 2)
    return b.items


def main(argv: list[str] | None = None) -> int:
    parser = common.generator_parser(
        __doc__, SEED, "output JSONL (default eval/devset.jsonl, or eval/ci_slice.jsonl with --ci)"
    )
    parser.add_argument(
        "--cfpb",
        type=Path,
        metavar="CSV",
        help="another CFPB export instead of the 2015-2020 sample (the independent check on the "
        "2023 file); ingest that same file into the store you evaluate against",
    )
    args = parser.parse_args(argv)
    if args.cfpb and (args.ci or args.write_subset):
        parser.error(
            "--cfpb makes a dev set from another file; the CI slice is fixed to the sample"
        )

    def make() -> tuple[list[dict], Path]:
        if args.ci:
            return build_ci_slice(
                args.data, args.seed
            ), args.out or REPO / "eval" / "ci_slice.jsonl"
        cfpb_path = args.cfpb or args.data / CFPB_FILE
        items = build_devset(read_csv(cfpb_path), read_csv(args.data / TELCO_FILE), args.seed)
        return items, args.out or REPO / "eval" / "devset.jsonl"

    return common.generate("make_devset", args, write_subset, make, "kind")


if __name__ == "__main__":
    sys.exit(main())
