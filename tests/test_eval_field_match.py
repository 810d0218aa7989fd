"""Field matching (retrieval/fieldmatch.py): records named by their structured fields rank first,
short state codes match only in capitals, responses follow their complaint, and a question
asking for a field the record lacks is recognised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from c360.domain import Complaint, Customer, Moment
from retrieval.fieldmatch import (
    asked_fields,
    asked_outside_values,
    field_value,
    rank_by_fields,
)


def complaint(cid, product, issue, state, day, via="Web"):
    return Complaint(
        complaint_id=cid,
        customer_id="acme",
        opened_at=datetime(2019, 6, day, tzinfo=UTC),
        text=f"{issue}: details",
        category=product,
        attributes={"issue": issue, "state": state, "submitted_via": via},
    )


COMPLAINTS = [
    complaint("1", "Mortgage", "Trouble during payment process", "CA", 1),
    complaint("2", "Debt collection", "Attempts to collect debt not owed", "CA", 2),
    complaint("3", "Debt collection", "Attempts to collect debt not owed", "TX", 3),
    complaint("4", "Credit card or prepaid card", "Fees or interest", "IN", 4, via="Referral"),
]
RESPONSE = Moment(
    moment_id="cfpb-resp-3",
    customer_id="acme",
    occurred_at=datetime(2019, 6, 3, tzinfo=UTC),
    text="Response to CFPB complaint 3: Closed with explanation.",
    meta={"complaint_id": "3"},
)


def ids(ranked):
    return [rec.record_id for _, rec in ranked]


def test_the_record_matching_the_most_named_fields_comes_first():
    ranked = rank_by_fields(
        "Any complaints about attempts to collect debt not owed from TX?", COMPLAINTS, [RESPONSE]
    )
    assert ids(ranked)[:2] == ["complaint:3", "moment:cfpb-resp-3"]
    assert ids(ranked)[2] == "complaint:2"  # issue only, no state


def test_a_product_named_in_the_question_selects_its_complaints_only():
    ranked = rank_by_fields("What did consumers complain about regarding Mortgage?", COMPLAINTS)
    assert ids(ranked) == ["complaint:1"]


def test_state_codes_match_only_when_typed_in_capitals():
    assert ids(rank_by_fields("complaints from IN", COMPLAINTS)) == ["complaint:4"]
    assert rank_by_fields("anything in the file?", COMPLAINTS) == []


def test_a_received_date_and_an_id_name_a_record():
    assert ids(rank_by_fields("the complaint received on 2019-06-01", COMPLAINTS)) == [
        "complaint:1"
    ]
    by_id = complaint("3571115", "Mortgage", "Other", "FL", 9)
    assert ids(rank_by_fields("what about complaint 3571115?", [*COMPLAINTS, by_id])) == [
        "complaint:3571115"
    ]


def test_a_question_naming_no_field_matches_nothing():
    assert rank_by_fields("How is the account doing?", COMPLAINTS, [RESPONSE]) == []


def test_asked_fields_reads_contact_and_dispute_questions():
    assert [p for p, _ in asked_fields("What is the e-mail address of telco customer 1?")] == [
        "e mail address"
    ]
    assert [p for p, _ in asked_fields("Did the consumer dispute the response?")] == ["dispute"]
    assert asked_fields("Show me the latest complaints") == []


def test_a_field_phrase_inside_a_named_value_is_that_value_not_a_request():
    issue = "Unable to get your credit report or credit score"
    question = f"How did they respond to the complaint about {issue.lower()}?"
    assert asked_outside_values(question, [issue]) == []
    dispute = "What about billing dispute for services in CO?"
    assert asked_outside_values(dispute, ["Billing dispute for services", "CO"]) == []
    # A value that is only a piece of the phrase ("Phone", a channel) leaves the phrase asked.
    phone = "What is the phone number of telco customer 8436-BJUMM?"
    assert [p for p, _ in asked_outside_values(phone, ["Phone"])] == ["phone number"]


def test_field_value_tells_an_absent_field_from_a_present_one():
    customer = Customer("c1", "Telco customer c1", attributes={"contract": "One year"})
    assert field_value(customer, ("emails",)) == (True, None)  # a known field, empty
    assert field_value(customer, ("phone",)) == (False, None)  # not a field at all
    assert field_value(customer, ("contract",)) == (True, "One year")
    disputed = complaint("9", "Mortgage", "Other", "CA", 5)
    disputed.attributes["consumer_disputed"] = None
    assert field_value(disputed, ("consumer_disputed",)) == (True, None)


def test_field_index_finds_the_one_customer_whose_complaint_carries_every_named_value():
    from retrieval.fieldindex import FieldIndex

    index = FieldIndex()
    for c in COMPLAINTS:
        index.add("acme", c.category, c.attributes)
    index.add("globex", "Mortgage", {"issue": "Attempts to collect debt not owed", "state": "NY"})
    question = "the company with complaints about attempts to collect debt not owed in TX via web"
    keys, customers = index.candidates(question)
    assert sorted(f for f, _ in keys) == ["issue", "state", "submitted_via"]
    assert customers == {"acme"}
    # One named field describes nobody in particular.
    assert index.candidates("complaints about attempts to collect debt not owed")[1] == set()


def test_a_running_server_sees_complaints_another_process_ingested(settings, embeddings, clock):
    """Two containers on one store stand for the server and a `c360 ingest` beside it: the
    server's field index picks up the other's new values at its next refresh, no restart."""
    from c360.container import Container

    server = Container(settings, embeddings=embeddings, clock=clock)
    ingest_process = Container(settings, embeddings=embeddings, clock=clock)
    server.ingest.add_records([Customer("acme", "Acme Corp"), COMPLAINTS[0]], "unit")
    assert server.briefs.fields.named("complaints about Debt collection") == []

    clock.advance(minutes=1)
    ingest_process.ingest.add_records([COMPLAINTS[1]], "another process")
    server.briefs.vocabulary.freshness.expire()  # the refresh interval passes
    fields = server.briefs.fields
    [key] = fields.named("complaints about Debt collection")
    assert fields.raw[key] == "Debt collection" and fields.customers[key] == {"acme"}


def _linked_fixture(container):
    container.ingest.add_records(
        [
            Customer("acme", "Acme Corp"),
            *COMPLAINTS,
            RESPONSE,  # meta.complaint_id "3"
            Moment("resp-4", "acme", datetime(2019, 6, 5, tzinfo=UTC), "Response to 4: refund.",
                   meta={"complaint_id": 4}),  # a number, as a JSON source may give it
            Moment("note-1", "acme", datetime(2019, 6, 6, tzinfo=UTC), "Unrelated call note."),
        ],
        "unit",
    )  # fmt: skip


def _linked_ids(container, complaint_ids):
    from store.queries import linked_moments

    with container.sessions() as session:
        return [m.moment_id for m in linked_moments(session, "acme", complaint_ids)]


def test_linked_moments_are_found_in_the_database_by_their_complaint_id(container):
    _linked_fixture(container)
    assert _linked_ids(container, ["3", "4"]) == ["resp-4", "cfpb-resp-3"]  # newest first
    assert _linked_ids(container, ["1"]) == []


@pytest.mark.postgres
def test_linked_moments_work_the_same_on_postgresql(pg_container):
    _linked_fixture(pg_container)
    assert _linked_ids(pg_container, ["3", "4"]) == ["resp-4", "cfpb-resp-3"]
