"""HubSpot through `c360 sync`: the CRM search API by last-modified time, paged by `after`;
associations, owners, archived objects and merges; one customer across CRM and helpdesk."""

from __future__ import annotations

import pytest
from sources_testkit import write_sources
from sqlalchemy import select

from c360.domain import Asker
from store.models import ComplaintRow, CustomerLinkRow, CustomerRow, MomentRow

ASKER = Asker(id="U-DANA", name="Dana", channel="cli")


def _crm(hubspot):
    hubspot.put("companies", "1", name="Acme Corp", domain="acme.com", hubspot_owner_id="501",
                lifecyclestage="customer", arr="120000")  # fmt: skip
    hubspot.put("companies", "2", name="Initech", domain="initech.com", lifecyclestage="lead")
    hubspot.put("contacts", "31", company="1", email="Carla@Acme.com", firstname="Carla",
                lastname="Diaz", jobtitle="CFO")  # fmt: skip
    hubspot.put("notes", "41", company="1", hs_note_body="<p>Renewal at risk: <b>budget</b> cut</p>",
                hs_timestamp="1700100000000", hubspot_owner_id="501")  # fmt: skip
    hubspot.put("calls", "42", company="1", hs_call_title="QBR", hs_call_body="Went well",
                hs_call_direction="INBOUND", hs_timestamp="1700200000000")  # fmt: skip
    hubspot.put("emails", "43", company="2", hs_email_subject="Pricing", hs_email_text="Can we talk?",
                hs_email_direction="INCOMING_EMAIL", hs_timestamp="1700300000000")  # fmt: skip
    hubspot.put("meetings", "44", company="2", hs_meeting_title="Kickoff", hs_meeting_body="Agenda",
                hs_timestamp="1700400000000")  # fmt: skip
    hubspot.put("tickets", "51", company="1", subject="Export broken", content="CSV export times out",
                hs_ticket_priority="HIGH", hs_ticket_category="PRODUCT_ISSUE")  # fmt: skip


def _source(tmp_path, hubspot, name="crm"):
    entry = {"name": name, "connector": "hubspot", "base_url": hubspot.base_url, "pace": 0}
    return write_sources(tmp_path / "sources.yml", entry)


def test_companies_contacts_activities_and_tickets_become_customers_moments_and_complaints(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    report = live.sync.sync(_source(tmp_path, hubspot))
    assert report.completed, report.to_dict()
    with live.sessions() as s:
        acme = s.get(CustomerRow, "hs-1")
        moments = {m.moment_id: m for m in s.scalars(select(MomentRow))}
        ticket = s.get(ComplaintRow, "hs-ticket-51")
    assert (acme.name, acme.domain, acme.owner, acme.arr) == (
        "Acme Corp",
        "acme.com",
        "Dana Lee",
        120000.0,
    )
    assert acme.attributes["lifecycle_stage"] == "customer"
    assert acme.url == "https://app.hubspot.com/contacts/424242/record/0-2/1"
    assert acme.emails == ["carla@acme.com"]
    assert acme.attributes["people"] == ["Carla Diaz <carla@acme.com> (CFO)"]
    assert moments["hs-note-41"].text == "Renewal at risk:  budget  cut"
    assert (moments["hs-note-41"].channel, moments["hs-note-41"].author) == ("note", "Dana Lee")
    assert moments["hs-call-42"].direction == "inbound"
    assert (
        moments["hs-email-43"].customer_id == "hs-2"
        and moments["hs-email-43"].direction == "inbound"
    )
    assert moments["hs-meeting-44"].channel == "meeting"
    assert ticket.customer_id == "hs-1" and ticket.severity == "high"
    assert ticket.category == "PRODUCT_ISSUE" and ticket.status == "open"
    # The search asked for changes since the cursor, oldest first.
    search = hubspot.calls("/crm/v3/objects/companies/search")[0].body
    assert search["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": "0",
    }
    assert search["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    contacts = hubspot.calls("/crm/v3/objects/contacts/search")[0].body
    assert contacts["filterGroups"][0]["filters"][0]["propertyName"] == "lastmodifieddate"


def test_paging_by_after_and_an_incremental_run_reads_only_what_changed(
    tmp_path, hubspot, live, monkeypatch
):
    import connectors.hubspot as hs

    monkeypatch.setattr(hs, "SEARCH_LIMIT", 2)
    for n in range(1, 8):
        hubspot.put("companies", str(n), name=f"Company {n}", domain=f"c{n}.com")
    sources = _source(tmp_path, hubspot)
    first = live.sync.sync(sources).sources[0]
    assert first.summary.counts["customer"]["inserted"] == 7
    afters = [c.body.get("after") for c in hubspot.calls("companies/search")]
    assert afters == [None, "2", "4", "6"]
    hubspot.put("companies", "3", name="Company Three")
    second = live.sync.sync(sources).sources[0]
    assert second.summary.counts["customer"]["updated"] == 1
    # GTE the newest time read: only the last company of the first run (unchanged) and the
    # changed one are read again.
    assert second.summary.counts["customer"]["unchanged"] == 1


def test_archived_objects_leave_c360_and_a_merged_company_redirects_its_records(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    sources = _source(tmp_path, hubspot)
    live.sync.sync(sources)
    hubspot.archive("notes", "41")
    hubspot.merge_companies("1", "2")
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    with live.sessions() as s:
        assert s.get(MomentRow, "hs-note-41") is None
        assert s.get(CustomerRow, "hs-2") is None
        assert s.get(MomentRow, "hs-email-43").customer_id == "hs-1"
        assert "hs-2" in s.get(CustomerRow, "hs-1").aliases
        assert s.get(CustomerLinkRow, "hs-2").customer_id == "hs-1"
    metas = live.index.collection.get(include=["metadatas"])["metadatas"]
    by_record = {m["record_id"]: m["customer_id"] for m in metas}
    assert "moment:hs-note-41" not in by_record
    assert by_record["moment:hs-email-43"] == "hs-1"
    assert "customer:hs-2" not in by_record


def test_the_same_company_in_crm_and_helpdesk_is_one_customer_found_by_either_id(
    tmp_path, hubspot, zendesk, live
):
    _crm(hubspot)
    zendesk.add_user(1, "Carla Diaz", role="end-user")
    zendesk.add_org(10, "ACME Corporation", domains=["acme.com"])
    zendesk.add_ticket(100, 10, "Invoices are wrong", "Billed twice.")
    zendesk.add_comment(100, 1, "Please fix the invoices")
    sources = write_sources(
        tmp_path / "sources.yml",
        {"name": "crm", "connector": "hubspot", "base_url": hubspot.base_url, "pace": 0},
        {"name": "helpdesk", "connector": "zendesk", "subdomain": "acme",
         "base_url": zendesk.base_url, "pace": 0},
    )  # fmt: skip
    assert live.sync.sync(sources).completed
    again = live.sync.sync(sources)
    assert all(s.summary.total("updated") == 0 for s in again.sources), again.to_dict()
    with live.sessions() as s:
        assert s.get(CustomerRow, "zd-org-10") is None
        acme = s.get(CustomerRow, "hs-1")
        assert s.get(ComplaintRow, "zd-100").customer_id == "hs-1"
        assert s.get(MomentRow, "zd-100-c1001").customer_id == "hs-1"
    assert acme.name == "Acme Corp" and {"zd-org-10", "ACME Corporation"} <= set(acme.aliases)
    assert acme.owner == "Dana Lee"  # the CRM's values stay
    for ref in ("hs-1", "zd-org-10"):
        answer = live.briefs.brief(ref, ASKER, log=False)
        assert answer.customer_record.customer_id == "hs-1", (ref, answer.to_dict())
    # The company archived in the CRM takes the CRM's records along, not the helpdesk's.
    hubspot.archive("companies", "1")
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        assert s.get(MomentRow, "hs-note-41") is None
        assert s.get(ComplaintRow, "hs-ticket-51") is None
        assert s.get(ComplaintRow, "zd-100").customer_id == "hs-1"
        assert s.get(CustomerRow, "hs-1") is not None


def test_a_bad_token_is_a_401_naming_hubspot_token(tmp_path, hubspot, live):
    hubspot.token = "other"
    source = live.sync.sync(_source(tmp_path, hubspot)).sources[0]
    assert not source.completed and "HUBSPOT_TOKEN" in source.failure and "401" in source.failure


def test_a_rate_limited_search_waits_and_goes_on(tmp_path, hubspot, live):
    _crm(hubspot)
    hubspot.cue("contacts/search", status=429, retry_after=1)
    hubspot.cue("tickets/search", status=502)
    source = live.sync.sync(_source(tmp_path, hubspot)).sources[0]
    assert source.completed, source.to_dict()
    calls = hubspot.calls("contacts/search")
    assert calls[1].at - calls[0].at >= 0.95


def test_past_the_search_cap_the_search_restarts_from_the_newest_time_read(
    tmp_path, hubspot, live, monkeypatch
):
    import connectors.hubspot as hs

    monkeypatch.setattr(hs, "SEARCH_LIMIT", 2)
    monkeypatch.setattr(hs, "SEARCH_CAP", 4)  # HubSpot's is 10,000
    for n in range(1, 10):
        hubspot.put("companies", str(n), name=f"Company {n}", domain=f"c{n}.com")
    source = live.sync.sync(_source(tmp_path, hubspot)).sources[0]
    assert source.summary.counts["customer"]["inserted"] == 9
    bodies = [c.body for c in hubspot.calls("companies/search")]
    assert max(int(b.get("after") or 0) for b in bodies) < 4
    restarts = [b["filterGroups"][0]["filters"][0]["value"] for b in bodies if not b.get("after")]
    assert len(restarts) >= 2 and restarts[0] == "0" and int(restarts[1]) > 0


@pytest.mark.postgres
def test_a_hubspot_sync_on_postgres_redirects_a_merge_like_on_sqlite(
    tmp_path, hubspot, pg_container
):
    from pydantic import SecretStr

    live = pg_container
    live.settings = live.settings.model_copy(update={"hubspot_token": SecretStr("hs-test-token")})
    _crm(hubspot)
    sources = _source(tmp_path, hubspot)
    assert live.sync.sync(sources).completed
    hubspot.merge_companies("1", "2")
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        assert s.get(CustomerRow, "hs-2") is None
        assert s.get(MomentRow, "hs-email-43").customer_id == "hs-1"
