#!/usr/bin/env python3
"""Generate the "what is going on" set (issue 10): accounts whose newest moment is a risk
signal and whose older moments are positive, and general questions about them. The answer's
first two lines must cite the risk (``lead@2`` in ``c360 eval``).

Records are written as canonical JSONL (customers, moments) into ``eval/leadset/``; items go to
``eval/leadset.jsonl``. Seeded: the same seed gives byte-identical files. The risk and praise
sentences below were written as account managers write notes, before the lead ranking was run
on them, and are not tuned to it; several name no risk word at all ("usage fell by half", "the
champion who bought us left").

    python eval/make_leadset.py
    export C360_DATA_DIR=/tmp/c360-leadset
    c360 ingest eval/leadset/customers.jsonl eval/leadset/moments.jsonl
    c360 eval eval/leadset.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

ASKED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
FIRST = ["Quill", "Bramble", "Copper", "Harrow", "Lumen", "Marsh", "Nettle", "Orchard", "Pike",
         "Rowan", "Sable", "Thistle", "Umber", "Vale", "Wren", "Yarrow", "Alder", "Birch",
         "Cinder", "Dunmore", "Ember", "Fallow", "Garnet", "Heron"]  # fmt: skip
SECOND = ["feather", "worth", "gate", "field", "stone", "brook", "wick", "mere"]
TRADE = [
    "Robotics",
    "Foods",
    "Logistics",
    "Clinics",
    "Outfitters",
    "Analytics",
    "Freight",
    "Studios",
]
PEOPLE = ["Priya Raman", "Tom Okafor", "Lena Fischer", "Marco Silva", "Aiko Tanaka",
          "Sam Whitfield", "Nadia Haddad", "Owen Brooks"]  # fmt: skip
PRAISE = [
    (
        "call",
        "inbound",
        "QBR went well: they love the new dashboards and want to roll them out to two more teams.",
    ),
    (
        "email",
        "inbound",
        "Thanks for the quick fix last week, the team is really happy with support.",
    ),
    (
        "meeting",
        "internal",
        "Onboarding wrapped up ahead of plan; adoption is strong across all sites.",
    ),
    (
        "call",
        "inbound",
        "Great check-in. They said the product saves each analyst about a day a week.",
    ),
    (
        "email",
        "inbound",
        "Loved the training session, everyone found it useful. Looking forward to the next release.",
    ),
    (
        "note",
        "internal",
        "Expansion conversation is friendly; they asked for pricing on the analytics add-on.",
    ),
    (
        "chat",
        "inbound",
        "Quick note to say the new export feature works perfectly for our month-end.",
    ),
]
RISKS = [
    (
        "note",
        "internal",
        "Heads up: their CFO wants to cut the contract at renewal unless we match a competitor's price.",
    ),
    (
        "email",
        "inbound",
        "We are disappointed: the integration has failed three times this month and our operations team is losing patience.",
    ),
    (
        "call",
        "inbound",
        "They told me they are evaluating two alternatives and will decide before the renewal date.",
    ),
    (
        "note",
        "internal",
        "Usage fell by half since October and the champion who bought us left the company.",
    ),
    (
        "email",
        "inbound",
        "This is the third invoice error this quarter. Please escalate; we will withhold payment until it is fixed.",
    ),
    (
        "meeting",
        "internal",
        "Tense meeting with their VP of Operations: outages during peak season hurt them and they want a service credit.",
    ),
    (
        "call",
        "inbound",
        "They plan to cancel at the end of the term unless the reporting problems are solved.",
    ),
    (
        "note",
        "internal",
        "Renewal is at risk: procurement has frozen all new spend and asked for a 30% discount.",
    ),
]
QUESTIONS = [
    "what is going on with {name}?",
    "brief me on {name}",
    "how is {name} doing?",
    "anything I should know about {name}?",
    "{name} status?",
    "catch me up on {name}",
]


def generate(seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    rng = random.Random(seed)
    customers, moments, items = [], [], []
    names = set()
    for n, first in enumerate(FIRST, start=1):
        name = f"{first}{rng.choice(SECOND)} {rng.choice(TRADE)}"
        while name in names:
            name = f"{first}{rng.choice(SECOND)} {rng.choice(TRADE)}"
        names.add(name)
        cid = f"LS-{n:02d}"
        customers.append({"customer_id": cid, "name": name, "segment": "mid-market",
                          "owner": rng.choice(PEOPLE)})  # fmt: skip
        older = rng.sample(PRAISE, rng.randint(3, 5))
        # positive moments spread over the last 8 months, all older than the risk
        days = sorted(rng.sample(range(12, 240), len(older)))
        for k, ((channel, direction, text), ago) in enumerate(zip(older, days, strict=True)):
            moments.append(_moment(f"LSM-{n:02d}-{k + 1}", cid, ago, channel, direction, text, rng))
        channel, direction, text = RISKS[(n - 1) % len(RISKS)]
        risk_id = f"LSM-{n:02d}-R"
        moments.append(_moment(risk_id, cid, rng.randint(1, 9), channel, direction, text, rng))
        items.append({
            "id": f"lead-{n:03d}", "kind": "lead", "question": QUESTIONS[(n - 1) % len(QUESTIONS)].format(name=name),
            "customer_id": cid, "expect": "answer", "gold_record_ids": [f"moment:{risk_id}"],
            "candidates": [], "lead_record_ids": [f"moment:{risk_id}"], "asked_at": ASKED_AT.isoformat(),
        })  # fmt: skip
    return customers, moments, items


def _moment(mid, cid, days_ago, channel, direction, text, rng) -> dict:
    when = ASKED_AT - timedelta(days=days_ago, hours=rng.randint(0, 8))
    author = rng.choice(PEOPLE)
    return {"moment_id": mid, "customer_id": cid, "occurred_at": when.isoformat(),
            "channel": channel, "direction": direction, "author": author, "text": text}  # fmt: skip


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def main() -> None:
    root = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--out", type=Path, default=root / "leadset.jsonl")
    parser.add_argument("--records", type=Path, default=root / "leadset")
    args = parser.parse_args()
    customers, moments, items = generate(args.seed)
    _write(args.records / "customers.jsonl", customers)
    _write(args.records / "moments.jsonl", moments)
    _write(args.out, items)
    print(f"{len(items)} items -> {args.out}; records -> {args.records}")


if __name__ == "__main__":
    main()
