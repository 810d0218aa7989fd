"""Zendesk changes: deleted organizations (standalone, or linked to a CRM company), the comments
of a ticket an earlier sync rejected once it is valid, and the export cursors as documented."""

from __future__ import annotations

from sources_testkit import write_sources
from sqlalchemy import select

from c360.domain import Asker
from store.models import (
    ChunkRow,
    ComplaintRow,
    CustomerLinkRow,
    CustomerRow,
    MomentRow,
    SyncPendingRow,
)

ASKER = Asker(id="U-DANA", name="Dana", channel="cli")


def _desk(zendesk):
    zendesk.add_user(1, "Carla Customer", role="end-user")
    zendesk.add_user(2, "Sam Agent", role="agent")
    zendesk.add_org(10, "Acme Corp", domains=["acme.com"])
    zendesk.add_org(11, "Globex", domains=["globex.com"])
    zendesk.add_ticket(100, 10, "Invoices are wrong", "Billed twice in March.")
    zendesk.add_ticket(101, 11, "Login fails <!here>", "SSO redirects forever.")
    zendesk.add_comment(100, 1, "Still waiting on the refund.")
    zendesk.add_comment(101, 1, "Globex cannot log in since Monday.")


def _helpdesk(hubspot_url=None, zendesk=None, **extra):
    entry = {"name": "helpdesk", "connector": "zendesk", "subdomain": "acme",
             "base_url": zendesk.base_url, "pace": 0} | extra  # fmt: skip
    return entry


def _cited(live, ref):
    answer = live.briefs.brief(ref, ASKER, log=False)
    return answer, {c["record_id"] for c in answer.to_dict()["citations"]}


def _index_ids(live):
    return {
        m.get("record_id") for m in live.index.collection.get(include=["metadatas"])["metadatas"]
    }


def test_a_deleted_organization_leaves_with_its_tickets_and_comments_and_is_cited_no_more(
    tmp_path, zendesk, live
):
    _desk(zendesk)
    sources = write_sources(tmp_path / "sources.yml", _helpdesk(zendesk=zendesk))
    assert live.sync.sync(sources).completed
    _, cited = _cited(live, "Globex")
    assert "complaint:zd-101" in cited
    zendesk.delete_org(11)
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    with live.sessions() as s:
        assert s.get(CustomerRow, "zd-org-11") is None
        assert s.get(ComplaintRow, "zd-101") is None
        assert s.scalars(select(MomentRow).where(MomentRow.complaint_id == "zd-101")).all() == []
        assert s.get(CustomerRow, "zd-org-10") is not None
        chunks = set(s.scalars(select(ChunkRow.record_id)))
    assert not {r for r in chunks | _index_ids(live) if "zd-org-11" in r or "zd-101" in r}
    answer, cited = _cited(live, "Globex")
    assert not {c for c in cited if "zd-org-11" in c or "zd-101" in c}, answer.to_dict()
    assert "Login fails" not in answer.answer


def test_a_deleted_organization_linked_to_a_crm_company_leaves_its_aliases_and_tickets(
    tmp_path, zendesk, hubspot, live
):
    hubspot.put("companies", "1", name="Acme (CRM)", domain="acme.com")
    hubspot.put("notes", "41", company="1", hs_note_body="Renewal call went fine",
                hs_timestamp="1700100000000")  # fmt: skip
    _desk(zendesk)
    crm = {"name": "crm", "connector": "hubspot", "base_url": hubspot.base_url, "pace": 0}
    sources = write_sources(tmp_path / "sources.yml", crm, _helpdesk(zendesk=zendesk))
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        assert s.get(ComplaintRow, "zd-100").customer_id == "hs-1"
        assert {"zd-org-10", "Acme Corp"} <= set(s.get(CustomerRow, "hs-1").aliases)
    zendesk.delete_org(10)
    report = live.sync.sync(sources)
    assert report.completed, report.to_dict()
    with live.sessions() as s:
        acme = s.get(CustomerRow, "hs-1")
        assert acme is not None and s.get(MomentRow, "hs-note-41") is not None
        assert "zd-org-10" not in acme.aliases and "Acme Corp" not in acme.aliases
        assert s.get(CustomerLinkRow, "zd-org-10") is None
        assert s.get(ComplaintRow, "zd-100") is None
        assert s.scalars(select(MomentRow).where(MomentRow.complaint_id == "zd-100")).all() == []
    assert not {r for r in _index_ids(live) if "zd-100" in r}
    answer, cited = _cited(live, "hs-1")
    assert "moment:hs-note-41" in cited and not {c for c in cited if "zd-" in c}
    assert "zd-org-10" not in answer.answer and "Invoices are wrong" not in answer.answer
    # Asked by the deleted organization's id, c360 does not answer with Acme.
    _, by_old_id = _cited(live, "zd-org-10")
    assert "customer:hs-1" not in by_old_id


def test_comments_of_a_rejected_ticket_are_read_once_the_ticket_is_valid(tmp_path, zendesk, live):
    _desk(zendesk)
    zendesk.add_ticket(102, None, "Orphan <!channel>", "No organization here.")
    zendesk.add_comment(102, 1, "Hello? Anyone there? \x1b[31m")
    zendesk.add_comment(102, 2, "Looking into it.", public=False)
    sources = write_sources(tmp_path / "sources.yml", _helpdesk(zendesk=zendesk, per_page=2))
    first = live.sync.sync(sources).sources[0]
    assert first.completed
    where = [str(e).split(":")[1].strip() for e in first.summary.errors]
    assert where[0] == "ticket 102" and len(where) == 3, where
    assert all(w.startswith("ticket 102 comment ") for w in where[1:]), where
    assert "fix the ticket" in str(first.summary.errors[1])
    with live.sessions() as s:
        assert s.get(SyncPendingRow, ("helpdesk", "zd-102")) is not None
    # Nothing changes: the next sync reads no comments again and keeps the ticket pending.
    live.sync.sync(sources)
    assert zendesk.calls(r"/tickets/102/comments") == []
    events_before = len(zendesk.calls("ticket_events"))
    zendesk.update_ticket(102, organization_id=10)
    second = live.sync.sync(sources).sources[0]
    assert second.completed, second.to_dict()
    assert second.summary.counts["moment"]["inserted"] == 2
    # Read through List Comments, as documented: page[size], then page[after] of meta.
    calls = zendesk.calls(r"/tickets/102/comments\.json")
    assert [c.query.get("page[size]") for c in calls] == ["100"]
    assert all(
        int(c.query["start_time"]) > 0 for c in zendesk.calls("ticket_events")[events_before:]
    )
    with live.sessions() as s:
        moments = s.scalars(
            select(MomentRow)
            .where(MomentRow.complaint_id == "zd-102")
            .order_by(MomentRow.moment_id)
        ).all()
        assert s.get(SyncPendingRow, ("helpdesk", "zd-102")) is None
    assert [(m.customer_id, m.direction, m.author) for m in moments] == [
        ("zd-org-10", "inbound", "Carla Customer"), ("zd-org-10", "internal", "Sam Agent"),
    ]  # fmt: skip
    answer, cited = _cited(live, "Acme Corp")
    assert "complaint:zd-102" in cited
    # Read once: the next sync neither reads them again nor changes anything.
    third = live.sync.sync(sources).sources[0]
    assert len(zendesk.calls(r"/tickets/102/comments")) == 1
    assert third.summary.total("inserted") == 0 and third.summary.total("updated") == 0


def test_list_comments_pages_by_after_cursor_and_a_429_waits(tmp_path, zendesk, live, monkeypatch):
    _desk(zendesk)
    zendesk.add_ticket(103, None, "Orphan", "No organization.")
    for n in range(150):
        zendesk.add_comment(103, 1 + n % 2, f"Comment number {n}")
    sources = write_sources(tmp_path / "sources.yml", _helpdesk(zendesk=zendesk))
    live.sync.sync(sources)
    zendesk.update_ticket(103, organization_id=11)
    zendesk.cue(r"/tickets/103/comments", status=429, retry_after=1)
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    calls = zendesk.calls(r"/tickets/103/comments")
    assert len(calls) == 3 and "page[after]" in calls[2].query and calls[1].at - calls[0].at >= 0.95
    with live.sessions() as s:
        assert (
            len(s.scalars(select(MomentRow).where(MomentRow.complaint_id == "zd-103")).all()) == 150
        )


def test_the_ticket_export_goes_on_from_after_cursor_never_from_a_start_time_again(
    tmp_path, zendesk, live
):
    _desk(zendesk)
    sources = write_sources(tmp_path / "sources.yml", _helpdesk(zendesk=zendesk, per_page=1))
    live.sync.sync(sources)
    live.sync.sync(sources)
    zendesk.add_ticket(104, 10, "Export slow", "Takes minutes.")
    live.sync.sync(sources)
    calls = zendesk.calls("tickets/cursor")
    assert "start_time" in calls[0].query and all("start_time" not in c.query for c in calls[1:])
    # Each call goes on from the after_cursor of the answer before it.
    with live.sessions() as s:
        assert s.get(ComplaintRow, "zd-104").customer_id == "zd-org-10"
    orgs = zendesk.calls("organizations")
    assert [c.query["start_time"] for c in orgs][0] == "0"
    assert all(int(c.query["start_time"]) > 0 for c in orgs[1:])


def test_a_deleted_organization_linked_to_another_of_the_same_helpdesk_takes_only_its_aliases(
    tmp_path, zendesk, live
):
    _desk(zendesk)
    sources = write_sources(tmp_path / "sources.yml", _helpdesk(zendesk=zendesk))
    assert live.sync.sync(sources).completed
    zendesk.add_org(12, "Acme EMEA", domains=["acme.com"])  # the same customer as org 10
    zendesk.add_ticket(105, 12, "EMEA invoices", "VAT missing.")
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        assert s.get(ComplaintRow, "zd-105").customer_id == "zd-org-10"
        assert "Acme EMEA" in s.get(CustomerRow, "zd-org-10").aliases
    zendesk.delete_org(12)
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        acme = s.get(CustomerRow, "zd-org-10")
        assert "Acme EMEA" not in acme.aliases and "zd-org-12" not in acme.aliases
        # Org 10's own ticket stays: its tickets and org 12's cannot be told apart here.
        assert s.get(ComplaintRow, "zd-100") is not None
