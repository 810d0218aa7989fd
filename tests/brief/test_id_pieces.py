"""A piece of a complaint's id names that complaint first, for a customer whose history is too
long to read whole (the answer then matches through the store's field index, not the records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fixtures.brief_records import NOW

from c360.brief.facts import SMALL_HISTORY
from c360.clock import FixedClock
from c360.container import Container
from c360.domain import Asker, Complaint, Customer
from c360.settings import Settings

ASKER = Asker(id="U0ASKER001", name="Robin")
MANY = SMALL_HISTORY + 20


@pytest.fixture(scope="module")
def bureau(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("id-pieces"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    start = datetime(2024, 1, 1, 15, 0, tzinfo=UTC)
    complaints = [
        Complaint(
            f"55{n:05d}1",
            "bureau",
            start + timedelta(days=n),
            f"Incorrect information on your report. Letter number {n}.",
            "Credit reporting",
            status="closed",
            attributes={"issue": "Incorrect information on your report", "state": "TX"},
        )
        for n in range(MANY)
    ]
    container.ingest.add_records(
        [Customer("bureau", "Northwind Credit Bureau"), *complaints], source="test"
    )
    return container


@pytest.mark.parametrize(
    "question",
    [
        "What do we know about the complaint whose ID ends in 00421?",
        "The complaint with ID starting 5500042 - what's the story?",  # of 55000421,
    ],
)
def test_a_piece_of_an_id_cites_its_complaint_first_in_a_long_history(bureau, question):
    result = bureau.briefs.ask(question, ASKER, log=False)
    assert result.customer and result.customer["customer_id"] == "bureau", result
    cited = [c.record_id for c in result.citations if c.kind == "complaint"]
    # The oldest but 42 of 170: the newest-first reading alone would never reach it.
    assert cited[:1] == ["complaint:55000421"], cited
