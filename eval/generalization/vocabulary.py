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
