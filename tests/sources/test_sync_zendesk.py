"""Zendesk through `c360 sync`: organizations, tickets and comments from the incremental
export API (a strict local fake), deletes, cursors, errors."""

from __future__ import annotations

from sources_testkit import write_sources
from sqlalchemy import select

from store.models import ChunkRow, ComplaintRow, CustomerRow, MomentRow


def _acme(zendesk):
    zendesk.add_user(1, "Carla Customer", role="end-user", email="carla@acme.com")
    zendesk.add_user(2, "Sam Agent", role="agent", email="sam@vendor.com")
    zendesk.add_org(10, "Acme Corp", domains=["acme.com"])
    zendesk.add_org(11, "Globex", domains=["globex.com"])
    zendesk.add_ticket(
        100, 10, "Invoices are wrong", "We were billed twice in March.", priority="high"
    )
    zendesk.add_ticket(
        101, 11, "Login fails", "SSO redirects forever.", status="pending", type_="incident"
    )
    zendesk.add_comment(100, 1, "Still waiting on the refund for the double charge.")
    zendesk.add_comment(100, 2, "Escalated to billing, internal only.", public=False)
    zendesk.add_comment(100, 2, "We have refunded the second charge.")


def _source(tmp_path, zendesk, **extra):
    entry = {"name": "helpdesk", "connector": "zendesk", "subdomain": "acme",
             "base_url": zendesk.base_url, "pace": 0} | extra  # fmt: skip
    return write_sources(tmp_path / "sources.yml", entry)


def test_a_sync_turns_organizations_tickets_and_comments_into_customers_complaints_and_moments(
    tmp_path, zendesk, live
):
    _acme(zendesk)
    report = live.sync.sync(_source(tmp_path, zendesk))
    assert report.completed, report.to_dict()
    with live.sessions() as s:
        acme = s.get(CustomerRow, "zd-org-10")
        ticket = s.get(ComplaintRow, "zd-100")
        pending = s.get(ComplaintRow, "zd-101")
        moments = s.scalars(select(MomentRow).order_by(MomentRow.occurred_at)).all()
    assert acme.name == "Acme Corp" and acme.domain == "acme.com"
    assert acme.url == "https://acme.zendesk.com/agent/organizations/10"
    assert ticket.customer_id == "zd-org-10" and ticket.status == "open"
    assert ticket.severity == "high" and ticket.category == "problem"
    assert ticket.url == "https://acme.zendesk.com/agent/tickets/100"
    assert ticket.source == "helpdesk"
    assert pending.status == "in_progress" and pending.category == "incident"
    assert [(m.direction, m.author, m.complaint_id) for m in moments] == [
        ("inbound", "Carla Customer", "zd-100"),
        ("internal", "Sam Agent", "zd-100"),
        ("outbound", "Sam Agent", "zd-100"),
    ]
    assert all(m.customer_id == "zd-org-10" for m in moments)
    # The API was read as documented: Basic auth, the cursor export, comments side-loaded.
    assert zendesk.calls("/incremental/tickets/cursor.json")[0].query["start_time"] == "0"
    assert zendesk.calls("ticket_events")[0].query["include"] == "comment_events"


def test_an_unchanged_source_syncs_to_no_change_and_a_new_comment_is_all_that_is_read(
    tmp_path, zendesk, live
):
    _acme(zendesk)
    sources = _source(tmp_path, zendesk)
    live.sync.sync(sources)
    again = live.sync.sync(sources).sources[0]
    assert again.completed and again.summary.total("inserted") == 0
    assert again.summary.total("updated") == 0
    zendesk.add_comment(101, 1, "Any news on the SSO loop?")
    third = live.sync.sync(sources).sources[0]
    assert third.summary.counts["moment"]["inserted"] == 1
    # The cursor of the ticket export was passed back, not a fresh start_time.
    assert "cursor" in zendesk.calls("/incremental/tickets/cursor.json")[-1].query
    with live.sessions() as s:
        moment = s.scalars(select(MomentRow).where(MomentRow.complaint_id == "zd-101")).one()
    assert moment.customer_id == "zd-org-11" and moment.direction == "inbound"


def test_a_deleted_ticket_leaves_the_store_and_the_index_with_its_comments(tmp_path, zendesk, live):
    _acme(zendesk)
    sources = _source(tmp_path, zendesk)
    live.sync.sync(sources)
    zendesk.delete_ticket(100)
    result = live.sync.sync(sources).sources[0]
    assert result.completed and result.deleted == 1
    with live.sessions() as s:
        assert s.get(ComplaintRow, "zd-100") is None
        assert s.scalars(select(MomentRow).where(MomentRow.complaint_id == "zd-100")).all() == []
        left = set(s.scalars(select(ChunkRow.record_id)))
    assert not any("zd-100" in r for r in left)
    in_index = live.index.collection.get(include=["metadatas"])
    assert not any("zd-100" in (m.get("record_id") or "") for m in in_index["metadatas"])
    assert "complaint:zd-101" in {m.get("record_id") for m in in_index["metadatas"]}


def test_a_bad_token_fails_the_source_with_the_variable_to_check_and_keeps_the_cursor(
    tmp_path, zendesk, live
):
    _acme(zendesk)
    zendesk.token = "rotated"
    report = live.sync.sync(_source(tmp_path, zendesk))
    source = report.sources[0]
    assert not report.completed
    assert "HTTP 401" in source.failure and "ZENDESK_API_TOKEN" in source.failure
    assert "zd-test-token" not in source.failure
    state = live.sync.states()[0]
    assert state["last_error"] == source.failure and state["failing"] and state["cursor"] is None


def test_429_waits_for_retry_after_and_5xx_is_retried(tmp_path, zendesk, live):
    _acme(zendesk)
    zendesk.cue(r"tickets/cursor", status=429, retry_after=1)
    zendesk.cue(r"ticket_events", status=503, times=2)
    report = live.sync.sync(_source(tmp_path, zendesk))
    assert report.completed, report.to_dict()
    calls = zendesk.calls("tickets/cursor")
    assert calls[1].at - calls[0].at >= 0.95  # waited as Retry-After said
    assert len(zendesk.calls("ticket_events")) >= 3
    with live.sessions() as s:
        assert s.get(ComplaintRow, "zd-100") is not None


def test_a_ticket_of_no_organization_is_rejected_by_name_and_the_rest_is_synced(
    tmp_path, zendesk, live
):
    _acme(zendesk)
    zendesk.add_ticket(102, None, "Orphan", "No organization here.")
    source = live.sync.sync(_source(tmp_path, zendesk)).sources[0]
    assert source.completed
    assert [str(e) for e in source.summary.errors] == [
        "helpdesk: ticket 102: names no customer (a ticket with no organization, an activity "
        "with no company): link it in the source; it is read again when it changes there (or "
        "with --full)"
    ]


def test_small_pages_still_read_everything_once(tmp_path, zendesk, live):
    _acme(zendesk)
    report = live.sync.sync(_source(tmp_path, zendesk, per_page=1))
    assert report.completed
    assert len(zendesk.calls("tickets/cursor")) == 2  # one ticket a page
    assert len(zendesk.calls("ticket_events")) >= 3
    with live.sessions() as s:
        assert len(s.scalars(select(MomentRow)).all()) == 3
        assert len(s.scalars(select(ComplaintRow)).all()) == 2
