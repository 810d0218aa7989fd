"""`c360 report`, `c360 worker`, `c360 alerts scan`, and the 0002 migration (SQLite)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from ownership_support import (
    make_container,
    moment,
    ownership_settings,
    raise_alert,
    seed_customers,
)

from c360.cli import main
from c360.domain import Person
from store.db import alembic_config, make_engine


@pytest.fixture
def store_env(tmp_path, embeddings, clock, monkeypatch):
    """A store with three alerts (one owned within the SLA), and the environment `c360` reads."""
    settings = ownership_settings(tmp_path)
    container = make_container(settings, embeddings, clock)
    seed_customers(container)
    a1 = raise_alert(container, clock.now(), mid="m1")
    raise_alert(container, clock.now(), mid="m2", customer="C3")
    clock.advance(minutes=12)
    container.ownership.claim(a1, Person("U0SUP1"))
    for key in (
        "SLACK_BOT_TOKEN",
        "C360_SLACK_BOT_TOKEN",
        "C360_DATABASE_URL",
        "C360_ALERTS_CHANNEL",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("C360_DATA_DIR", str(settings.data_dir))
    return container


def test_report_prints_a_table_by_team_and_by_rule(store_env, capsys):
    assert main(["report", "--since", "36500"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "by team" in out and "by rule" in out
    lines = out.splitlines()
    rule_row = next(line for line in lines if line.startswith("negative_inbound"))
    assert rule_row.split()[:4] == ["negative_inbound", "2", "1", "0"]
    assert next(line for line in lines if line.startswith("unassigned")).split()[1:3] == ["1", "1"]


def test_report_json_has_the_measured_outcomes(store_env, capsys):
    assert main(["report", "--json", "--since", "36500"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["alerts"] == 2
    assert report["overall"]["median_minutes_to_owner"] is not None
    assert set(report["by_rule"]) == {"negative_inbound"}
    assert set(report["by_team"]) == {"unassigned", "unowned"}


def test_worker_refuses_to_start_without_a_slack_token_and_says_what_to_set(store_env, capsys):
    assert main(["worker", "--once"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_alerts_scan_backlog_raises_alerts_for_stored_records(store_env, clock, capsys):
    store_env.ingest.add_records(
        [
            moment(
                "m-old",
                "C2",
                "This is terrible, your service is awful and I am furious.",
                clock.now() - timedelta(days=10),
            )
        ],
        source="t",
    )
    assert len(store_env.ownership.alerts()) == 2
    # the CLI's own clock is the wall clock, far past the test clock: scan a wide window
    assert main(["alerts", "scan", "--backlog", "--since", "36500"]) == 0
    assert "1 alert(s) raised" in capsys.readouterr().out
    assert len(store_env.ownership.alerts()) == 3


def test_the_0002_migration_upgrades_and_downgrades_cleanly(tmp_path):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    cfg = alembic_config()
    tables = {"ownership_alerts", "ownership_events", "ownership_outbox"}
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert tables <= set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not tables & set(sa.inspect(engine).get_table_names())
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert tables <= set(sa.inspect(engine).get_table_names())


def test_report_counts_feedback_and_the_wrong_customer_rate(store_env, capsys):
    from c360.domain import Asker

    asker = Asker("U0SUP1", "Sue", "slack")
    answers = [
        store_env.moments.log_exchange("C1", asker, f"q{n}", "a", ["customer:C1"]) for n in range(3)
    ]
    store_env.moments.set_feedback(answers[0], "helpful", "U0SUP1")
    store_env.moments.set_feedback(answers[1], "wrong_customer", "U0SUP1")
    store_env.moments.set_feedback(answers[1], "wrong_customer", "U0SUP2")
    store_env.moments.close()
    assert main(["report", "--json", "--since", "36500"]) == 0
    feedback = json.loads(capsys.readouterr().out)["feedback"]
    assert feedback == {
        "answers": 3,
        "answers_with_feedback": 2,
        "votes": {"helpful": 1, "not_helpful": 0, "wrong_customer": 2},
        "wrong_customer_rate": 0.5,
    }
    assert main(["report", "--since", "36500"]) == 0
    assert (
        "Answers: 3, with feedback 2: helpful 1, not helpful 0, wrong customer 2; "
        "wrong-customer rate 50.0%"
    ) in capsys.readouterr().out
