"""An issue named in other words, inside one customer's records: the value it means is read
among that customer's own values, and a product named beside it does not hide it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fixtures.brief_records import NOW

from c360.clock import FixedClock
from c360.container import Container
from c360.domain import Asker, Complaint, Customer
from c360.settings import Settings

ASKER = Asker(id="U0ASKER001", name="Robin")
LOAN = "Payday loan, title loan, or personal loan"
# Another company's value, ingested first, that fits "payment problems" as well as Northgate's
# own does: word for word, both are a perfect fit.
OTHERS = "Problem lowering your monthly payments"
PAYMENTS = "Problem when making payments"
STRUGGLING = "Struggling to pay your loan"
GETTING = "Getting the loan"


def _complaint(cid: str, customer: str, day: tuple[int, int, int], issue: str) -> Complaint:
    return Complaint(
        cid,
        customer,
        datetime(*day, 15, 0, tzinfo=UTC),
        f"{issue}. The consumer wrote to us.",
        LOAN,
        status="closed",
        resolution="Closed with explanation",
        attributes={"issue": issue, "sub_product": "Loan", "state": "TX"},
    )


@pytest.fixture(scope="module")
def lenders(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("issue-words"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    container.ingest.add_records(
        [
            Customer("lowpay", "Lowpay Finance"),
            _complaint("8001", "lowpay", (2026, 10, 1), OTHERS),
            Customer("northgate", "Northgate Lending"),
            # The ones asked for are the older ones: newest-first alone would not find them.
            _complaint("8101", "northgate", (2025, 2, 3), PAYMENTS),
            _complaint("8102", "northgate", (2025, 4, 9), STRUGGLING),
            _complaint("8103", "northgate", (2026, 11, 20), GETTING),
            _complaint("8104", "northgate", (2026, 11, 21), GETTING),
        ],
        source="test",
    )
    return container


def _cited(container, question: str) -> list[str]:
    result = container.briefs.ask(question, ASKER, log=False)
    assert result.customer and result.customer["customer_id"] == "northgate", result
    return [c.record_id for c in result.citations if c.kind == "complaint"]


def test_an_issue_in_other_words_means_a_value_of_this_customer(lenders):
    # "Problem lowering your monthly payments" fits as well, but no Northgate complaint has it.
    cited = _cited(lenders, "brief me on Northgate - I keep hearing about payment problems")
    assert cited[:1] == ["complaint:8101"], cited


@pytest.mark.parametrize(
    "question",
    [
        "What's going on with Northgate? Anything about a hard time paying the loan back?",
        "Northgate loan complaints about struggling to pay it back",
    ],
)
def test_a_product_named_beside_the_issue_does_not_hide_the_issue(lenders, question):
    # "loan" is a product value every complaint here carries: it tells none of them apart.
    assert _cited(lenders, question)[:1] == ["complaint:8102"], question
