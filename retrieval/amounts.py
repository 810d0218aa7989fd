"""Amounts: which money fields of a customer record a question about an amount points at
("how much do they pay a month?" -> ``monthly_charges``; "their ARR" -> ``arr``), so the answer
states the value, or that the record has none."""

from __future__ import annotations

import re
from typing import Any

_NORM = re.compile(r"[^a-z0-9]+")

# --- amounts: "how much do they pay", "what is their ARR" ------------------------------------
# Words in a field's name that make it money, and what a question may call it.
MONEY_NAME_WORDS = {"charge", "charges", "amount", "price", "cost", "fee", "fees", "spend",
                    "revenue", "arr", "mrr", "balance", "payment", "payments", "bill", "billing"}  # fmt: skip
MONEY_QUESTION_WORDS = {"much", "amount", "charge", "charges", "charged", "pay", "pays", "paid",
                        "paying", "spend", "spends", "spent", "bill", "billed", "price", "cost",
                        "costs", "worth"}  # fmt: skip
# A name word -> the question words that point at it ("per month" -> monthly_charges).
NAME_WORD_ALIASES = {
    "arr": {"arr", "annual", "annually", "yearly", "year", "recurring", "revenue", "worth"},
    "mrr": {"mrr", "monthly", "month"},
    "monthly": {"monthly", "month"},
    "total": {"total", "overall", "lifetime", "altogether"},
    "annual": {"annual", "annually", "yearly", "year"},
}


def name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[A-Z])", name) if w]


def amount_fields(record: Any, question: str) -> list[tuple[str, float]]:
    """The money fields of a customer record (``arr`` and numeric attributes whose name is a
    money word: charges, fees, balance ...) that a question about an amount points at, as
    (field name, value). The fields whose name the question names ("monthly", "total", "ARR")
    when it names one; else every money field (a bare "how much do they pay?"). Empty when the
    record has no money field: the amount is not in the data."""
    fields: list[tuple[str, float]] = []
    if getattr(record, "arr", None) is not None:
        fields.append(("arr", record.arr))
    for name, value in sorted((getattr(record, "attributes", None) or {}).items()):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if {w.lower() for w in name_words(name)} & MONEY_NAME_WORDS:
            fields.append((name, value))
    if not fields:
        return []
    asked = set(_NORM.sub(" ", question.lower()).split())

    def named(name: str) -> int:
        words = {w.lower() for w in name_words(name)} - MONEY_NAME_WORDS | (
            {"arr"} if name == "arr" else set()
        )
        return sum(1 for w in words if asked & NAME_WORD_ALIASES.get(w, {w}))

    best = max(named(n) for n, _ in fields)
    return [(n, v) for n, v in fields if named(n) == best] if best else fields
