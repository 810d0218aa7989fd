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

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.mapping import slugify  # noqa: E402  (the ingest mapping's own id rule)

DEFAULT_DATA = REPO.parent / "shared" / "data"
CFPB_FILES = (
    Path("cfpb") / "complaints_2019_2020_sample.csv",
    Path("cfpb") / "complaints_2023_payday_personal_loan_narratives.csv",
)
TELCO_FILE = Path("telco") / "Telco-Customer-Churn.csv"
SEED = 1313
OUT = REPO / "eval" / "generalization.jsonl"
CI_OUT = REPO / "eval" / "generalization_slice.jsonl"

# How many items of each class the full set and the CI slice hold.
FULL_COUNTS = {"named": 100, "description": 125, "partial": 32, "askback": 22, "abstain": 36}
CI_COUNTS = {"named": 8, "description": 10, "partial": 6, "askback": 4, "abstain": 6}
MAX_CANDIDATES = 4  # an ask-back item lists at most this many companies

# --- vocabulary: places --------------------------------------------------------------------
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "the District of Columbia",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "the U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "the Northern Mariana Islands", "AE": "the Armed Forces in Europe",
    "AP": "the Armed Forces in the Pacific", "AA": "the Armed Forces in the Americas",
}  # fmt: skip
STATE_FORMS = [
    "from {name}", "from {code}", "by a consumer in {name}", "from a borrower in {name}",
    "lodged in {code}", "out of {name}", "from someone in {name}", "from a {code} resident",
]  # fmt: skip

# --- vocabulary: dates ---------------------------------------------------------------------
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


DATE_FORMS: list[Callable[[date], str]] = [
    lambda d: d.isoformat(),  # 2022-03-03
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",  # March 3, 2022
    lambda d: f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}",  # Mar 3 2022
    lambda d: f"{d.month}/{d.day}/{d.year}",  # 3/3/2022
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",  # 3 March 2022
    lambda d: f"the {ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",  # the 3rd of March 2022
    lambda d: f"{MONTHS[d.month - 1]} {ordinal(d.day)}, {d.year}",  # March 3rd, 2022
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",  # 03/03/22
    lambda d: f"{MONTHS[d.month - 1].lower()} {d.day} {d.year}",  # march 3 2022
]
MONTH_FORMS: list[Callable[[int, int], str]] = [
    lambda y, m: f"{MONTHS[m - 1]} {y}",
    lambda y, m: f"{MONTHS[m - 1][:3]} {y}",
    lambda y, m: f"{MONTHS[m - 1]} of {y}",
    lambda y, m: f"{m}/{y}",
]
YEAR_FORMS = ["in {y}", "during {y}", "back in {y}", "sometime in {y}"]


def relative_date(day: date, rng: random.Random) -> tuple[str, datetime]:
    """A relative phrase for ``day`` and the moment it is asked at (the eval's clock)."""
    form = rng.choice(["days_ago", "last_weekday", "yesterday", "on_the_nth", "week_ago"])
    if form == "yesterday":
        asked = day + timedelta(days=1)
        phrase = "yesterday"
    elif form == "days_ago":
        n = rng.randint(2, 6)
        asked = day + timedelta(days=n)
        phrase = f"{n} days ago"
    elif form == "week_ago":
        asked = day + timedelta(days=7)
        phrase = "a week ago today"
    elif form == "last_weekday":
        # asked 2-6 days later, so "last <weekday>" can only mean ``day``
        asked = day + timedelta(days=rng.randint(2, 6))
        phrase = f"last {WEEKDAYS[day.weekday()]}"
    else:  # "on the 3rd": asked later in the same month
        last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
        if day.day >= last - 1:
            asked = day + timedelta(days=1)
            phrase = "yesterday"
        else:
            asked = day + timedelta(days=rng.randint(2, min(9, last - day.day)))
            phrase = f"on the {ordinal(day.day)}"
    at = datetime(asked.year, asked.month, asked.day, rng.choice([9, 11, 14, 16]), 30)
    return phrase, at


# --- vocabulary: products, issues, record states (plain consumer words) ---------------------
@dataclass(frozen=True)
class Concept:
    """A paraphrase table entry: the CFPB values a plain phrase may mean (``values``, the broad
    reading used for uniqueness) and the phrases. ``primary`` values are the ones the phrase was
    written for (gold)."""

    key: str
    primary: frozenset[str]
    values: frozenset[str]
    phrases: tuple[str, ...]


def concept(key: str, primary: Iterable[str], extra: Iterable[str], phrases: Iterable[str]):
    primary = frozenset(primary)
    return Concept(key, primary, primary | frozenset(extra), tuple(phrases))


PAYMENT = {
    "Problem when making payments", "Trouble during payment process",
    "Loan payment wasn't credited to your account", "Making/receiving payments, sending money",
}  # fmt: skip
STRUGGLE = {
    "Struggling to pay your loan", "Struggling to repay your loan", "Struggling to pay mortgage",
    "Struggling to pay your bill", "Problems when you are unable to pay",
}  # fmt: skip
FEES = {
    "Charged fees or interest you didn't expect", "Charged fees or interest I didn't expect",
    "Unexpected or other fees", "Fees or interest", "Excessive fees",
}  # fmt: skip
WITHDRAWALS = {
    "Can't stop withdrawals from your bank account",
    "Money was taken from your bank account on the wrong day or for the wrong amount",
    "Problem with a lender or other company charging your account",
}
CONTACT = {
    "Dealing with your lender or servicer", "Can't contact lender or servicer",
    "Problem with customer service",
}  # fmt: skip
CLOSING = {
    "Closing an account", "Closing your account", "Account opening, closing, or management",
    "Problem getting a card or closing an account",
    "Managing, opening, or closing your mobile wallet account",
}  # fmt: skip
GETTING_LOAN = {
    "Getting the loan", "Getting a loan", "Getting a loan or lease", "Shopping for a loan or lease",
    "Was approved for a loan, but didn't receive the money",
    "Was approved for a loan, but didn't receive money", "Application processing delay",
}  # fmt: skip

ISSUES = [
    concept("wrong-report", ["Incorrect information on your report"], [], [
        "wrong information on a credit report", "errors on their credit report",
        "incorrect info on the report", "an inaccurate credit file", "mistakes on a credit report",
    ]),
    concept("investigation", [
        "Problem with a credit reporting company's investigation into an existing problem",
    ], ["Problem with a company's investigation into an existing issue"], [
        "a dispute that was never properly investigated", "a botched investigation of a dispute",
        "their dispute not being looked into", "how a dispute was investigated",
    ]),
    concept("fees", ["Charged fees or interest you didn't expect",
                     "Charged fees or interest I didn't expect"], FEES, [
        "unexpected fees", "surprise fees or interest", "fees they didn't expect",
        "hidden fees", "interest charges nobody warned them about",
    ]),
    concept("not-owed", ["Attempts to collect debt not owed",
                         "Cont'd attempts collect debt not owed"], [], [
        "being chased for a debt they don't owe", "collecting a debt that isn't theirs",
        "a debt the consumer says they never owed", "chased for a debt I don't owe",
    ]),
    concept("payments", ["Problem when making payments"], PAYMENT, [
        "trouble making payments", "payment problems", "not being able to make a payment",
    ]),
    concept("misuse", ["Improper use of your report"], [], [
        "someone pulling their credit without permission", "misuse of a credit report",
        "an unauthorized credit check",
    ]),
    concept("struggling", ["Struggling to pay your loan", "Struggling to repay your loan"],
            STRUGGLE, [
        "struggling to keep up with the loan", "having a hard time paying the loan back",
        "not being able to afford the loan payments",
    ]),
    concept("managing", ["Managing an account"], [
        "Account opening, closing, or management", "Managing the loan or lease",
    ], ["problems managing the account", "trouble with how the account was handled"]),
    concept("payoff", ["Problem with the payoff process at the end of the loan"], [
        "Payoff process", "Problems at the end of the loan or lease",
    ], ["paying off the loan", "trouble with the loan payoff", "closing out the loan at the end"]),
    concept("notice", ["Written notification about debt"], ["Disclosure verification of debt"], [
        "never getting a written notice about the debt", "no letter explaining the debt",
        "a missing debt validation letter",
    ]),
    concept("getting-loan", ["Getting the loan", "Getting a loan"], GETTING_LOAN, [
        "trouble getting the loan", "problems taking out a loan",
    ]),
    concept("credit-line", ["Getting a line of credit"], [], [
        "opening a line of credit", "getting a credit line",
    ]),
    concept("add-ons", ["Problem with additional add-on products or services"], [], [
        "add-on products they didn't want", "extra add-on services",
    ]),
    concept("mortgage-struggle", ["Struggling to pay mortgage"], STRUGGLE, [
        "falling behind on the mortgage", "not being able to afford the mortgage payments",
    ]),
    concept("statement", ["Problem with a purchase shown on your statement"], [
        "Billing disputes", "Unauthorized transactions or other transaction problem",
        "Other transaction problem",
    ], ["a charge on the statement they don't recognize", "a disputed purchase on a statement"]),
    concept("calls", ["Communication tactics"], [
        "Improper contact or sharing of info",
        "Threatened to contact someone or share information improperly",
    ], ["harassing phone calls", "being called over and over", "aggressive collection calls"]),
    concept("no-report", ["Unable to get your credit report or credit score"], [], [
        "not being able to get a copy of their credit report", "no access to their credit score",
    ]),
    concept("legal", ["Took or threatened to take negative or legal action"], [
        "Taking/threatening an illegal action",
    ], ["threats to sue", "threatened legal action", "being threatened with court"]),
    concept("servicer", ["Dealing with your lender or servicer"], CONTACT, [
        "dealing with their lender", "trouble working with the servicer",
    ]),
    concept("not-applied", ["Received a loan you didn't apply for"], [
        "Identity theft / Fraud / Embezzlement",
    ], ["a loan they never applied for", "a loan opened in their name without asking"]),
    concept("false", ["False statements or representation"], [
        "Confusing or misleading advertising or marketing",
    ], ["being lied to", "misleading statements"]),
    concept("freeze", ["Problem with fraud alerts or security freezes"], [], [
        "a credit freeze", "a fraud alert on their file",
    ]),
    concept("closing", ["Closing an account", "Closing your account"], CLOSING, [
        "closing the account", "trouble shutting down their account",
    ]),
    concept("repo", ["Vehicle was repossessed or sold the vehicle"], [], [
        "a repossessed car", "the car getting repossessed",
    ]),
    concept("withdrawals", ["Can't stop withdrawals from your bank account"], WITHDRAWALS, [
        "withdrawals from their bank account they couldn't stop",
        "money still being pulled from the bank account",
    ]),
    concept("scam", ["Fraud or scam"], ["Identity theft / Fraud / Embezzlement"], [
        "a scam", "getting scammed",
    ]),
    concept("wrong-amount", [
        "Money was taken from your bank account on the wrong day or for the wrong amount",
    ], WITHDRAWALS, ["money taken on the wrong day", "a debit for the wrong amount"]),
    concept("not-credited", ["Loan payment wasn't credited to your account"], PAYMENT, [
        "a payment that never got credited", "a loan payment not applied to the account",
    ]),
    concept("monitoring", ["Credit monitoring or identity theft protection services"], [
        "Identity theft protection or other monitoring services",
    ], ["identity theft protection", "a credit monitoring service"]),
    concept("no-money", ["Was approved for a loan, but didn't receive the money",
                         "Was approved for a loan, but didn't receive money"], [
        "Money was not available when promised",
    ], ["approved but never got the money", "loan money that never arrived"]),
    concept("cant-reach", ["Can't contact lender or servicer"], CONTACT, [
        "not being able to reach the lender", "nobody answering at the servicer",
    ]),
    concept("refinance", ["Applying for a mortgage or refinancing an existing mortgage"], [
        "Applying for a mortgage",
    ], ["a refinance application", "applying for a mortgage"]),
    concept("low-funds", ["Problem caused by your funds being low"], [
        "Problems caused by my funds being low",
    ], ["overdraft trouble", "problems from a low balance"]),
    concept("card-apply", ["Getting a credit card"], [], [
        "applying for a credit card", "getting approved for a card",
    ]),
]  # fmt: skip
ISSUE_OF = {v: c for c in ISSUES for v in c.primary}

PRODUCTS = [
    concept("report", ["Credit reporting, credit repair services, or other personal consumer reports"],
            [], ["credit report", "credit reporting", "credit file"]),
    concept("payday", ["Payday loan, title loan, or personal loan", "Payday loan"],
            ["Consumer Loan"], ["payday loan", "personal loan", "title loan", "short-term loan"]),
    concept("collection", ["Debt collection"], [], ["debt collection", "collections"]),
    concept("bank", ["Checking or savings account", "Bank account or service"], [],
            ["checking account", "savings account", "bank account"]),
    concept("card", ["Credit card or prepaid card", "Credit card"], [],
            ["credit card", "prepaid card"]),
    concept("mortgage", ["Mortgage"], [], ["mortgage", "home loan"]),
    concept("student", ["Student loan"], [], ["student loan", "college loan"]),
    concept("vehicle", ["Vehicle loan or lease"], ["Consumer Loan"],
            ["car loan", "auto loan", "car lease"]),
    concept("transfer", ["Money transfer, virtual currency, or money service"], [],
            ["money transfer", "wire transfer", "money order"]),
]  # fmt: skip
PRODUCT_OF = {v: c for c in PRODUCTS for v in c.primary}

# Record states in other words: (key, test on a complaint, phrases)
STATUS = {
    "pending": (
        lambda c: c.response == "In progress",
        ["still pending", "still open", "still waiting on an answer", "not resolved yet"],
    ),
    "late": (
        lambda c: c.timely == "No" or c.response == "Untimely response",
        ["answered late", "that got a late response", "the company didn't answer in time"],
    ),
    "refunded": (
        lambda c: c.response == "Closed with monetary relief",
        ["refunded", "where the consumer got money back", "closed with a payout"],
    ),
    "fixed": (
        lambda c: c.response == "Closed with non-monetary relief",
        ["fixed without a refund", "closed with non-money relief"],
    ),
}
VIA = {
    "Phone": ["called in by phone", "phoned in"],
    "Postal mail": ["mailed in", "sent by post"],
    "Fax": ["faxed in", "sent by fax"],
    "Referral": ["referred over by another agency", "that came in as a referral"],
}
TAGS = {
    "Servicemember": ["a servicemember", "someone in the military", "a veteran"],
    "Older American": ["an older American", "a senior citizen", "an elderly consumer"],
}

# --- vocabulary: words around the facts -----------------------------------------------------
ROLE_BY_PRODUCT = {
    "report": ["company", "reporting company", "credit bureau"],
    "payday": ["lender", "loan company", "company"],
    "collection": ["collector", "collection agency", "company"],
    "bank": ["bank", "company"],
    "card": ["card issuer", "bank", "company"],
    "mortgage": ["servicer", "lender", "mortgage company"],
    "student": ["servicer", "loan servicer"],
    "vehicle": ["lender", "auto lender"],
    "transfer": ["money transfer company", "company"],
}
GENERIC_ROLES = ["company", "customer", "account", "firm", "business", "creditor", "provider"]
NAMED_ROLES = ["our customer", "the account", "the lender", "the servicer", "the company",
               "the bank", "our client", "the creditor", "the services company"]  # fmt: skip
# A few realistic slips in the words around the facts.
WORD_SLIPS = {
    "received": "recieved", "complaint": "complaitn", "company": "compnay", "which": "whcih",
    "about": "abuot", "customer": "custmer", "account": "acount", "from": "form",
}  # fmt: skip
# Words that say what kind of legal entity a company is (never a short name on their own).
LEGAL_WORDS = {
    "inc", "llc", "corp", "corporation", "co", "company", "ltd", "na", "n", "a", "lp", "llp",
    "plc", "pllc", "pc", "pa", "the", "of", "and", "holdings", "holding", "group", "dba",
}  # fmt: skip
COMMON_WORDS = {
    "bank", "financial", "services", "service", "credit", "capital", "first", "national",
    "american", "federal", "united", "union", "mortgage", "loan", "loans", "lending", "home",
    "consumer", "recovery", "management", "solutions", "collection", "collections", "funding",
    "finance", "portfolio", "receivables", "associates", "trust", "savings", "community",
    "account", "accounts", "cash", "money", "check", "advance", "auto", "card", "student",
    "servicing", "lender", "law", "office", "offices", "systems", "global", "new", "one",
    "state", "city", "america", "usa", "us", "payment", "payments", "debt", "investment",
}  # fmt: skip
INVENTED_FIRST = ["Quarrybrook", "Maplestone", "Tidewell", "Corvantis", "Brindlewood", "Halvora",
                  "Pennacree", "Stillwater Ridge", "Orinthal", "Vexmoor", "Larkspire", "Dunmerro"]  # fmt: skip
INVENTED_SECOND = ["Lending Services", "Bank", "Servicing Company", "Credit Union",
                   "Financial Group", "Recovery Services", "Loans LLC", "Mortgage Company"]  # fmt: skip


# --- the data -------------------------------------------------------------------------------
class DataMissing(RuntimeError):
    pass


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
    if not path.exists():
        raise DataMissing(
            f"{path} not found: the generalization set is generated from ../shared/data "
            "(pass --data DIR if it lives elsewhere)"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def parse_day(text: str) -> date:
    for fmt in ("%Y/%m/%d", "%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")


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
    """Within one slip: a letter dropped, added, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def contains_run(toks: list[str], run: list[str]) -> bool:
    return any(toks[i : i + len(run)] == run for i in range(len(toks) - len(run) + 1))


# --- item classes ------------------------------------------------------------------------------
NAMED_TEMPLATES = {
    "issue": [
        "What's going on with {who}? Anything about {issue}?",
        "Show me {who}'s complaints about {issue}",
        "Brief me on {who} - I keep hearing about {issue}",
        "any complaints about {issue} for {who}",
        "Has {who} had people complain about {issue}?",
    ],
    "product": [
        "What do {product} customers say about {who}?",
        "{who}: give me the {product} complaints",
        "Pull the {product} complaints we have for {who}",
        "Any {product} trouble with {who}?",
    ],
    "date": [
        "What was the complaint {who} received on {date}?",
        "Did {who} get a complaint on {date}?",
        "Tell me about {who}'s complaint from {date}",
    ],
    "state": [
        "Complaints {state} about {who}?",
        "What did people complain about to {who} {state}?",
        "Show {who} complaints {state}",
    ],
    "status": [
        "Which of {who}'s complaints are {status}?",
        "{who} - anything {status}?",
        "Show me the complaints at {who} {status}",
    ],
}
DESC_TEMPLATES = [
    "Which {role} got the complaint {facts}?",
    "Who was the complaint {facts} about?",
    "Pull up the {role} behind the complaint {facts}",
    "I need the brief for the {role} with a complaint {facts}",
    "which {role} was the complaint {facts} against",
    "There was a complaint {facts} - which {role} was it?",
    "What do we know about the {role} that received a complaint {facts}?",
    "Find the {role} with the complaint {facts}",
]
UNKNOWN_TEMPLATES = [
    "What complaints has {name} received?",
    "Brief me on {name}",
    "anything on {name}?",
    "How is our customer {name} doing?",
    "Show me the latest complaint about {name}",
]


def facts_phrase(b: Builder, f: Facets, c: Complaint | None, rel: str | None = None) -> str:
    """The description's facts in words, in a shuffled order."""
    parts = []
    if f.issue:
        parts.append("about " + b.pick(f.issue.phrases))
    if f.product:
        parts.append(
            b.pick(["over a {p}", "involving a {p}", "on a {p}"]).format(
                p=b.pick(f.product.phrases)
            )
        )
    if f.state:
        parts.append(b.state_phrase(f.state))
    if f.day:
        parts.append(
            rel
            or b.pick(["received on {d}", "on {d}", "filed {d}", "that came in on {d}"]).format(
                d=b.date_phrase(f.day)
            )
        )
    if f.month:
        parts.append("in " + b.pick(MONTH_FORMS)(*f.month))
    if f.year:
        parts.append(b.pick(YEAR_FORMS).format(y=f.year))
    if f.status:
        parts.append(b.pick(STATUS[f.status][1]))
    if f.via:
        parts.append(b.pick(VIA[f.via]))
    if f.tag:
        parts.append("from " + b.pick(TAGS[f.tag]))
    head, rest = parts[:1], parts[1:]
    b.rng.shuffle(rest)
    return " ".join(head + rest) if b.rng.random() < 0.5 else " ".join(rest + head)


def role_for(b: Builder, c: Complaint | None) -> str:
    if c is not None and c.product in PRODUCT_OF and b.rng.random() < 0.6:
        return b.pick(ROLE_BY_PRODUCT[PRODUCT_OF[c.product].key])
    return b.pick(GENERIC_ROLES)


def facet_shapes(b: Builder, c: Complaint) -> list[tuple[str, Facets]]:
    """Descriptions of complaint ``c`` (each may or may not single out its company)."""
    issue, product = ISSUE_OF.get(c.issue), PRODUCT_OF.get(c.product)
    shapes = []
    if c.state in STATES:
        shapes.append(("date+state", Facets(day=c.day, state=c.state)))
        if issue:
            shapes.append(("date+state+issue", Facets(day=c.day, state=c.state, issue=issue)))
            shapes.append(
                (
                    "state+issue+month",
                    Facets(state=c.state, issue=issue, month=(c.day.year, c.day.month)),
                )
            )
        for key, (test, _) in STATUS.items():
            if test(c):
                shapes.append(
                    (f"state+{key}+year", Facets(state=c.state, status=key, year=c.day.year))
                )
    if issue:
        shapes.append(("date+issue", Facets(day=c.day, issue=issue)))
        if product:
            shapes.append(
                ("issue+product+year", Facets(issue=issue, product=product, year=c.day.year))
            )
    if c.via in VIA:
        shapes.append(("date+via", Facets(day=c.day, via=c.via)))
    for tag in TAGS:
        if tag in c.tags and product:
            shapes.append(
                (
                    "tag+product+month",
                    Facets(tag=tag, product=product, month=(c.day.year, c.day.month)),
                )
            )
    return shapes


def gen_descriptions(b: Builder, want: int, want_askback: int) -> None:
    """Description-only items (one company fits) and ask-back items (2-4 fit)."""
    order = list(b.complaints)
    b.rng.shuffle(order)
    # alternate the two files so both years are targeted
    by_src = {s: [c for c in order if c.source == s] for s in ("2015-2020", "2023")}
    older, newer = by_src["2015-2020"], by_src["2023"]
    mixed = [c for pair in zip(older, newer, strict=False) for c in pair]
    mixed += older[len(newer) :] + newer[len(older) :]
    shapes_used: Counter = Counter()
    targets_used: set[str] = set()
    rel_budget = max(2, want // 6)
    desc = ask = 0
    for c in mixed:
        if desc >= want and ask >= want_askback:
            break
        shapes = facet_shapes(b, c)
        if not shapes:
            continue
        b.rng.shuffle(shapes)
        shapes.sort(key=lambda s: shapes_used[s[0]])  # spread over the shapes
        for shape, f in shapes:
            owners = b.owners(f)
            if len(owners) == 1 and desc < want and c.customer not in targets_used:
                gold = [x.rid for x in b.fitting(f, primary=True)]
                rel, asked = None, None
                if f.day and rel_budget and b.rng.random() < 0.25:
                    rel, asked = relative_date(f.day, b.rng)
                    rel_budget -= 1
                q = b.pick(DESC_TEMPLATES).format(
                    role=role_for(b, c), facts=facts_phrase(b, f, c, rel)
                )
                if b.add(
                    "description",
                    f"desc:{shape}" + (":relative" if rel else ""),
                    b.roughen(q),
                    customer_id=c.customer,
                    gold=gold[:50],
                    asked_at=asked,
                ):
                    desc += 1
                    shapes_used[shape] += 1
                    targets_used.add(c.customer)
                    break
            elif 2 <= len(owners) <= MAX_CANDIDATES and ask < want_askback and shape != "date+via":
                q = b.pick(DESC_TEMPLATES).format(
                    role=b.pick(GENERIC_ROLES), facts=facts_phrase(b, f, None)
                )
                if b.add(
                    "ask-back",
                    f"askback:{shape}",
                    b.roughen(q, slip_share=0),
                    expect="clarify",
                    candidates=owners,
                ):
                    ask += 1
                    shapes_used[shape] += 1
                    break


def gen_named(b: Builder, want: int) -> None:
    """A company by full name, short name, lower case or a typo, with a fact to ask about."""
    pool = [cid for cid in b.customers if len(b.by_customer[cid]) >= 2]
    by_src = defaultdict(list)
    for cid in pool:
        by_src[b.by_customer[cid][0].source].append(cid)
    forms = ["full", "short", "lower", "typo"]
    made = 0
    attempts = 0
    while made < want and attempts < want * 40:
        attempts += 1
        sources = [s for s in ("2015-2020", "2023") if by_src[s]]
        cid = b.pick(by_src[sources[made % len(sources)]])
        c = b.pick(b.by_customer[cid])
        form = forms[made % len(forms)]
        name = b.name[cid]
        if form == "short":
            name = b.short_name(cid)
        elif form == "typo":
            base = b.short_name(cid) or name
            name = b.typo_name(base)
        elif form == "lower":
            name = (b.short_name(cid) if b.rng.random() < 0.5 else None) or name
            name = name.lower()
        if not name:
            continue
        who = b.pick(NAMED_ROLES) + " " + name if b.rng.random() < 0.35 else name
        facet = b.pick(["issue", "product", "date", "state", "status", "issue"])
        f = None
        words: dict[str, str] = {"who": who}
        if facet == "issue" and c.issue in ISSUE_OF:
            f = Facets(issue=ISSUE_OF[c.issue])
            words["issue"] = b.pick(f.issue.phrases)
        elif facet == "product" and c.product in PRODUCT_OF:
            f = Facets(product=PRODUCT_OF[c.product])
            words["product"] = b.pick(f.product.phrases)
        elif facet == "date":
            f = Facets(day=c.day)
            words["date"] = b.date_phrase(c.day)
        elif facet == "state" and c.state in STATES:
            f = Facets(state=c.state)
            words["state"] = b.state_phrase(c.state)
        elif facet == "status":
            keys = [k for k, (test, _) in STATUS.items() if test(c)]
            if keys:
                f = Facets(status=keys[0])
                words["status"] = b.pick(STATUS[keys[0]][1])
        if f is None:
            continue
        gold = [x.rid for x in b.by_customer[cid] if f.fits(x, primary=True)]
        q = b.pick(NAMED_TEMPLATES[facet]).format(**words)
        if form == "lower":
            q = q.lower()
        if b.add("named", f"named:{form}:{facet}", q, customer_id=cid, gold=gold[:50]):
            made += 1
    # a few telco customers by their full id, in other words than the dev set
    telco_q = [
        "what plan is customer {id} on",
        "Telco account {id}: contract and monthly bill?",
        "How long has {id} been with us?",
        "is {id} on paperless billing",
    ]
    for tid in b.rng.sample(b.telco_ids, max(1, want // 12)):
        b.add(
            "named",
            "named:telco",
            b.pick(telco_q).format(id=tid),
            customer_id=tid,
            gold=[f"customer:{tid}"],
        )


def gen_partial_ids(b: Builder, want: int) -> None:
    """Prefixes and suffixes of complaint ids and telco customer ids: the customer when
    exactly one fits, ask back when 2-4 do."""
    made = 0
    complaint_ids = [c.id for c in b.complaints]
    owner = {c.id: c.customer for c in b.complaints}
    attempts = 0
    while made < want and attempts < want * 60:
        attempts += 1
        mode = b.pick(["c-prefix", "c-suffix", "t-prefix", "t-suffix", "c-prefix", "t-prefix"])
        if mode.startswith("c"):
            cid = b.pick(complaint_ids)
            n = b.rng.randint(4, 6)
            part = cid[:n] if mode == "c-prefix" else cid[-n:]
            test = (
                (lambda x, p=part: x.startswith(p))
                if mode == "c-prefix"
                else (lambda x, p=part: x.endswith(p))
            )
            hits = [x for x in complaint_ids if test(x)]
            # "account/ID" wording reaches telco ids too; "complaint" wording only complaints
            account_words = b.rng.random() < 0.35 and mode == "c-prefix"
            telco_hits = [t for t in b.telco_ids if t.startswith(part)] if account_words else []
            owners = sorted({owner[x] for x in hits} | set(telco_hits))
            gold = [f"complaint:{x}" for x in hits] + [f"customer:{t}" for t in telco_hits]
            if len(hits) + len(telco_hits) > 10:
                continue
            if account_words:
                phr = b.pick(
                    [
                        "the account whose ID starts with {p}",
                        "the ID starting {p}",
                        "account {p}-something",
                        "whoever has the ID beginning {p}",
                    ]
                )
            elif mode == "c-prefix":
                phr = b.pick(
                    [
                        "the complaint with ID starting {p}",
                        "complaint {p}...",
                        "the case number beginning with {p}",
                        "complaint #{p}-something",
                    ]
                )
            else:
                phr = b.pick(
                    [
                        "the complaint whose ID ends in {p}",
                        "complaint number ending {p}",
                        "the case ending with {p}",
                    ]
                )
        else:
            tid = b.pick(b.telco_ids)
            head, tail = tid.split("-", 1)
            if mode == "t-prefix":
                part = head + "-"
                hits = [t for t in b.telco_ids if t.startswith(part)]
                phr = b.pick(
                    [
                        "customer ID starting {p}",
                        "the account {p}something",
                        "telco customer {p}...",
                        "the customer whose ID begins {p}",
                    ]
                )
            else:
                part = "-" + tail if b.rng.random() < 0.5 else tail
                hits = [t for t in b.telco_ids if t.endswith(tail)]
                phr = b.pick(
                    [
                        "customer ending in {p}",
                        "the account ending {p}",
                        "the telco customer whose ID ends with {p}",
                    ]
                )
            owners = sorted(hits)
            gold = [f"customer:{t}" for t in hits]
        if not 1 <= len(owners) <= MAX_CANDIDATES:
            continue
        ref = phr.format(p=part)
        frame = b.pick(
            [
                "What do we know about {ref}?",
                "Brief me on {ref}",
                "who is {ref}",
                "Can you look up {ref}?",
                "{ref} - what's the story?",
            ]
        )
        q = b.roughen(frame.format(ref=ref), lower_share=0.15, slip_share=0)
        q = q[0].upper() + q[1:]
        if len(owners) == 1:
            ok = b.add("partial-id", f"partial:{mode}:one", q, customer_id=owners[0], gold=gold)
        else:
            ok = b.add(
                "partial-id", f"partial:{mode}:several", q, expect="clarify", candidates=owners
            )
        made += ok


def gen_shared_tokens(b: Builder, want: int) -> None:
    """A distinctive word that leads 2-4 company names, with a role word that is in none of
    them: ask which."""
    groups = []
    for tok, holders in sorted(b.token_owners.items()):
        if tok in COMMON_WORDS or tok in LEGAL_WORDS or len(tok) < 5 or tok.isdigit():
            continue
        leading = sorted(h for h in holders if name_tokens(b.name[h])[:1] == [tok])
        if 2 <= len(leading) <= MAX_CANDIDATES and leading == sorted(holders):
            groups.append((tok, leading))
    b.rng.shuffle(groups)
    made = 0
    for tok, holders in groups:
        if made >= want:
            break
        used = {t for h in holders for t in name_tokens(b.name[h])}
        roles = [r for r in GENERIC_ROLES if r not in used]
        word = tok.capitalize() if b.rng.random() < 0.7 else tok
        q = b.pick(
            [
                "What's new with the {role} {w}?",
                "Brief me on {w}",
                "any complaints at {w} lately",
                "How is the {w} {role} doing?",
                "Show me {w}'s latest complaints",
            ]
        ).format(role=b.pick(roles), w=word)
        made += b.add("ask-back", "askback:shared-name", q, expect="clarify", candidates=holders)


def gen_abstain(b: Builder, want: int) -> None:
    """Things not in the data: invented companies, a date and state nobody complained from,
    a description no complaint fits, an id nothing carries."""
    quota = {"unknown": want // 3, "date+state": want // 3, "nothing-fits": want // 6}
    quota["no-id"] = want - sum(quota.values())
    names = [f"{a} {z}" for a in INVENTED_FIRST for z in INVENTED_SECOND]
    b.rng.shuffle(names)
    made = Counter()
    for name in names:
        if made["unknown"] >= quota["unknown"]:
            break
        first = name_tokens(name)[0]
        if first in b.token_owners or slugify(name) in b.by_customer:
            continue
        q = b.pick(UNKNOWN_TEMPLATES).format(name=name)
        made["unknown"] += b.add(
            "abstain", "abstain:unknown-company", b.roughen(q, slip_share=0), expect="abstain"
        )
    lo, hi = b.days[0], b.days[-1]
    attempts = 0
    while made["date+state"] < quota["date+state"] and attempts < 2000:
        attempts += 1
        day = b.pick(b.days) + timedelta(days=b.rng.randint(-3, 3))
        code = b.pick(sorted(STATES))
        f = Facets(day=day, state=code)
        if not lo <= day <= hi or b.owners(f):
            continue
        q = b.pick(DESC_TEMPLATES).format(
            role=b.pick(GENERIC_ROLES), facts=facts_phrase(b, f, None)
        )
        made["date+state"] += b.add("abstain", "abstain:date+state", b.roughen(q), expect="abstain")
    attempts = 0
    while made["nothing-fits"] < quota["nothing-fits"] and attempts < 2000:
        attempts += 1
        f = Facets(
            state=b.pick(sorted(STATES)),
            issue=b.pick(ISSUES),
            year=b.pick([2016, 2019, 2020, 2023]),
        )
        if b.owners(f):
            continue
        q = b.pick(DESC_TEMPLATES).format(
            role=b.pick(GENERIC_ROLES), facts=facts_phrase(b, f, None)
        )
        made["nothing-fits"] += b.add(
            "abstain", "abstain:nothing-fits", b.roughen(q), expect="abstain"
        )
    all_ids = [c.id for c in b.complaints] + b.telco_ids
    attempts = 0
    while made["no-id"] < quota["no-id"] and attempts < 2000:
        attempts += 1
        part = str(b.rng.randint(8000, 99999))
        if any(x.startswith(part) or x.endswith(part) for x in all_ids):
            continue
        q = b.pick(
            [
                "What do we know about the complaint with ID starting {p}?",
                "Brief me on the account whose ID begins {p}",
                "who is customer {p}-something",
            ]
        ).format(p=part)
        made["no-id"] += b.add("abstain", "abstain:no-such-id", q, expect="abstain")


def build(cfpb_files: list[list[dict]], telco: list[dict], counts: dict[str, int],
          seed: int = SEED) -> list[dict]:  # fmt: skip
    b = Builder(cfpb_files, telco, seed)
    gen_named(b, counts["named"])
    shared = counts["askback"] // 4
    gen_descriptions(b, counts["description"], counts["askback"] - shared)
    gen_shared_tokens(b, counts["askback"] - b.count("ask-back"))
    gen_partial_ids(b, counts["partial"])
    gen_abstain(b, counts["abstain"])
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
    written = []
    for rel, rows in [*zip(CFPB_FILES, subset, strict=True), (TELCO_FILE, telco_keep)]:
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


def build_full(data_dir: Path, seed: int = SEED) -> list[dict]:
    cfpb_files, telco = load_rows(data_dir)
    return build(cfpb_files, telco, FULL_COUNTS, seed)


def build_ci_slice(data_dir: Path, seed: int = SEED) -> list[dict]:
    cfpb_files, telco = load_rows(data_dir)
    subset, telco_keep = ci_subset(cfpb_files, telco, seed)
    return build(subset, telco_keep, CI_COUNTS, seed)


def write_jsonl(items: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data dir")
    parser.add_argument("--out", type=Path, help="output JSONL")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--ci", action="store_true", help="the CI slice over the data subset")
    parser.add_argument("--write-subset", type=Path, metavar="DIR",
                        help="write the CI slice's data subset as CSVs into DIR")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.write_subset:
            for path in write_subset(args.data, args.write_subset, args.seed):
                print(path)
            return 0
        items = (build_ci_slice if args.ci else build_full)(args.data, args.seed)
    except DataMissing as exc:
        print(f"make_generalization: {exc}", file=sys.stderr)
        return 2
    out = args.out or (CI_OUT if args.ci else OUT)
    write_jsonl(items, out)
    print(f"{len(items)} items -> {out}: {dict(Counter(i['class'] for i in items))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
