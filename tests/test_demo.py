"""The demo company generator and `c360 demo`: deterministic files a real ingest accepts, the
look-alikes the demo depends on, and briefs that cite only the resolved customer's records."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from c360.cli import build_parser
from c360.domain import Asker
from c360.services.demo import DemoCompany
from c360.services.demo.vocabulary import INJECTION_TEXT

ANCHOR = date(2026, 11, 23)
SMALL = 30


def _write(tmp_path: Path, name: str, **kwargs) -> dict[str, Path]:
    params = {"customers": SMALL, "seed": 7, "today": ANCHOR} | kwargs
    return DemoCompany(**params).write(tmp_path / name)


def _customers(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _complaints(path: Path) -> list[dict[str, str]]:
    return _customers(path)


def _moments(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the generator -------------------------------------------------------------------------
def test_same_seed_and_anchor_give_byte_identical_files(tmp_path):
    first = _write(tmp_path, "a")
    second = _write(tmp_path, "b")
    for kind in ("customers", "moments", "complaints"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_another_seed_or_anchor_gives_other_data(tmp_path):
    base = _write(tmp_path, "a")
    other_seed = _write(tmp_path, "b", seed=8)
    other_day = _write(tmp_path, "c", today=ANCHOR + timedelta(days=1))
    assert base["moments"].read_bytes() != other_seed["moments"].read_bytes()
    assert base["moments"].read_bytes() != other_day["moments"].read_bytes()


def test_default_company_has_hundreds_of_customers_and_thousands_of_moments(tmp_path):
    paths = DemoCompany(today=ANCHOR).write(tmp_path / "full")
    customers = _customers(paths["customers"])
    moments = _moments(paths["moments"])
    complaints = _complaints(paths["complaints"])
    assert len(customers) == 300
    assert len({c["customer_id"] for c in customers}) == 300
    assert len({c["name"].lower() for c in customers}) == 300
    assert len(moments) >= 2000
    assert len(complaints) >= 100
    assert {c["segment"] for c in customers} == {"SMB", "Mid-market", "Enterprise"}
    assert {m["channel"] for m in moments} >= {
        "email",
        "call",
        "meeting",
        "note",
        "chat",
        "ticket",
        "social",
    }
    assert {m["direction"] for m in moments} == {"inbound", "outbound", "internal"}
    assert all(c["owner"].startswith("@") for c in customers)
    statuses = {c["status"] for c in complaints}
    assert statuses == {"open", "in_progress", "resolved", "closed"}


def test_lookalike_customers_exist_with_similar_domains(tmp_path):
    customers = {c["name"]: c for c in _customers(_write(tmp_path, "a")["customers"])}
    for one, other in [
        ("Acme Corp", "Acme Corporation Ltd"),
        ("Globex Inc", "Globex Industries"),
        ("Initech", "Initech Systems"),
    ]:
        assert one in customers and other in customers
        assert customers[one]["customer_id"] != customers[other]["customer_id"]
        stem = one.split()[0].lower()
        assert stem in customers[one]["domain"] and stem in customers[other]["domain"]
        assert customers[one]["domain"] != customers[other]["domain"]


def test_every_date_falls_in_the_two_years_before_the_anchor(tmp_path):
    paths = _write(tmp_path, "a")
    end = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, tzinfo=UTC)
    start = end - timedelta(days=731)

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    for m in _moments(paths["moments"]):
        assert start <= parse(m["occurred_at"]) < end, m
    for c in _complaints(paths["complaints"]):
        opened = parse(c["opened_at"])
        assert start <= opened < end, c
        if c["resolved_at"]:
            assert opened < parse(c["resolved_at"]) < end, c


def test_complaint_status_agrees_with_resolution(tmp_path):
    for c in _complaints(_write(tmp_path, "a")["complaints"]):
        if c["status"] in ("resolved", "closed"):
            assert c["resolved_at"] and c["resolution"], c
        else:
            assert not c["resolved_at"] and not c["resolution"], c


def test_moments_carry_customer_specific_details_and_mixed_sentiment(tmp_path):
    paths = _write(tmp_path, "a")
    customers = {c["customer_id"]: c for c in _customers(paths["customers"])}
    moments = _moments(paths["moments"])
    inbound = [m for m in moments if m["direction"] == "inbound"]
    # inbound moments are authored by one of that customer's own contacts
    for m in inbound:
        assert m["author"] in customers[m["customer_id"]]["emails"].split(";"), m
    assert sum("negative" in m["tags"] for m in moments) >= len(moments) // 10
    assert len({m["text"] for m in moments}) > len(moments) * 0.9  # varied, not a few stock lines


def test_one_record_carries_a_prompt_injection_attempt_as_data(tmp_path):
    moments = _moments(_write(tmp_path, "a")["moments"])
    injected = [m for m in moments if "Ignore previous instructions" in m["text"]]
    assert len(injected) == 1
    assert injected[0]["text"] == INJECTION_TEXT


def test_customer_records_can_be_generated_one_at_a_time_identically():
    company = DemoCompany(customers=50, seed=3, today=ANCHOR)
    streamed = [g.record for g in company.records() if g.record.customer_id == "C-1042"]
    alone = [g.record for g in company.records_for(42)]
    assert streamed == alone


def test_fewer_customers_than_the_planted_accounts_is_refused():
    with pytest.raises(ValueError, match="at least 10"):
        DemoCompany(customers=5, today=ANCHOR)


# --- `c360 demo` end to end --------------------------------------------------------------
def _run_demo(container, input_dir: Path, *extra: str) -> int:
    args = build_parser().parse_args(
        ["demo", "--customers", str(SMALL), "--dir", str(input_dir), "--no-progress", *extra]
    )
    return args.func(args, container)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embeddings):
    """One small demo generated and ingested through the real file connector, shared by the
    tests below (they only read, or re-run what must change nothing)."""
    from c360.clock import FixedClock
    from c360.container import Container
    from c360.settings import Settings

    root = tmp_path_factory.mktemp("demo")
    container = Container(
        Settings(data_dir=root / "c360", _env_file=None),
        embeddings=embeddings,
        clock=FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC)),
    )
    input_dir = root / "demo-input"
    before = embeddings.texts_embedded
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = _run_demo(container, input_dir, "--today", ANCHOR.isoformat(), "--no-briefs")
    assert code == 0, out.getvalue()
    return {
        "container": container,
        "dir": input_dir,
        "output": out.getvalue(),
        "embedded": embeddings.texts_embedded - before,
    }


def test_demo_files_ingest_without_a_rejected_row(demo):
    assert "completed: no rows rejected" in demo["output"]
    assert "inserted 30" in demo["output"]
    assert demo["embedded"] > 300


def test_rerunning_the_demo_embeds_nothing_even_on_another_day(demo, capsys):
    embeddings = demo["container"].embeddings
    before = embeddings.texts_embedded
    # no --today: the anchor remembered in demo.json is reused, so the files are identical
    assert _run_demo(demo["container"], demo["dir"], "--no-briefs") == 0
    out = capsys.readouterr().out
    assert f"dates up to {ANCHOR}" in out
    assert "embedded 0 texts" in out
    assert "inserted 0, updated 0" in out
    assert embeddings.texts_embedded == before


def test_demo_prints_briefs_and_a_try_next_hint(demo, capsys):
    assert _run_demo(demo["container"], demo["dir"]) == 0
    out = capsys.readouterr().out
    assert 'c360 brief "Acme Corp"' in out
    assert "INV-20931" in out  # the key account's open invoice complaint
    assert "Acme Corporation Ltd" in out  # the ambiguous question lists both candidates
    assert "18,400" in out  # the specific question's answer
    assert "Try next:" in out


def test_briefs_cite_only_the_resolved_customers_own_records(demo):
    from sqlalchemy import select

    from store.models import ChunkRow

    container = demo["container"]
    asker = Asker(id="t", name="Tester")
    with container.sessions() as session:
        owner_of = dict(session.execute(select(ChunkRow.record_id, ChunkRow.customer_id)).all())
    for ref in [
        "Acme Corp",
        "Acme Corporation Ltd",
        "Globex Industries",
        "Initech Systems",
        "C-1003",
    ]:
        result = container.briefs.brief(ref, asker, log=False).to_dict()
        assert result["customer"] is not None, ref
        cid = result["customer"]["customer_id"]
        cited = {c["record_id"] for c in result["citations"]}
        assert cited, ref
        for rid in cited:
            assert owner_of.get(rid) == cid, (ref, rid)


def test_key_account_brief_shows_its_open_complaints(demo):
    result = (
        demo["container"]
        .briefs.brief("Acme Corp", Asker(id="t", name="Tester"), log=False)
        .to_dict()
    )
    assert result["customer"]["name"] == "Acme Corp"
    cited = {c["record_id"] for c in result["citations"]}
    assert {"complaint:SC1001-1", "complaint:SC1001-2"} <= cited
    assert "INV-20931" in result["answer"]


def test_ambiguous_acme_question_returns_both_candidates(demo):
    result = (
        demo["container"]
        .briefs.ask("What's going on with Acme?", Asker(id="t", name="Tester"), log=False)
        .to_dict()
    )
    assert result["customer"] is None
    names = {c["name"] for c in result["candidates"]}
    assert {"Acme Corp", "Acme Corporation Ltd"} <= names


def test_specific_question_is_answered_from_that_customers_records(demo):
    result = (
        demo["container"]
        .briefs.ask(
            "Did Initech Systems get the refund for the duplicate invoice?",
            Asker(id="t", name="Tester"),
            log=False,
        )
        .to_dict()
    )
    assert result["customer"]["name"] == "Initech Systems"
    assert "18,400" in result["answer"]
    assert all(c["customer_id"] == result["customer"]["customer_id"] for c in result["citations"])
