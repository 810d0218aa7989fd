"""A brief reads a large customer's complaints as counts plus the few records it shows, and the
field filter runs in the database. These tests hold those reads to the plain-Python reading of
every complaint (the specification), on SQLite and on PostgreSQL: same counts, same themes,
same field-matched records in the same order, and a description needs one complaint carrying
every named value."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from c360.domain import Asker, Complaint, Customer, Moment, complaint_field_values
from prompts import brief as W
from retrieval.fieldmatch import FieldQuestion, best_complaints, rank_by_fields
from store import queries as Q
from store.models import ComplaintValueRow

ASKER = Asker(id="U1", name="Eve", channel="cli")
PRODUCTS = ["Credit reporting", "Debt collection", "Mortgage", "Credit card or prepaid card", None]
ISSUES = [
    "Incorrect information on your report",
    "Improper use of your report",
    "Attempts to collect debt not owed",
    "Trouble during payment process",
    "Fees or interest",
]
STATES = ["CA", "TX", "NY", "FL", "IN"]
VIA = ["Web", "Referral", "Phone", "Postal mail"]


def _big_customer_complaints(seed: int = 7, n: int = 240) -> list[Complaint]:
    """One company with many complaints over two years: products (some without), issues,
    states, channels, a second spelling of one value ("WEB"), open and closed ones."""
    rng = random.Random(seed)
    start = datetime(2019, 1, 1, 9, tzinfo=UTC)
    out = []
    for i in range(n):
        via = rng.choice(VIA)
        out.append(
            Complaint(
                complaint_id=str(3_500_000 + i),
                customer_id="bureau",
                opened_at=start + timedelta(days=rng.randrange(0, 700), hours=rng.randrange(8)),
                text=f"Complaint {i}: the consumer wrote about their report.",
                category=rng.choice(PRODUCTS),
                status=rng.choice(["closed"] * 5 + ["in_progress", "open"]),
                attributes={
                    "issue": rng.choice(ISSUES),
                    "sub_issue": rng.choice(["Their investigation did not fix an error", None]),
                    "state": rng.choice(STATES),
                    "submitted_via": "WEB" if via == "Web" and i % 5 == 0 else via,
                    "zip_code": f"{rng.randrange(10000, 99999)}",
                },
            )
        )
    return out


BIG = _big_customer_complaints()
OTHER = [  # a look-alike with the same values, never cited for the bureau
    Complaint(
        complaint_id=str(3_600_000 + i),
        customer_id="other",
        opened_at=BIG[i].opened_at,
        text=f"Other company complaint {i}.",
        category=BIG[i].category,
        status=BIG[i].status,
        attributes=dict(BIG[i].attributes),
    )
    for i in range(30)
]
RESPONSES = [
    Moment(
        moment_id=f"cfpb-resp-{c.complaint_id}",
        customer_id="bureau",
        occurred_at=c.opened_at + timedelta(days=2),
        text=f"Response to CFPB complaint {c.complaint_id}: Closed with explanation.",
        channel="ticket",
        direction="outbound",
        meta={"complaint_id": c.complaint_id},
    )
    for c in BIG[:40]
]


def _load(container) -> None:
    container.ingest.add_records(
        [
            Customer("bureau", "Big Bureau Inc."),
            Customer("other", "Other Lender LLC"),
            *BIG,
            *OTHER,
            *RESPONSES,
        ],
        "unit",
    )


@pytest.fixture(
    params=[
        "sqlite",
        "sqlite, whole history read at once",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def loaded(request, monkeypatch):
    """The store on each backend; and once with the short-history path (every complaint read
    in one query) forced on, to show both paths state the same facts."""
    import c360.brief.facts as briefs_module

    if "whole history" in request.param:
        monkeypatch.setattr(briefs_module, "SMALL_HISTORY", 10_000)
    else:
        assert len(BIG) > briefs_module.SMALL_HISTORY  # the indexed path is the one tested
    backend = "pg_container" if request.param == "postgres" else "container"
    container = request.getfixturevalue(backend)
    _load(container)
    return container


def test_the_digest_counts_what_reading_every_complaint_counts(loaded):
    with loaded.sessions() as session:
        digest = Q.complaint_digest(session, "bureau")
    assert digest.total == len(BIG)
    assert digest.open == sum(c.is_open for c in BIG)
    assert digest.newest_at == max(c.opened_at for c in BIG)
    by_category = {c.category: (c.total, c.open) for c in digest.categories}
    expected = {
        cat: (
            sum(c.category == cat for c in BIG),
            sum(c.category == cat and c.is_open for c in BIG),
        )
        for cat in PRODUCTS
    }
    assert by_category == expected  # the uncategorised ones (None) counted on their own


def _questions() -> list[str]:
    """Questions naming fields the way users and the dev set do: one value, several, in lower
    case, a state code, a day, an id, a value spelled two ways, and nothing at all."""
    c = BIG[17]
    day = c.opened_at.date().isoformat()
    return [
        f"What did consumers complain about regarding {c.category or 'Mortgage'}?",
        f"complaints about {c.attributes['issue'].lower()} from {c.attributes['state']}",
        f"{c.attributes['issue']} in {c.attributes['state']} via {c.attributes['submitted_via']}",
        "complaints submitted via web",  # "Web" and "WEB" are one value
        "complaints from IN about fees or interest",
        "complaints in ca",  # a code in lower case where only a place fits: California
        "complaints from me",  # a code that is an everyday word: no place
        f"the complaint received on {day}",
        f"complaints from {c.attributes['state']} in {c.opened_at:%B %Y}",  # a month
        f"what came in during {c.opened_at.year}?",  # a year
        f"what happened with complaint {BIG[3].complaint_id}?",
        f"Credit card or prepaid card complaints about {ISSUES[4]} sent by Postal mail",
        "Their investigation did not fix an error: how did they respond?",
        "How is the account doing?",
    ]


def test_the_field_value_index_finds_what_reading_every_complaint_finds(loaded):
    """For each question: the best-matching complaints' score, how many there are, and the
    newest ten, from the database's field-value index, equal those from ranking every
    complaint in memory; likewise the open ones among them for an "open complaints" question."""
    newest_first = sorted(BIG, key=lambda c: (c.opened_at, c.complaint_id), reverse=True)
    names_nothing = {"How is the account doing?", "complaints from me"}
    fields, now = loaded.briefs.fields, loaded.clock.now()

    def match(session, question, open_only=False, complaints=None):
        asked = FieldQuestion("bureau", question, fields, now, open_only, complaints)
        return best_complaints(session, asked)

    with loaded.sessions() as session:
        for question in _questions():
            for open_only in (False, True):
                ours = match(session, question, open_only)
                spec = match(session, question, open_only, complaints=newest_first)
                assert (spec is None) is (question in names_nothing), question
                if spec is None:
                    assert ours is None, question
                    continue
                assert (round(ours.score, 6), ours.count) == (round(spec.score, 6), spec.count)
                assert [r.record_id for r in ours.newest] == [r.record_id for r in spec.newest]
                assert {r.customer_id for r in ours.newest} == {"bureau"}
    # The ranking in memory is rank_by_fields itself: its best tier, newest first.
    ranked = rank_by_fields(_questions()[1], newest_first)
    tier = [r for s, r in ranked if s >= ranked[0][0] - 1e-9]
    spec = match(None, _questions()[1], complaints=newest_first)
    assert spec.count == len(tier) and spec.newest == tier[:10]


def test_a_description_needs_one_complaint_carrying_every_named_value(loaded):
    """The issue "Attempts to collect debt not owed" and "TX" on one complaint, not on two."""
    both = {
        c.customer_id
        for c in BIG + OTHER
        if c.attributes["issue"] == ISSUES[2] and c.attributes["state"] == "TX"
    }
    result = loaded.briefs.resolution.descriptions.by_fields(
        "the company with complaints about attempts to collect debt not owed in TX"
    )
    assert both == {"bureau", "other"}  # the data has both companies fit: it asks which
    assert result.status == "ambiguous"
    assert {c.customer_id for c in result.candidates} == both
    nobody = loaded.briefs.resolution.descriptions.by_fields(
        "the company with complaints about attempts to collect debt not owed in ZZ via Fax"
    )
    assert nobody is None


def test_the_brief_of_a_large_customer_states_the_counts_of_all_its_complaints(loaded):
    result = loaded.briefs.brief("Big Bureau", ASKER, log=False)
    assert result.customer["customer_id"] == "bureau"
    themes = Counter(c.category or "uncategorised" for c in BIG)
    expected = [
        W.theme_line(cat, n, sum((c.category or "uncategorised") == cat and c.is_open for c in BIG))
        for cat, n in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    ]
    assert [i.text for i in result.section(W.TITLE_THEMES).items] == expected
    open_sorted = sorted((c for c in BIG if c.is_open), key=lambda c: c.opened_at)
    open_items = result.section(W.TITLE_OPEN).items
    assert [i.citations for i in open_items[:5]] == [[c.record_id] for c in open_sorted[:5]]
    assert open_items[5].text == W.more_open_complaints(len(open_sorted) - 5)
    assert open_items[5].citations == [c.record_id for c in open_sorted[5:15]]
    assert {c.customer_id for c in result.citations} == {"bureau"}


def test_a_count_question_counts_every_complaint_and_cites_the_latest(loaded):
    result = loaded.briefs.ask("How many complaints does Big Bureau have?", ASKER, log=False)
    first = result.sections[0].items[0]
    n_open = sum(c.is_open for c in BIG)
    assert first.text == W.count_complaints_line("Big Bureau Inc.", len(BIG), n_open)
    newest = sorted(BIG, key=lambda c: (c.opened_at, c.complaint_id), reverse=True)[:5]
    assert first.citations == ["customer:bureau", *[c.record_id for c in newest]]


def test_a_field_question_cites_the_matching_complaints_then_their_responses(loaded):
    target = BIG[5]
    question = f"Big Bureau complaint {target.complaint_id}: how did they respond?"
    result = loaded.briefs.ask(question, ASKER, log=False)
    first = result.sections[0].items
    cited = [c for item in first for c in item.citations]
    assert target.record_id in cited
    assert f"moment:cfpb-resp-{target.complaint_id}" in cited
    assert {c.customer_id for c in result.citations} == {"bureau"}


def test_the_field_value_index_follows_a_changed_complaint(loaded):
    """Re-ingesting a complaint with another state moves it in the index: found under the
    new value, no longer under the old one; re-ingesting unchanged adds nothing."""
    moved = BIG[0]
    old_state = moved.attributes["state"]
    new = Complaint(**{**moved.__dict__, "attributes": {**moved.attributes, "state": "WY"}})
    new.__dict__.pop("kind", None)
    loaded.ingest.add_records([new], "unit")
    loaded.ingest.add_records([new], "unit")
    with loaded.sessions() as session:
        under_new = Q.value_hits(session, "bureau", [("state", "WY")])
        under_old = Q.value_hits(session, "bureau", [("state", old_state)])
        count = session.execute(
            sa.select(sa.func.count()).select_from(ComplaintValueRow)
        ).scalar_one()
    assert {c: (Q.stored_time(k), m) for c, (k, m) in under_new.items()} == {
        moved.complaint_id: (moved.opened_at, 1)
    }
    assert moved.complaint_id not in under_old
    expected = sum(len(complaint_field_values(c.category, c.attributes)) for c in BIG + OTHER)
    assert count == expected


def test_the_0004_migration_backfills_an_existing_store_and_downgrades(tmp_path):
    """A store written before complaint_values existed: upgrading fills the field-value index
    and moments.complaint_id from what is stored; downgrading removes them again."""
    from alembic import command

    from store.db import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    cfg = alembic_config()

    def to(revision: str, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)

    to("0003")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (customer_id, name, aliases, emails, attributes,"
                " content_hash, ingested_at, updated_at)"
                " VALUES ('bureau', 'Big Bureau Inc.', '[]', '[]', '{}', 'h', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO complaints (complaint_id, customer_id, opened_at, category, text,"
                " status, attributes, content_hash, ingested_at, updated_at)"
                " VALUES ('1', 'bureau', :t, 'Mortgage', 'x', 'closed',"
                ' \'{"issue": "Fees", "state": "CA", "zip_code": "90001"}\', \'h\', :t, :t)'
            ),
            {"t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO moments (moment_id, customer_id, occurred_at, channel, direction,"
                " text, tags, origin, meta, content_hash, ingested_at, updated_at)"
                " VALUES ('r1', 'bureau', :t, 'ticket', 'outbound', 'Closed.', '[]', 'data',"
                " '{\"complaint_id\": 1}', 'h', :t, :t)"
            ),
            {"t": now},
        )
    to("head")
    with engine.connect() as conn:
        values = conn.execute(
            sa.text("SELECT field, value FROM complaint_values ORDER BY field")
        ).all()
        linked = conn.execute(sa.text("SELECT complaint_id FROM moments")).scalar_one()
    assert [tuple(v) for v in values] == [
        ("category", "Mortgage"),
        ("issue", "Fees"),
        ("state", "CA"),
    ]
    assert linked == "1"
    to("0003", down=True)
    assert "complaint_values" not in sa.inspect(engine).get_table_names()
    to("head")
    assert "complaint_values" in sa.inspect(engine).get_table_names()
