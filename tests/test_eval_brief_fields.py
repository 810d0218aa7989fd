"""The brief path's field-aware retrieval, end to end on a real store (SQLite, Chroma, MiniLM):
field values are not names, a description made of fields resolves, a shared name word asks
which, an unknown company gets no look-alikes, an absent field is said to be absent, and a
question naming fields cites the records that carry them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from c360.domain import Asker, Complaint, Customer, Moment
from prompts.brief import NOT_IN_DATA

ASKER = Asker(id="U1", name="Eve", channel="cli")


def _complaint(cid, customer, product, issue, state, via, day):
    return Complaint(
        complaint_id=cid,
        customer_id=customer,
        opened_at=datetime(2019, 6, day, tzinfo=UTC),
        text=f"{issue}: the consumer wrote in.",
        category=product,
        status="closed",
        attributes={
            "issue": issue,
            "state": state,
            "submitted_via": via,
            "consumer_disputed": None,
        },
    )


@pytest.fixture
def store(container):
    customers = [
        Customer("suntrust", "SUNTRUST BANKS, INC."),
        Customer("card-corp", "CARD Corporation"),
        Customer("santander-bank", "SANTANDER BANK, NATIONAL ASSOCIATION"),
        Customer("santander-consumer", "Santander Consumer USA Holdings Inc."),
        Customer("7590-VHVEG", "Telco customer 7590-VHVEG", plan="One year"),
    ]
    complaints = [
        _complaint("3100001", "suntrust", "Credit card or prepaid card", "Fees or interest", "GA", "Web", 1),
        _complaint("3100002", "suntrust", "Mortgage", "Struggling to pay mortgage", "GA", "Web", 2),
        _complaint("3100003", "card-corp", "Credit card or prepaid card", "Fees or interest", "NY", "Web", 3),
        _complaint("3100004", "santander-bank", "Checking or savings account", "Managing an account", "PA", "Phone", 4),
        _complaint("3100005", "santander-consumer", "Vehicle loan or lease", "Managing the loan or lease", "TX", "Phone", 20),
        _complaint("3100006", "santander-consumer", "Vehicle loan or lease", "Struggling to pay your loan", "TX", "Web", 20),
        _complaint("3100007", "santander-consumer", "Debt collection", "Written notification about debt", "FL", "Web", 5),
        _complaint("3100008", "suntrust", "Credit reporting", "Unable to get your credit report or credit score", "GA", "Web", 7),
    ]  # fmt: skip
    response = Moment(
        moment_id="cfpb-resp-3100005",
        customer_id="santander-consumer",
        occurred_at=datetime(2019, 6, 20, tzinfo=UTC),
        text="Response to CFPB complaint 3100005: Closed with explanation.",
        channel="ticket",
        direction="outbound",
        meta={"complaint_id": "3100005"},
    )
    container.ingest.add_records([*customers, *complaints, response], source="test")
    return container


def _ask(container, question):
    return container.briefs.ask(question, ASKER, log=False).to_dict()


def _cited(result):
    return [c["record_id"] for c in result["citations"]]


def test_a_product_in_the_question_is_not_read_as_a_company_name(store):
    result = _ask(
        store,
        "What did consumers complain about regarding Credit card or prepaid card at Suntrust?",
    )
    assert result["customer"]["customer_id"] == "suntrust"
    assert _cited(result)[0] == "complaint:3100001"
    assert all(c["customer_id"] == "suntrust" for c in result["citations"])


def test_a_description_made_of_field_values_resolves_the_one_company_it_fits(store):
    result = _ask(
        store,
        "What do we know about the company with complaints about managing the loan or lease in TX via phone?",
    )
    assert result["customer"]["customer_id"] == "santander-consumer"
    assert _cited(result)[:2] == ["complaint:3100005", "moment:cfpb-resp-3100005"]


def test_one_name_word_several_companies_share_asks_which(store):
    result = _ask(store, "What complaints do we have for Santander?")
    assert result["customer"] is None and result["citations"] == []
    assert {"santander-bank", "santander-consumer"} <= {
        c["customer_id"] for c in result["candidates"]
    }


def test_two_name_words_pick_the_company_they_start(store):
    result = _ask(store, "What complaints do we have for Santander Consumer?")
    assert result["customer"]["customer_id"] == "santander-consumer"


def test_an_unknown_company_gets_no_look_alike_candidates(store):
    result = _ask(store, "What complaints has Zorvexquin Lending Partners received?")
    assert result["customer"] is None and result["candidates"] == [] and result["citations"] == []


def test_an_absent_field_is_said_to_be_absent_and_a_present_one_is_given(store):
    absent = _ask(store, "What is the e-mail address of telco customer 7590-VHVEG?")
    assert absent["customer"]["customer_id"] == "7590-VHVEG"
    assert NOT_IN_DATA in absent["answer"]
    disputed = _ask(store, "Did the consumer dispute Suntrust's response to complaint 3100002?")
    assert NOT_IN_DATA in disputed["answer"] and "complaint:3100002" in _cited(disputed)
    plain = _ask(store, "What did consumers complain about regarding Mortgage at Suntrust?")
    assert NOT_IN_DATA not in plain["answer"]


def test_the_latest_complaint_means_everything_received_on_the_newest_day(store):
    result = _ask(store, "What is the most recent complaint about Santander Consumer?")
    assert set(_cited(result)[:2]) == {"complaint:3100005", "complaint:3100006"}


def test_a_lower_case_name_with_one_slip_resolves_to_the_one_name_it_is_near(store):
    # "suntrsut": two neighbouring letters swapped, typed in lower case after a product name.
    result = _ask(store, "what are the mortgage complaints at suntrsut")
    assert result["customer"]["customer_id"] == "suntrust"
    assert _cited(result)[0] == "complaint:3100002"


def test_the_evaluation_warms_up_before_it_times_the_first_question(store):
    from c360.services.evaluation import EvalItem, EvaluationService

    assert not store.briefs.vocabulary.built  # nothing built yet: the first question would pay
    service = EvaluationService(store.sessions, store.index, lambda: store.briefs)
    item = EvalItem("q1", "What is the most recent complaint about Suntrust?", "suntrust", "answer")
    report = service.evaluate([item], baseline=False)
    assert store.briefs.vocabulary.built
    assert report.warmup_ms is not None and report.warmup_ms > 0
    assert report.to_dict()["warmup_ms"] == report.warmup_ms


def test_a_field_word_inside_a_named_issue_is_not_a_question_for_that_field(store):
    result = _ask(
        store,
        "How did Suntrust respond to the complaint about unable to get your credit report or "
        "credit score received on 2019-06-07?",
    )
    assert NOT_IN_DATA not in result["answer"]
    assert _cited(result)[0] == "complaint:3100008"
