"""The dev set's names and ids: the words that say what kind of company a name is (dropped for
short names), made-up company names, the record ids the ingest mappings give each row, and
what people do to a company's name (short forms, typos, initials)."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter

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
