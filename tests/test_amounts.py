"""Questions about money ("how much do they pay a month?", "what is their ARR?") are answered
from the customer record's money fields, the one the question names first, citing the record;
a customer with no money field gets "not in the data", never a number from elsewhere."""

from __future__ import annotations

from c360.domain import Asker, Customer
from prompts import brief as W
from retrieval.amounts import amount_fields
from retrieval.search import detect_intent

ASKER = Asker(id="U1", name="Eve", channel="cli")
TELCO = Customer(
    "7590-VHVEG",
    "Telco customer 7590-VHVEG",
    arr=358.2,
    attributes={
        "monthly_charges": 29.85,
        "total_charges": 1889.5,
        "tenure_months": 34,  # a number, not money
        "senior_citizen": False,
    },
)
PLAIN = Customer("acme", "Acme Corp", attributes={"tenure_months": 12})


def test_the_question_picks_the_money_field_it_names():
    assert amount_fields(TELCO, "How much do they pay per month?") == [("monthly_charges", 29.85)]
    assert amount_fields(TELCO, "What have they paid in total?") == [("total_charges", 1889.5)]
    assert amount_fields(TELCO, "What is their ARR?") == [("arr", 358.2)]
    assert amount_fields(TELCO, "How much revenue a year?") == [("arr", 358.2)]
    # Nothing more specific than "how much": every money field, never the tenure.
    assert [n for n, _ in amount_fields(TELCO, "How much do they pay?")] == [
        "arr",
        "monthly_charges",
        "total_charges",
    ]
    assert amount_fields(PLAIN, "How much do they pay?") == []


def test_amount_words_are_whole_words():
    assert detect_intent("How much does Acme pay per month?").amount
    assert detect_intent("What is the ARR of Acme?").amount
    assert detect_intent("What are the monthly charges of telco customer 7590-VHVEG?").amount
    assert not detect_intent("Which payment method and prepaid card does Acme use?").amount
    # A verb describing a complaint is not a question about an amount.
    assert not detect_intent("the lender that charged a leasing fee on tires").amount
    assert not detect_intent("Any complaints about struggling to pay mortgage?").amount


def test_an_amount_question_is_answered_from_the_record_and_cited(container):
    container.ingest.add_records([TELCO, PLAIN], "unit")
    result = container.briefs.ask(
        "How much does telco customer 7590-VHVEG pay per month?", ASKER, log=False
    )
    first = result.sections[0].items[0]
    where = W.record_label("customer", TELCO.customer_id, TELCO.name)
    assert first.text == W.field_value_line("monthly charges", where, "29.85")
    assert first.citations == ["customer:7590-VHVEG"]

    missing = container.briefs.ask("How much does Acme Corp pay per month?", ASKER, log=False)
    line = missing.sections[0].items[0]
    assert line.text == W.not_in_data("amount", W.record_label("customer", "acme", "Acme Corp"))
    assert line.citations == ["customer:acme"]
    assert "$" not in missing.sections[0].items[0].text
