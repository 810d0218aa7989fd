"""Crash safety of `c360 sync`, end to end: a real `c360 sync` process reading the strict fake
Zendesk is killed with SIGKILL at a chosen point of a chosen batch (before its commit, after
it, halfway through its Chroma upsert, after Chroma) ten times in a row, while the helpdesk
changes between kills (new tickets and comments, edits, deletions). Each killed run continues
from the cursor the previous one committed. One ordinary run afterwards must leave the store
equal to the helpdesk (no record lost, none twice), the index equal to the store (`c360
doctor`), and must re-read no more than the pages in flight.

Small on purpose (a few hundred records, pages of 15): eleven processes per backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fake_zendesk import FakeZendesk

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

C360 = str(Path(sys.executable).parent / "c360")
PER_PAGE = 15
KILLS = [
    ("after_commit", 2), ("before_commit", 3), ("mid_index", 2), ("after_index", 4),
    ("after_commit", 5), ("before_commit", 2), ("mid_index", 3), ("after_commit", 3),
    ("after_index", 2), ("mid_index", 4),
]  # fmt: skip
FAULTS = ("missing_vectors", "orphan_vectors", "stale_vectors", "unfinished_runs")


def _grow(zendesk: FakeZendesk, round_: int) -> None:
    """Each round: 2 new organizations, 12 tickets with 2 comments each, 3 edits, 1 deletion."""
    base = 1000 * (round_ + 1)
    for o in range(2):
        zendesk.add_org(base + o, f"Org {base + o}", domains=[f"org{base + o}.example"])
    for t in range(12):
        tid = base + 100 + t
        zendesk.add_ticket(tid, base + t % 2, f"Problem {tid}", f"Ticket {tid} about item {t}")
        zendesk.add_comment(tid, 1, f"Customer note on {tid}: still broken after step {t}")
        zendesk.add_comment(tid, 2, f"Agent reply on {tid}: fix planned {t}", public=t % 3 != 0)
    live = sorted(i for i, t in zendesk.tickets.items() if t["status"] != "deleted")
    for tid in live[round_::7][:3]:
        zendesk.update_ticket(tid, status="solved", subject=f"Problem {tid} (solved in {round_})")
    if round_ > 0:
        zendesk.delete_ticket(live[round_ * 5 % len(live)])


def _env(data_dir: Path, database_url: str | None, crash_at: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C360_", "ZENDESK_"))}
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
        C360_DATA_DIR=str(data_dir), ZENDESK_EMAIL="agent@example.com",
        ZENDESK_API_TOKEN="zd-test-token",
    )  # fmt: skip
    if database_url:
        env["C360_DATABASE_URL"] = database_url
    if crash_at:
        env["C360_TEST_CRASH_AT"] = crash_at
    return env


def _c360(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [C360, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _kill_and_recover(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "c360"
    url = database_url or f"sqlite:///{(data_dir / 'c360.db').resolve()}"
    with FakeZendesk() as zendesk:
        zendesk.add_user(1, "Carla Customer", role="end-user")
        zendesk.add_user(2, "Sam Agent", role="agent")
        sources = tmp_path / "sources.yml"
        sources.write_text(yaml.safe_dump({"sources": [{
            "name": "helpdesk", "connector": "zendesk", "subdomain": "acme",
            "base_url": zendesk.base_url, "pace": 0, "per_page": PER_PAGE,
        }]}))  # fmt: skip
        for round_, (point, batch) in enumerate(KILLS):
            _grow(zendesk, round_)
            killed = _c360(
                _env(data_dir, database_url, f"{point}:{batch}"), "sync", "--source", str(sources)
            )
            assert killed.returncode == -9, (point, batch, killed.returncode, killed.stderr[-2000:])
        before = len(zendesk.requests)
        final = _c360(_env(data_dir, database_url), "sync", "--source", str(sources), "--json")
        assert final.returncode == 0, final.stderr[-3000:]
        result = json.loads(final.stdout)["sources"][0]
        assert result["completed"] and result["rejected"] == 0, result["errors"][:5]
        # What the last killed run had committed is not read again: at most the page in
        # flight, plus the one item each time-based stream repeats at its boundary.
        assert result["unchanged"] <= PER_PAGE + 3, result
        assert len(zendesk.requests) - before < 40

        doctor = _c360(_env(data_dir, database_url), "doctor", "--json")
        report = json.loads(doctor.stdout)
        assert {k: report[k] for k in FAULTS} == dict.fromkeys(FAULTS, 0), report
        assert report["store_chunks"] == report["index_vectors"]

        expected_complaints = {
            f"zd-{t['id']}": t["subject"]
            for t in zendesk.tickets.values()
            if t["status"] != "deleted"
        }
        expected_moments = {
            f"zd-{e['ticket_id']}-c{c['id']}": c["body"]
            for e in zendesk.events for c in e["child_events"]
            if f"zd-{e['ticket_id']}" in expected_complaints
        }  # fmt: skip
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                complaints = dict(
                    conn.execute(sa.text("SELECT complaint_id, text FROM complaints")).all()
                )
                moments = dict(conn.execute(sa.text("SELECT moment_id, text FROM moments")).all())
                customers = {
                    r[0] for r in conn.execute(sa.text("SELECT customer_id FROM customers"))
                }
                runs = [
                    r[0]
                    for r in conn.execute(sa.text("SELECT status FROM ingest_runs ORDER BY id"))
                ]
        finally:
            engine.dispose()
        assert set(complaints) == set(expected_complaints)
        assert all(complaints[k].startswith(v) for k, v in expected_complaints.items())
        assert moments == expected_moments
        assert customers == {f"zd-org-{o}" for o in zendesk.orgs}
        assert runs.count("abandoned") == len(KILLS) and runs[-1] == "completed"


def test_sigkill_mid_sync_ten_times_then_one_run_loses_and_duplicates_nothing_on_sqlite(tmp_path):
    _kill_and_recover(tmp_path, None)


@pytest.mark.postgres
def test_sigkill_mid_sync_ten_times_then_one_run_loses_and_duplicates_nothing_on_postgres(
    tmp_path, pg_url
):
    _kill_and_recover(tmp_path, pg_url)
