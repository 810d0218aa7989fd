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

import argparse
import csv
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
CFPB_FILE = Path("cfpb") / "complaints_2019_2020_sample.csv"
TELCO_FILE = Path("telco") / "Telco-Customer-Churn.csv"
SEED = 360

# Words that say what kind of legal entity a company is, not which one (dropped for short names).
LEGAL = {
    "inc", "llc", "l", "p", "lp", "llp", "lllp", "ltd", "co", "corp", "corporation", "company",
    "incorporated", "holdings", "holding", "na", "n", "a", "the", "pc", "pa", "plc", "group",
    "intermediate", "and", "&",
}  # fmt: skip
# Words that join a name ("Bank of America"): kept inside a short name, never leading it.
JOINERS = {"of", "and", "&", "the", "de"}
# Tokens too generic to make a name ambiguous in a meaningful way ("Bank" is everyone's).
GENERIC = LEGAL | {
    "bank", "financial", "services", "service", "credit", "capital", "management", "recovery",
    "solutions", "systems", "collection", "collections", "mortgage", "finance", "funding",
    "first", "american", "national", "federal", "union", "consumer", "associates", "partners",
    "portfolio", "receivables", "resources", "group", "agency", "bureau", "law", "office",
    "loan", "loans", "lending", "auto", "card", "debt", "home", "state", "united", "global",
    "assistance", "resolution", "revenue", "advantage", "attorney", "security", "investment",
    "account", "accounts", "asset", "trust", "community", "higher", "education", "student",
    "system", "general", "center", "commercial", "healthcare", "health", "check", "express",
    "action", "source", "firm", "time", "real", "point", "great", "north", "south", "west",
    "east", "southern", "western", "coast", "city", "texas", "nevada", "york", "new",
    "companies", "consultants", "consulting", "professionals", "payment", "payments",
    "foundation", "automated", "incorporated", "professional", "recoveries", "adjustment",
    "adjustments", "receivable", "investments", "residential", "quality", "select", "client",
}  # fmt: skip
# Syllables for company names that are certainly not in the data (abstain items).
SYLLABLES = ["zor", "vex", "quin", "lum", "tra", "mor", "kel", "dax", "ori", "pel", "syl", "nov"]
UNKNOWN_SUFFIXES = ["Lending Partners", "Credit Cooperative", "Savings & Trust", "Finance House"]


# --- ids: the same rules as the ingest mappings ---------------------------------------------
def slug(text: str) -> str:
    """Company name -> customer id. Must equal mappings/cfpb.yml's id rule."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def company_customer_id(company: str) -> str:
    return slug(company)


def complaint_rid(row: dict) -> str:
    return f"complaint:{row['Complaint ID']}"


def response_rid(row: dict) -> str:
    return f"moment:cfpb-resp-{row['Complaint ID']}"


def telco_customer_id(row: dict) -> str:
    return row["customerID"]


# --- reading the data -------------------------------------------------------------------------
class DataMissing(RuntimeError):
    pass


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        raise DataMissing(
            f"{path} not found. The dev set is generated from the shared data set "
            f"(../shared/data beside the repo); pass --data DIR if it lives elsewhere."
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# The same formats as mappings/cfpb.yml: the 2015-2020 sample writes 2020/3/18, the 2023 one 03/22/23.
DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%y", "%m/%d/%Y")


def parse_date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r} (expected one of {', '.join(DATE_FORMATS)})")


def tokens(name: str) -> list[str]:
    return re.findall(r"[a-z0-9&]+", name.lower())


def short_name(company: str, first_tokens: Counter) -> str:
    """What people call the company: its first word when no other company name contains that
    word ("Experian Information Solutions Inc." -> "Experian"), else the name without legal words
    and without a trailing "National Association" ("First National Bank of Omaha")."""
    name = re.sub(r",?\s*national association\s*$", "", company.strip(), flags=re.I)
    words = [w for w in re.split(r"[\s,]+", name) if w]
    core = [
        w
        for w in words
        if re.sub(r"[^a-z0-9&]", "", w.lower()) not in LEGAL or w.lower() in JOINERS
    ]
    while core and core[-1].lower() in JOINERS:
        core.pop()
    core = core or words
    first = re.sub(r"[^a-z0-9]", "", core[0].lower())
    if len(first) >= 5 and first not in GENERIC and first_tokens[first] == 1:
        return _nice(core[0])
    return " ".join(_nice(w) for w in core[:5])


def _nice(word: str) -> str:
    word = word.strip(",")
    if word.lower() in JOINERS:
        return word.lower()
    return word.title() if word.isupper() and word.isalpha() and len(word) > 3 else word


def typo(word: str, rng: random.Random) -> str:
    """One mechanical slip inside the word (never the first letter): drop, swap or double."""
    if len(word) < 5:
        return word.lower()
    pos = rng.randrange(1, len(word) - 1)
    op = rng.choice(["drop", "swap", "double"])
    if op == "drop":
        out = word[:pos] + word[pos + 1 :]
    elif op == "swap":
        out = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    else:
        out = word[:pos] + word[pos] + word[pos:]
    return out.lower() if rng.random() < 0.5 else out


def initials(company: str) -> str | None:
    name = re.sub(r",?\s*national association\s*$", "", company.strip(), flags=re.I)
    significant = [w for w in tokens(name) if w not in LEGAL and w not in JOINERS]
    if len(significant) < 3:
        return None
    return "".join(w[0] for w in significant).upper()


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

    # answer items
    def product_at_company(self, n: int) -> None:
        for company in self.pick_companies(n, 2, 0.35):
            rows = self.by_company[company]
            product = self.rng.choice(sorted({r["Product"] for r in rows}))
            gold = [complaint_rid(r) for r in rows if r["Product"] == product]
            self.add(
                "product", f"What did consumers complain about regarding {product} at {self.short(company)}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

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
            self.add(
                "issue-state",
                f"Any complaints about {row['Issue'].lower()} from {row['State']} for {self.short(company)}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

    def response(self, n: int) -> None:
        for company in self.pick_companies(n, 2, 0.4):
            row = self.rng.choice(self.by_company[company])
            received = parse_date(row["Date received"]).isoformat()
            same = [
                r for r in self.by_company[company]
                if r["Issue"] == row["Issue"] and r["Date received"] == row["Date received"]
            ]  # fmt: skip
            gold = [rid for r in same for rid in (complaint_rid(r), response_rid(r))]
            self.add(
                "response",
                f"How did {self.short(company)} respond to the complaint about {row['Issue'].lower()} received on {received}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

    def latest(self, n: int) -> None:
        for company in self.pick_companies(n, 3, 0.3):
            rows = self.by_company[company]
            newest = max(parse_date(r["Date received"]) for r in rows)
            gold = [complaint_rid(r) for r in rows if parse_date(r["Date received"]) == newest]
            self.add(
                "latest", f"What is the most recent complaint about {self.short(company)}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

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
            rows = self.by_company[company]
            product = self.rng.choice(sorted({r["Product"] for r in rows}))
            gold = [complaint_rid(r) for r in rows if r["Product"] == product]
            self.add(
                "typo", f"what are the {product.lower()} complaints at {misspelt}",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

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
            newest = max(parse_date(r["Date received"]) for r in rows)
            gold = [complaint_rid(r) for r in rows if parse_date(r["Date received"]) == newest]
            self.add(
                "abbreviation", f"What is the latest complaint about {abbrev}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

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
            self.add(
                "description",
                f"What do we know about the company with complaints about {issue.lower()} in {state} via {channel.lower()}?",
                company_customer_id(company), "answer", gold,
            )  # fmt: skip

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
    cfpb_path, telco_path = data_dir / CFPB_FILE, data_dir / TELCO_FILE
    cfpb, telco = read_csv(cfpb_path), read_csv(telco_path)
    cfpb_rows, telco_rows = ci_subset(cfpb, telco, seed)
    written = []
    for source, rows, target in (
        (cfpb_path, cfpb_rows, out_dir / CFPB_FILE),
        (telco_path, telco_rows, out_dir / TELCO_FILE),
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        written.append(target)
    return written


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


def write_jsonl(items: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument(
        "--out",
        type=Path,
        help="output JSONL (default eval/devset.jsonl, or eval/ci_slice.jsonl with --ci)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--cfpb",
        type=Path,
        metavar="CSV",
        help="another CFPB export instead of the 2015-2020 sample (the independent check on the "
        "2023 file); ingest that same file into the store you evaluate against",
    )
    parser.add_argument(
        "--ci", action="store_true", help="generate the small CI slice instead of the dev set"
    )
    parser.add_argument(
        "--write-subset",
        type=Path,
        metavar="DIR",
        help="write the CI slice's data subset (CSVs) to DIR and exit",
    )
    args = parser.parse_args(argv)
    if args.cfpb and (args.ci or args.write_subset):
        parser.error(
            "--cfpb makes a dev set from another file; the CI slice is fixed to the sample"
        )
    try:
        if args.write_subset:
            for path in write_subset(args.data, args.write_subset, args.seed):
                print(path)
            return 0
        if args.ci:
            items = build_ci_slice(args.data, args.seed)
            out = args.out or REPO / "eval" / "ci_slice.jsonl"
        else:
            cfpb_path = args.cfpb or args.data / CFPB_FILE
            items = build_devset(read_csv(cfpb_path), read_csv(args.data / TELCO_FILE), args.seed)
            out = args.out or REPO / "eval" / "devset.jsonl"
    except DataMissing as exc:
        print(f"make_devset: {exc}", file=sys.stderr)
        return 2
    write_jsonl(items, out)
    counts = Counter(item["kind"] for item in items)
    print(
        f"wrote {len(items)} items to {out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
