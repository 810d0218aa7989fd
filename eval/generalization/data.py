"""The generalization check's data (both CFPB files and the telco customers) and the item
builder: complaints as the questions see them, what fits a description (``Facets``), and the
``Builder`` that keeps items unique and knows which companies a description fits."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz.distance import OSA

from connectors.mapping import slugify  # the ingest mapping's own id rule
from eval import common
from eval.common import TELCO_FILE, parse_day
from eval.generalization.vocabulary import (
    COMMON_WORDS,
    DATE_FORMS,
    LEGAL_WORDS,
    STATE_FORMS,
    STATES,
    STATUS,
    WORD_SLIPS,
    Concept,
)

CFPB_FILES = (
    Path("cfpb") / "complaints_2019_2020_sample.csv",
    Path("cfpb") / "complaints_2023_payday_personal_loan_narratives.csv",
)
SEED = 1313
MAX_CANDIDATES = 4  # an ask-back item lists at most this many companies


# --- the data -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Complaint:
    id: str
    customer: str
    company: str
    day: date
    state: str
    product: str
    issue: str
    via: str
    tags: str
    response: str
    timely: str
    source: str

    @property
    def rid(self) -> str:
        return f"complaint:{self.id}"


def read_csv(path: Path) -> list[dict]:
    return common.read_csv(path, "the generalization set")


def complaint_of(row: dict, source: str) -> Complaint:
    blank = {"", "None", "N/A"}

    def val(key: str) -> str:
        value = (row.get(key) or "").strip()
        return "" if value in blank else value

    return Complaint(
        id=row["Complaint ID"].strip(),
        customer=slugify(row["Company"]),
        company=row["Company"].strip(),
        day=parse_day(row["Date received"]),
        state=val("State"),
        product=val("Product"),
        issue=val("Issue"),
        via=val("Submitted via"),
        tags=val("Tags"),
        response=val("Company response to consumer"),
        timely=val("Timely response?"),
        source=source,
    )


def load_rows(data_dir: Path) -> tuple[list[list[dict]], list[dict]]:
    return [read_csv(data_dir / f) for f in CFPB_FILES], read_csv(data_dir / TELCO_FILE)


# --- descriptions and what fits them -------------------------------------------------------
@dataclass(frozen=True)
class Facets:
    day: date | None = None
    state: str | None = None
    issue: Concept | None = None
    product: Concept | None = None
    year: int | None = None
    month: tuple[int, int] | None = None
    status: str | None = None
    via: str | None = None
    tag: str | None = None

    def fits(self, c: Complaint, primary: bool = False) -> bool:
        """Does the complaint fit? ``primary``: the values the phrases were written for (gold);
        otherwise the broad reading (uniqueness)."""
        if self.day and c.day != self.day:
            return False
        if self.state and c.state != self.state:
            return False
        if self.year and c.day.year != self.year:
            return False
        if self.month and (c.day.year, c.day.month) != self.month:
            return False
        if self.issue and c.issue not in (self.issue.primary if primary else self.issue.values):
            return False
        if self.product and c.product not in (
            self.product.primary if primary else self.product.values
        ):
            return False
        if self.status and not STATUS[self.status][0](c):
            return False
        if self.via and c.via != self.via:
            return False
        return not (self.tag and self.tag not in c.tags)


class Builder:
    def __init__(self, cfpb_files: list[list[dict]], telco: list[dict], seed: int = SEED):
        self.rng = random.Random(seed)
        sources = ("2015-2020", "2023")
        self.complaints = sorted(
            (
                complaint_of(r, src)
                for rows, src in zip(cfpb_files, sources, strict=True)
                for r in rows
            ),
            key=lambda c: int(c.id),
        )
        self.telco_ids = sorted(r["customerID"] for r in telco)
        self.by_customer: dict[str, list[Complaint]] = defaultdict(list)
        self.by_day: dict[date, list[Complaint]] = defaultdict(list)
        self.name: dict[str, str] = {}
        for c in self.complaints:
            self.by_customer[c.customer].append(c)
            self.by_day[c.day].append(c)
            self.name.setdefault(c.customer, c.company)  # the first row names the customer
        self.customers = sorted(self.by_customer)
        self.token_owners: dict[str, set[str]] = defaultdict(set)
        for cid in self.customers:
            for tok in name_tokens(self.name[cid]):
                self.token_owners[tok].add(cid)
        self.items: list[dict] = []
        self.questions: set[str] = set()
        self.days = sorted(self.by_day)

    # --- matching over the whole store -------------------------------------------------
    def fitting(self, facets: Facets, primary: bool = False) -> list[Complaint]:
        pool = self.by_day.get(facets.day, []) if facets.day else self.complaints
        return [c for c in pool if facets.fits(c, primary)]

    def owners(self, facets: Facets) -> list[str]:
        return sorted({c.customer for c in self.fitting(facets)})

    # --- output ------------------------------------------------------------------------
    def add(self, cls: str, kind: str, question: str, **fields) -> bool:
        question = re.sub(r"\s+", " ", question).strip()
        if question.lower() in self.questions:
            return False
        self.questions.add(question.lower())
        n = sum(1 for i in self.items if i["class"] == cls) + 1
        item = {
            "id": f"gen-{cls}-{n:03d}",
            "class": cls,
            "kind": kind,
            "question": question,
            "customer_id": fields.get("customer_id"),
            "expect": fields.get("expect", "answer"),
            "gold_record_ids": fields.get("gold", []),
            "candidates": fields.get("candidates", []),
        }
        if fields.get("asked_at"):
            item["asked_at"] = fields["asked_at"].isoformat() + "+00:00"
        self.items.append(item)
        return True

    def count(self, cls: str) -> int:
        return sum(1 for i in self.items if i["class"] == cls)

    # --- phrase helpers ----------------------------------------------------------------
    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    def state_phrase(self, code: str) -> str:
        form = self.pick(STATE_FORMS)
        return form.format(name=STATES.get(code, code), code=code)

    def date_phrase(self, day: date) -> str:
        return self.pick(DATE_FORMS)(day)

    def roughen(self, question: str, lower_share: float = 0.2, slip_share: float = 0.12) -> str:
        if self.rng.random() < slip_share:
            words = [w for w in WORD_SLIPS if re.search(rf"\b{w}\b", question)]
            if words:
                w = self.pick(words)
                question = re.sub(rf"\b{w}\b", WORD_SLIPS[w], question, count=1)
        if self.rng.random() < lower_share:
            question = question.lower().rstrip("?")
        return question

    # --- names -------------------------------------------------------------------------
    def short_name(self, cid: str) -> str | None:
        """A name people would use: the leading words (one or two) that no other company's name
        contains, when they are not a common word."""
        words = [w for w in re.split(r"[\s,]+", self.name[cid]) if w]
        toks = name_tokens(self.name[cid])
        if not toks:
            return None
        for n in (1, 2):
            lead = [t for t in toks[:n]]
            if len(lead) < n or any(t in LEGAL_WORDS for t in lead):
                return None
            if all(t in COMMON_WORDS for t in lead):
                continue
            if n == 1 and len(lead[0]) < 4:
                continue
            holders = set.intersection(*(self.token_owners[t] for t in lead))
            holders = {h for h in holders if contains_run(name_tokens(self.name[h]), lead)}
            if holders == {cid}:
                return " ".join(w.strip(",.") for w in words[:n])
        return None

    def typo_name(self, name: str) -> str | None:
        words = name.split()
        spots = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if not spots:
            return None
        i = self.pick(spots)
        w = words[i]
        pos = self.rng.randrange(1, len(w) - 2)
        op = self.pick(["swap", "drop", "double", "key"])
        if op == "swap":
            slip = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
        elif op == "drop":
            slip = w[:pos] + w[pos + 1 :]
        elif op == "double":
            slip = w[:pos] + w[pos] + w[pos:]
        else:
            near = {"a": "s", "e": "r", "i": "o", "o": "i", "n": "m", "r": "t", "s": "a", "t": "r"}
            ch = w[pos].lower()
            slip = w[:pos] + near.get(ch, "e" if ch != "e" else "a") + w[pos + 1 :]
        # the slip must be nearer to this company's word than to any other company's word
        low = slip.lower()
        if low == w.lower() or any(
            one_edit(low, tok) for tok in self.token_owners if tok != w.lower()
        ):
            return None
        words[i] = slip
        return " ".join(words)


def name_tokens(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", name.lower())


def one_edit(a: str, b: str) -> bool:
    """Within one slip: a letter dropped, added, changed, or two neighbours swapped (optimal
    string alignment distance at most 1)."""
    return OSA.distance(a, b) <= 1


def contains_run(toks: list[str], run: list[str]) -> bool:
    return any(toks[i : i + len(run)] == run for i in range(len(toks) - len(run) + 1))
