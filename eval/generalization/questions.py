"""The generalization check's item classes: a company named with a fact about it, a company
described without its name (an answer when one company fits, an ask-back when two to four do,
an abstain when none does), a partial id, a name word several companies share, and companies or
ids that are not in the data."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from connectors.mapping import slugify
from eval.generalization.data import MAX_CANDIDATES, Builder, Complaint, Facets, name_tokens
from eval.generalization.issues import ISSUE_OF, ISSUES
from eval.generalization.vocabulary import (
    COMMON_WORDS,
    GENERIC_ROLES,
    INVENTED_FIRST,
    INVENTED_SECOND,
    LEGAL_WORDS,
    MONTH_FORMS,
    NAMED_ROLES,
    PRODUCT_OF,
    ROLE_BY_PRODUCT,
    STATES,
    STATUS,
    TAGS,
    VIA,
    YEAR_FORMS,
    relative_date,
)

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
