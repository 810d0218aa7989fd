"""HubSpot changes that touch no company: contacts archived, merged or moved to another
company, activities moved, companies archived. What lands in the store and the index, and what
a brief then cites and shows."""

from __future__ import annotations

from sources_testkit import write_sources
from sqlalchemy import select

from c360.domain import Asker
from store.models import ChunkRow, CustomerRow, MomentRow, PersonLinkRow

ASKER = Asker(id="U-DANA", name="Dana", channel="cli")


def _crm(hubspot):
    hubspot.put("companies", "1", name="Acme Corp", domain="acme.com", lifecyclestage="customer")
    hubspot.put("companies", "2", name="Initech", domain="initech.com", lifecyclestage="lead")
    hubspot.put("contacts", "31", company="1", email="Carla@Acme.com", firstname="Carla",
                lastname="Diaz", jobtitle="CFO")  # fmt: skip
    hubspot.put("contacts", "32", company="1", email="ben@acme.com", firstname="Ben",
                lastname="Ode", jobtitle="IT lead <!channel>")  # fmt: skip
    hubspot.put("contacts", "33", company="2", email="pia@initech.com", firstname="Pia",
                lastname="Rao")  # fmt: skip
    hubspot.put("contacts", "34", email="nobody@nowhere.example", firstname="Loose")  # no company
    hubspot.put("notes", "41", company="1", hs_note_body="Renewal at risk: budget cut",
                hs_timestamp="1700100000000")  # fmt: skip
    hubspot.put("emails", "43", company="2", hs_email_subject="Pricing", hs_email_text="Can we talk?",
                hs_email_direction="INCOMING_EMAIL", hs_timestamp="1700300000000")  # fmt: skip


def _sources(tmp_path, hubspot):
    entry = {"name": "crm", "connector": "hubspot", "base_url": hubspot.base_url, "pace": 0}
    return write_sources(tmp_path / "sources.yml", entry)


def _customer(live, cid):
    with live.sessions() as s:
        row = s.get(CustomerRow, cid)
        return None if row is None else (list(row.emails), list(row.attributes.get("people", [])))


def _company_stamps(hubspot):
    return {oid: obj["_ms"] for oid, obj in hubspot.objects["companies"].items()}


def test_contacts_are_listed_on_their_company_and_a_contact_of_no_company_on_none(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    report = live.sync.sync(_sources(tmp_path, hubspot))
    assert report.completed, report.to_dict()
    assert _customer(live, "hs-1") == (
        ["carla@acme.com", "ben@acme.com"],
        ["Carla Diaz <carla@acme.com> (CFO)", "Ben Ode <ben@acme.com> (IT lead <!channel>)"],
    )
    assert _customer(live, "hs-2") == (["pia@initech.com"], ["Pia Rao <pia@initech.com>"])
    # Contact 34 has no company: HubSpot lists it under "errors" of a 207 answer.
    assert report.sources[0].summary.errors == []
    with live.sessions() as s:
        links = {r.person_id: r.customer_id for r in s.scalars(select(PersonLinkRow))}
    assert links == {"hs-contact-31": "hs-1", "hs-contact-32": "hs-1", "hs-contact-33": "hs-2"}
    # Slack shows the people as written, the contact's control sequence defused.
    import json

    from bot.blocks import brief_messages, visible_text

    messages = brief_messages(live.briefs.brief("hs-1", ASKER, log=False).to_dict())
    assert "<!channel>" not in json.dumps(messages)
    shown = "\n".join(visible_text(m) for m in messages)
    assert "Carla Diaz <carla@acme.com> (CFO)" in shown and "(IT lead <!channel>)" in shown


def test_an_archived_contact_leaves_its_company_record_and_the_brief(tmp_path, hubspot, live):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    live.sync.sync(sources)
    before = _company_stamps(hubspot)
    hubspot.archive("contacts", "31")
    assert _company_stamps(hubspot) == before  # the company did not change in HubSpot
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    assert _customer(live, "hs-1") == (
        ["ben@acme.com"],
        ["Ben Ode <ben@acme.com> (IT lead <!channel>)"],
    )
    answer = live.briefs.brief("hs-1", ASKER, log=False)
    assert "Carla" not in answer.answer and "carla@acme.com" not in answer.answer
    with live.sessions() as s:
        assert s.get(PersonLinkRow, "hs-contact-31") is None
        text = s.scalars(select(ChunkRow.text).where(ChunkRow.record_id == "customer:hs-1")).all()
    assert text and not any("carla" in t.lower() for t in text)
    docs = live.index.collection.get(where={"record_id": "customer:hs-1"}, include=["documents"])
    assert docs["documents"] and not any("carla" in d.lower() for d in docs["documents"])
    # The next sync reads the archive again and changes nothing.
    again = live.sync.sync(sources).sources[0]
    assert again.summary.total("updated") == 0 and again.summary.total("inserted") == 0


def test_a_contact_moved_to_another_company_leaves_the_first_though_neither_company_changed(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    live.sync.sync(sources)
    searched = len(hubspot.calls("companies/search"))
    before = _company_stamps(hubspot)
    hubspot.associate("contacts", "31", "2")
    assert _company_stamps(hubspot) == before
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    # No company came back from the search: the move was read from the contact.
    answered = hubspot.calls("companies/search")[searched:]
    assert answered and result.summary.counts["customer"]["updated"] == 2
    assert _customer(live, "hs-1") == (
        ["ben@acme.com"],
        ["Ben Ode <ben@acme.com> (IT lead <!channel>)"],
    )
    assert _customer(live, "hs-2") == (
        ["pia@initech.com", "carla@acme.com"],
        ["Pia Rao <pia@initech.com>", "Carla Diaz <carla@acme.com> (CFO)"],
    )
    assert "Carla" not in live.briefs.brief("hs-1", ASKER, log=False).answer
    assert "Carla Diaz" in live.briefs.brief("hs-2", ASKER, log=False).answer
    # Removed from every company: the contact leaves Initech too.
    hubspot.associate("contacts", "31", None)
    live.sync.sync(sources)
    assert _customer(live, "hs-2") == (["pia@initech.com"], ["Pia Rao <pia@initech.com>"])


def test_a_renamed_contact_replaces_its_line_and_a_merged_contact_leaves(tmp_path, hubspot, live):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    live.sync.sync(sources)
    hubspot.put("contacts", "31", email="carla.diaz@acme.com", jobtitle="CEO")
    hubspot.merge("contacts", "31", "32")  # Ben's record merged into Carla's
    result = live.sync.sync(sources).sources[0]
    assert result.completed, result.to_dict()
    assert _customer(live, "hs-1") == (
        ["carla.diaz@acme.com"],
        ["Carla Diaz <carla.diaz@acme.com> (CEO)"],
    )
    assert "ben@acme.com" not in live.briefs.brief("hs-1", ASKER, log=False).answer


def test_a_merged_company_s_contacts_join_the_survivor_and_an_archived_company_leaves(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    live.sync.sync(sources)
    hubspot.merge_companies("1", "2")
    assert live.sync.sync(sources).completed
    emails, people = _customer(live, "hs-1")
    assert set(emails) == {"carla@acme.com", "ben@acme.com", "pia@initech.com"}
    assert "Pia Rao <pia@initech.com>" in people
    with live.sessions() as s:
        assert s.get(PersonLinkRow, "hs-contact-33").customer_id == "hs-1"
    # Archived, the company leaves with its activities and contacts; nothing of it is cited.
    hubspot.archive("companies", "1")
    result = live.sync.sync(sources).sources[0]
    assert result.completed and result.deleted >= 1
    with live.sessions() as s:
        assert s.get(CustomerRow, "hs-1") is None
        assert s.scalars(select(MomentRow)).all() == []
        assert s.scalars(select(PersonLinkRow)).all() == []
    metas = live.index.collection.get(include=["metadatas"])["metadatas"]
    assert not [m for m in metas if m.get("customer_id") == "hs-1"]
    answer = live.briefs.brief("Acme Corp", ASKER, log=False)
    assert not any(c["record_id"].endswith("hs-1") for c in answer.to_dict()["citations"])


def test_an_activity_moved_without_a_change_of_its_own_is_read_again_by_full(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    hubspot.put("notes", "45", company="1", hs_note_body="Later note", hs_timestamp="1700500000000")
    live.sync.sync(sources)  # the search's next start is past note 41 now
    hubspot.associate("notes", "41", "2")  # HubSpot changes no modified time for this
    live.sync.sync(sources)
    with live.sessions() as s:
        assert s.get(MomentRow, "hs-note-41").customer_id == "hs-1"
    assert live.sync.sync(sources, full=True).completed
    with live.sessions() as s:
        assert s.get(MomentRow, "hs-note-41").customer_id == "hs-2"
    cited = {
        c["record_id"] for c in live.briefs.brief("hs-1", ASKER, log=False).to_dict()["citations"]
    }
    assert "moment:hs-note-41" not in cited
    metas = live.index.collection.get(
        where={"record_id": "moment:hs-note-41"}, include=["metadatas"]
    )
    assert [m["customer_id"] for m in metas["metadatas"]] == ["hs-2"]


def test_a_merged_away_company_listed_as_archived_takes_nothing_of_the_survivor(
    tmp_path, hubspot, live
):
    _crm(hubspot)
    sources = _sources(tmp_path, hubspot)
    live.sync.sync(sources)
    hubspot.merge_companies("1", "2")
    live.sync.sync(sources)
    # Should HubSpot also list the merged-away company among the archived ones:
    hubspot.archived["companies"]["2"] = {"id": "2", "properties": {"hs_object_id": "2"},
                                          "archived": True, "createdAt": "", "updatedAt": ""}  # fmt: skip
    assert live.sync.sync(sources).completed
    with live.sessions() as s:
        assert s.get(MomentRow, "hs-email-43").customer_id == "hs-1"
        assert s.get(MomentRow, "hs-note-41").customer_id == "hs-1"
        assert "hs-2" in s.get(CustomerRow, "hs-1").aliases
