"""Freshness in every answer and in `c360 doctor`, and the CLI contracts of `c360 sync` and
`c360 sources` (--json fields, exit codes)."""

from __future__ import annotations

import json

from sources_testkit import write_sources

from c360.commands import doctor as doctor_command
from c360.commands import sync as sync_command
from c360.domain import Asker

ASKER = Asker(id="U-DANA", name="Dana", channel="cli")


def _helpdesk(zendesk, tmp_path, interval="1h"):
    zendesk.add_user(1, "Carla Customer", role="end-user")
    zendesk.add_org(10, "Acme Corp", domains=["acme.com"])
    zendesk.add_ticket(100, 10, "Invoices are wrong", "We were billed twice in March.")
    zendesk.add_comment(100, 1, "Still waiting on the refund for the double charge.")
    return write_sources(
        tmp_path / "sources.yml",
        {"name": "helpdesk", "connector": "zendesk", "subdomain": "acme",
         "base_url": zendesk.base_url, "pace": 0, "interval": interval},
    )  # fmt: skip


def _helpdesk_retries(path, retries):
    import yaml

    data = yaml.safe_load(path.read_text())
    data["sources"][0]["retries"] = retries
    path.write_text(yaml.safe_dump(data))
    return path


class Args:
    def __init__(self, **kw):
        self.__dict__.update({"name": None, "full": False, "json": True, "repair": False} | kw)


def test_a_brief_says_as_of_per_source_and_cites_each_record_s_source_and_url(
    tmp_path, zendesk, live
):
    sources = _helpdesk(zendesk, tmp_path)
    assert live.sync.sync(sources).completed
    result = live.briefs.brief("Acme Corp", ASKER, log=False)
    assert "Sources\n- Zendesk (helpdesk) as of 2026-11-23 12:00 UTC" in result.answer
    cited = {c["record_id"]: c for c in result.to_dict()["citations"]}
    assert cited["complaint:zd-100"]["source"] == "helpdesk"
    assert cited["complaint:zd-100"]["url"] == "https://acme.zendesk.com/agent/tickets/100"


def test_a_source_older_than_three_intervals_or_failing_is_named_in_the_answer_and_by_doctor(
    tmp_path, zendesk, live, clock, capsys
):
    sources = _helpdesk(zendesk, tmp_path, interval="1h")
    live.sync.sync(sources)
    clock.advance(hours=2)
    assert "it is behind" not in live.briefs.brief("Acme Corp", ASKER, log=False).answer
    clock.advance(hours=1, minutes=1)  # 3 h 1 min > 3 x 1 h
    answer = live.briefs.brief("Acme Corp", ASKER, log=False).answer
    assert (
        "Zendesk (helpdesk) last synced 3 hours ago (as of 2026-11-23 12:00 UTC): it is behind"
        in answer
    )
    zendesk.token = "revoked"
    assert not live.sync.sync(sources).completed
    answer = live.briefs.brief("Acme Corp", ASKER, log=False).answer
    assert (
        "Zendesk (helpdesk) failed its last sync; as of 2026-11-23 12:00 UTC (3 hours ago)"
        in answer
    )
    doctor_command.run(Args(), live)
    report = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["failing"]) for s in report["stale_sources"]] == [("helpdesk", True)]


def test_sync_and_sources_keep_their_json_contracts_and_exit_codes(
    tmp_path, zendesk, live, clock, capsys
):
    sources = _helpdesk(zendesk, tmp_path)
    assert sync_command.run_sync(Args(source=str(sources)), live) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["completed"] is True
    [helpdesk] = out["sources"]
    assert helpdesk["name"] == "helpdesk" and helpdesk["connector"] == "zendesk"
    assert (helpdesk["inserted"], helpdesk["deleted"], helpdesk["failure"]) == (3, 0, None)
    assert sync_command.run_sources(Args(), live) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert set(row) >= {"name", "connector", "last_success", "cursor", "records_seen", "last_error"}
    assert row["last_success"] == "2026-11-23T12:00:00+00:00" and row["records_seen"] >= 3
    assert json.loads(row["cursor"])["tickets"]
    clock.advance(minutes=5)
    sources = _helpdesk_retries(sources, retries=1)
    zendesk.cue("organizations", status=500, times=2)
    assert sync_command.run_sync(Args(source=str(sources)), live) == 1
    failed = json.loads(capsys.readouterr().out)["sources"][0]
    assert "HTTP 500" in failed["failure"]
    assert sync_command.run_sync(Args(source=str(sources), name="nope"), live) == 2
    assert "no source named 'nope'" in capsys.readouterr().err


def test_the_worker_syncs_a_source_only_when_its_interval_has_passed(
    tmp_path, zendesk, live, clock
):
    sources = _helpdesk(zendesk, tmp_path, interval="10m")
    assert [s.name for s in live.sync.run_due(sources).sources] == ["helpdesk"]
    clock.advance(minutes=5)
    assert live.sync.run_due(sources).sources == []
    clock.advance(minutes=6)
    assert [s.name for s in live.sync.run_due(sources).sources] == ["helpdesk"]


def test_file_entries_of_the_sources_file_still_sync_and_are_recorded(tmp_path, live):
    (tmp_path / "customers.csv").write_text("customer_id,name\nF-1,Filed Co\n")
    sources = write_sources(tmp_path / "sources.yml", {"name": "seed", "path": "customers.csv"})
    report = live.sync.sync(sources)
    assert report.completed and report.sources[0].summary.counts["customer"]["inserted"] == 1
    [state] = live.sync.states()
    assert (state["name"], state["connector"], state["records_seen"]) == ("seed", "file", 1)
    assert live.sync.sync(sources).sources[0].summary.counts["customer"]["unchanged"] == 1
