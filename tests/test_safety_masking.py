"""The one masking rule (c360.safety.masking): what a channel sees of a brief.

Dates, times, amounts, invoice numbers, ids and ZIP codes read as they are; phone numbers of
several countries (with +country code and in national form), e-mail addresses and the amounts of
sensitive fields are hidden, each behind one marker used everywhere."""

from __future__ import annotations

import pytest

from c360.safety.masking import (
    AMOUNT_HIDDEN,
    EMAIL_HIDDEN,
    PHONE_HIDDEN,
    mask_brief,
    mask_text,
)
from c360.settings import DEFAULT_SENSITIVE_FIELDS

FIELDS = list(DEFAULT_SENSITIVE_FIELDS)  # arr, emails, phone, phones, email


@pytest.mark.parametrize(
    "text",
    [
        "Customer since: 2026-11-21",
        "Opened 2026-11-21 · outage · open 3 days",
        "at 2026-11-21T14:30:00Z",
        "on 2026-11-21 14:30 UTC",
        "due 21/11/2026",
        "due 21.11.2026",
        "due 11-21-2026",
        "call at 14:30",
        "charged $1,100,000 twice",
        "refund of 1,100,000 USD",
        "invoice INV-2024-000123",
        "invoice 4471 was charged twice",
        "customer C-1001",
        "contract CP1001-005",
        "ticket TCK-6241",
        "ZIP 94105",
        "ZIP+4 94105-1234",
        "order 1234567",
        "version 1.2.3 on host 10.0.0.1",
        "complaint:c-g1 and moment:m-g2",
    ],
)
def test_dates_times_amounts_and_ids_are_not_phone_numbers(text):
    assert mask_text(text, ["phone", "phones"]) == text


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("US", "+1 (555) 123-4567"),
        ("US", "+1-555-123-4567"),
        ("US", "(555) 123-4567"),
        ("US", "555-123-4567"),
        ("US", "555.123.4567"),
        ("US", "1-555-123-4567"),
        ("US", "555-1234"),
        ("UK", "+44 20 7946 0958"),
        ("UK", "020 7946 0958"),
        ("UK", "07700 900123"),
        ("DE", "+49 30 1234567"),
        ("DE", "+49 (0)30 12345678"),
        ("DE", "030 1234567"),
        ("DE", "030/1234567"),
        ("DE", "0171 1234567"),
        ("FR", "+33 1 23 45 67 89"),
        ("FR", "01 23 45 67 89"),
        ("JP", "+81 3-1234-5678"),
        ("JP", "03-1234-5678"),
        ("JP", "090-1234-5678"),
        ("IN", "+91 98765 43210"),
        ("IN", "+919876543210"),
        ("IN", "098765 43210"),
        ("IN", "98765 43210"),
    ],
)
def test_phone_numbers_of_several_countries_are_hidden(country, number):
    assert mask_text(f"Call {number} today.", ["phone"]) == f"Call {PHONE_HIDDEN} today.", country


def test_a_phone_right_after_a_date_is_hidden_and_the_date_kept():
    assert mask_text("2026-11-21 555-123-4567", ["phone"]) == f"2026-11-21 {PHONE_HIDDEN}"


def test_emails_are_hidden_and_only_when_the_field_is_sensitive():
    text = "Write to ops@globex.example or +44 20 7946 0958"
    assert mask_text(text, ["emails"]) == f"Write to {EMAIL_HIDDEN} or +44 20 7946 0958"
    assert mask_text(text, ["phone"]) == f"Write to ops@globex.example or {PHONE_HIDDEN}"
    assert mask_text(text, []) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ARR: $120,000", f"ARR: {AMOUNT_HIDDEN}"),
        ("arr 120000", f"arr {AMOUNT_HIDDEN}"),
        (
            "ARR of 1.2M and a $5,000 discount",
            f"ARR of {AMOUNT_HIDDEN} and a {AMOUNT_HIDDEN} discount",
        ),
        # only the line naming the field: other amounts (a refund) stay
        (
            "ARR is $90k\nRefund $1,100,000 asked",
            f"ARR is {AMOUNT_HIDDEN}\nRefund $1,100,000 asked",
        ),
        ("Refund $1,100,000 on INV-2024-000123", "Refund $1,100,000 on INV-2024-000123"),
    ],
)
def test_a_sensitive_amount_is_hidden_on_the_line_that_names_it(text, expected):
    assert mask_text(text, ["arr"]) == expected


def test_mask_brief_masks_every_visible_text_and_keeps_dates():
    brief = {
        "question": "call +44 20 7946 0958?",
        "answer": "ARR: $250,000. Opened 2026-09-22.",
        "sections": [{"title": "Recent", "items": [{"text": "2026-09-21 · ops@globex.example"}]}],
        "next_actions": [{"text": "Call 555-123-4567", "reason": "since 2026-09-21"}],
        "citations": [{"snippet": "cfo@acme.example on 21/11/2026"}],
    }
    masked = mask_brief(brief, FIELDS)
    assert masked["question"] == f"call {PHONE_HIDDEN}?"
    assert masked["answer"] == f"ARR: {AMOUNT_HIDDEN}. Opened 2026-09-22."
    assert masked["sections"][0]["items"][0]["text"] == f"2026-09-21 · {EMAIL_HIDDEN}"
    assert masked["next_actions"][0] == {
        "text": f"Call {PHONE_HIDDEN}",
        "reason": "since 2026-09-21",
    }
    assert masked["citations"][0]["snippet"] == f"{EMAIL_HIDDEN} on 21/11/2026"
    assert brief["answer"] == "ARR: $250,000. Opened 2026-09-22."  # a copy; the input is kept


def test_the_service_channel_view_uses_the_same_rule(container, clock):
    """BriefResult.masked (the service's channel view) keeps dates and hides phones with the same
    marker as the Slack renderer: the copy of the rule in the service is gone."""
    from datetime import timedelta

    from c360.domain import Asker, Complaint, Customer, Moment

    now = clock.now()
    container.ingest.add_records(
        [
            Customer("C-1001", "Initrode", arr=120000.0, emails=["it@initrode.example"]),
            Moment("m-1", "C-1001", now - timedelta(days=2), "Call me on +44 20 7946 0958."),
            Complaint(
                "k-1",
                "C-1001",
                now - timedelta(days=3),
                "Invoice INV-2024-000123 wrong",
                category="billing",
                status="open",
            ),
        ],  # fmt: skip
        source="tests",
    )
    result = container.briefs.brief("Initrode", Asker("U1", "Ann", "cli"), log=False)
    masked = result.masked(FIELDS).answer
    day = (now - timedelta(days=3)).date().isoformat()
    assert f"Opened {day}" in result.answer and f"Opened {day}" in masked
    assert (now - timedelta(days=2)).date().isoformat() in masked
    assert "+44 20 7946 0958" in result.answer and "+44 20 7946 0958" not in masked
    assert PHONE_HIDDEN in masked and "INV-2024-000123" in masked
    assert "[phone hidden]" not in masked.replace(f"me on {PHONE_HIDDEN}", "")
