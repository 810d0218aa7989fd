"""The generalization check's own vocabulary: places (states by name and code), dates in many
forms (relative ones against the item's clock), plain-words paraphrases of CFPB products,
issues and record states, and the words around the facts (roles, slips, invented names).
Written apart from the resolver's vocabulary (retrieval/question.py, names.py) on purpose: the
check asks in words the resolver was not written from."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from c360.us_states import US_STATES  # USPS codes and names: a fact, not a rule

# --- vocabulary: places --------------------------------------------------------------------
# Places as a person writes them in a question: the USPS names, but "the District of Columbia",
# "the U.S. Virgin Islands" and "the Armed Forces in Europe"; the freely associated states
# (FM, MH, PW) are never asked about.
WRITTEN_PLACES = {
    "DC": "the District of Columbia", "VI": "the U.S. Virgin Islands",
    "MP": "the Northern Mariana Islands", "AE": "the Armed Forces in Europe",
    "AP": "the Armed Forces in the Pacific", "AA": "the Armed Forces in the Americas",
}  # fmt: skip
NOT_ASKED = {"FM", "MH", "PW"}
STATES = {
    code: WRITTEN_PLACES.get(code, name)
    for code, name in US_STATES.items()
    if code not in NOT_ASKED
}
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


# Issues: eval/generalization/issues.py.
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
