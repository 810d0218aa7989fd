"""Descriptions in the asker's words, through the real store, model and Chroma index.

The property: for every complaint that is the only one of its (day, state, issue) in the store,
every phrasing we support (the day in several forms, absolute and relative; the state by code
or by name; the issue quoted, lower-cased, shortened or paraphrased; several role words) either
resolves to its company or asks back with that company among the candidates: never another
company."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from fixtures.described import COMPANIES, ROWS, records

from c360.domain import Asker
from retrieval.question import STATES

ROBIN = Asker("U1", "robin")
TODAY = date(2026, 11, 23)  # tests/conftest.py NOW

PARAPHRASE = {
    "Attempts to collect debt not owed": "being chased for a debt they don't owe",
    "Charged fees or interest you didn't expect": "unexpected fees",
    "Incorrect information on your report": "wrong information on their credit report",
    "Trouble during payment process": "problems making a payment",
    "Struggling to pay your loan": "struggling to make the loan payments",
    "Problem with a purchase shown on your statement": "a purchase on the statement",
    "Managing an account": "trouble managing the account",
    "Written notification about debt": "a written notice about the debt",
}


def day_forms(d: date) -> list[str]:
    forms = [
        f"on {d.isoformat()}",
        f"on {d:%B} {d.day}, {d.year}",
        f"on {d.month}/{d.day}/{d.year}",
        f"on {d.day} {d:%B} {d.year}",
        f"on {d:%b} {d.day}{'th' if 4 <= d.day <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d.day % 10, 'th')} {d.year}",
    ]  # fmt: skip
    back = (TODAY - d).days
    if back == 1:
        forms.append("yesterday")
    if 1 <= back <= 7:
        forms.append(f"last {d:%A}")
    if 2 <= back <= 10:
        forms.append(f"{back} days ago")
    if back == 7:
        forms.append("a week ago today")
    if d.year == TODAY.year and d.month == TODAY.month and d < TODAY:
        forms.append(f"on the {d.day}{'rd' if d.day == 3 else 'th'}")
    return forms


def state_forms(code: str) -> list[str]:
    return [
        f"from {code}",
        f"from a borrower in {STATES[code]}",
        f"from a {STATES[code]} consumer",
        f"lodged in {code}",
        f"out of {STATES[code]}",
        f"from a {code} resident",
    ]


def issue_forms(issue: str) -> list[str]:
    words = issue.split()
    return [
        f'about "{issue}"',
        f"about {issue.lower()}",
        f"about {' '.join(words[: max(3, len(words) // 2)]).lower()}",
        f"about {PARAPHRASE[issue]}",
    ]


def unique_rows():
    seen = Counter((day, state, issue) for _, _, day, state, _, issue, *_ in ROWS)
    return [r for r in ROWS if seen[(r[2], r[3], r[5])] == 1]


def phrasings(row) -> list[str]:
    _, _, day, state, _, issue, *_ = row
    d = date(*day)
    roles = ["Which lender", "Which company", "Which servicer", "What customer"]
    out = []
    days, states, issues = day_forms(d), state_forms(state), issue_forms(issue)
    # Every day form with every state form, the issue rotating; every issue form once.
    for i, day_text in enumerate(days):
        for j, state_text in enumerate(states):
            role = roles[(i + j) % len(roles)]
            issue_text = issues[(i + j) % len(issues)]
            out.append(f"{role} had a complaint {state_text} {day_text} {issue_text}?")
    for k, issue_text in enumerate(issues):
        out.append(f"A consumer complained {issue_text} {states[k % 3]} {days[k % len(days)]}.")
    # Typed in lower case: the state code is no longer a code, the rest still describes.
    out += [q.lower() for q in out[:: max(1, len(out) // 6)]]
    return out


@pytest.fixture(scope="module")
def described(tmp_path_factory, embeddings):
    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("described"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    container.ingest.add_records(records(), source="test")
    return container


def test_every_phrasing_resolves_to_its_company_or_asks_with_it_never_another(described):
    rows = unique_rows()
    assert len(rows) >= 15  # the store is built so that most complaints are unique
    outcomes: Counter = Counter()
    for row in rows:
        company = row[1]
        for question in phrasings(row):
            result = described.briefs.resolve(question, None)
            if result.resolved:
                assert result.customer_id == company, (question, result)
                outcomes["resolved"] += 1
            elif result.status == "ambiguous":
                offered = [c.customer_id for c in result.candidates]
                assert company in offered, (question, result)
                assert len(offered) <= 10
                outcomes["asked"] += 1
            else:
                outcomes["not found"] += 1
    total = sum(outcomes.values())
    # Never a wrong customer, and the phrasing is not a reason to give up: a day, a state and
    # an issue single one company out, so almost every phrasing is answered outright.
    assert outcomes["not found"] == 0, outcomes
    assert outcomes["resolved"] / total >= 0.9, outcomes


def test_the_plainest_phrasing_of_each_unique_complaint_resolves(described):
    for _cid, company, day, state, _, issue, *_ in unique_rows():
        question = f"Which company had a complaint from {state} on {date(*day)} about {issue}?"
        result = described.briefs.resolve(question, None)
        assert result.customer_id == company, (question, result)


def test_a_description_fitting_several_asks_with_the_reason_for_each(described):
    # 2022-03-03 in VT: a debt collector (debt not owed) and a payday lender (fees); the day
    # and state alone do not say which.
    result = described.briefs.resolve(
        "Which company had a complaint from Vermont on March 3, 2022?", None
    )
    assert result.status == "ambiguous"
    reasons = {c.customer_id: c.reason for c in result.candidates}
    assert set(reasons) == {"green-mountain", "atlas"}
    assert reasons["green-mountain"] == (
        "has a complaint from VT on 3 Mar 2022 about Attempts to collect debt not owed"
    )


def test_one_name_word_does_not_outweigh_a_description_that_fits_others(described):
    # Summit has no complaint from New York on that day; Harbor has.
    result = described.briefs.resolve(
        "What did Summit get from a borrower in New York on March 3, 2022?", None
    )
    assert result.status == "ambiguous", result
    assert {c.customer_id for c in result.candidates} >= {"harbor", "summit"}
    assert described.briefs.resolve("What did Summit get on March 3, 2022?", None).customer_id == (
        "summit"
    )


@pytest.mark.parametrize(
    "question",
    [
        "Which lender services loans in VT?",
        "Which servicer had a complaint about fees?",
        "Which ID had a complaint from Idaho?",
        "What about the customer whose ID starts with 7590?",
        "Which bank had the most complaints?",
    ],
)
def test_weak_evidence_is_never_a_customer(described, question):
    result = described.briefs.resolve(question, None)
    assert not result.resolved, (question, result)


def test_the_json_answer_explains_the_choice(described):
    data = described.briefs.ask(
        "Which lender had a complaint from a borrower in Vermont on March 3, 2022 about a debt "
        "they don't owe?",
        ROBIN,
        log=False,
    ).to_dict()
    assert data["customer"]["customer_id"] == "green-mountain"
    why = data["resolution"]
    assert why["method"] == "description"
    assert {"day 2022-03-03", "state VT"} <= set(why["evidence"])
    assert 0.5 <= why["score"] <= 1.0
    assert why["runner_up"] is None or why["runner_up"]["customer_id"] != "green-mountain"
    asked = described.briefs.ask(
        "Which company had a complaint from Vermont on March 3, 2022?", ROBIN, log=False
    ).to_dict()
    assert asked["customer"] is None and asked["resolution"]["method"] == "ambiguous"
    assert all(c["reason"].startswith("has a complaint from VT") for c in asked["candidates"])
    assert "has a complaint from VT on 3 Mar 2022" in asked["answer"]


def test_every_company_in_the_store_is_reachable_by_name(described):
    for cid, name in COMPANIES.items():
        assert described.briefs.resolve(name, None).customer_id == cid, name


def test_relative_days_count_from_the_clock(described):
    # The clock's Monday 2026-11-23: "last Tuesday" is 2026-11-17 (Summit, WA, fees),
    # "yesterday" 2026-11-22 (Atlas and Crescent, both GA).
    assert "last Tuesday" in day_forms(date(2026, 11, 17))
    last_tuesday = described.briefs.resolve(
        "Who had a complaint last Tuesday about unexpected fees?", None
    )
    assert last_tuesday.customer_id == "summit"
    # A day alone is one piece of evidence: it asks, even when one company fits.
    day_only = described.briefs.resolve("Who had a complaint last Tuesday?", None)
    assert day_only.status == "ambiguous"
    assert [c.customer_id for c in day_only.candidates] == ["summit"]
    yesterday = described.briefs.resolve("Which company had a complaint yesterday?", None)
    assert yesterday.status == "ambiguous"
    assert {c.customer_id for c in yesterday.candidates} == {"atlas", "crescent"}
    assert TODAY - timedelta(days=1) == date(2026, 11, 22)


@pytest.mark.parametrize(
    ("question", "first"),
    [
        # States of a record in other words, read from every field it carries (each target
        # is the customer's older complaint: newest-first alone would not find it).
        ("Which of Harbor's complaints are still waiting?", "complaint:9003"),  # In progress
        ("Summit complaints answered late", "complaint:9004"),  # timely_response No
        ("What did Atlas get refunded?", "complaint:9002"),  # Closed with monetary relief
        # The issue in other words, the state by name, the day in another form.
        ("Atlas complaints about unexpected fees", "complaint:9002"),
        ("Harbor complaints from a borrower in New York", "complaint:9003"),
        ("Maple complaints from a customer in Vermont", "complaint:9017"),
        ("What did Bluewater hear on January 9, 2020?", "complaint:9018"),
        (
            "Green Mountain complaints about being chased for a debt they don't owe",
            "complaint:9001",
        ),
    ],
)
def test_records_asked_for_in_other_words_are_cited_first(described, question, first):
    result = described.briefs.ask(question, ROBIN, log=False)
    cited = [c.record_id for c in result.citations if c.kind == "complaint"]
    assert cited and cited[0] == first, (question, cited)


def test_a_customer_described_by_what_it_pays(described):
    # Two customers pay $29.85 a month; the contract tells them apart.
    both = described.briefs.resolve("Which telco customer pays $29.85 a month?", None)
    assert both.status == "ambiguous"
    assert {c.customer_id for c in both.candidates} == {"7590-VHVEG", "7590-ABCDE"}
    assert all(c.reason.startswith("pays 29.85") for c in both.candidates)
    one = described.briefs.resolve(
        "the customer paying $29.85 a month on a month-to-month contract", None
    )
    assert one.customer_id == "7590-VHVEG", one
    assert "amount 29.85" in one.explain()["evidence"]
    alone = described.briefs.resolve("who has total charges of $1,889.50?", None)
    assert alone.customer_id == "5575-GNVDE"
    assert not described.briefs.resolve("who pays $12.34 a month?", None).resolved


def test_a_day_that_contradicts_every_fit_is_never_answered(described):
    # Green Mountain's debt-not-owed complaint from VT is of 2022-03-03, not 2022-06-01.
    result = described.briefs.resolve(
        "Which company had a complaint from Vermont on June 1, 2022 about a debt not owed?", None
    )
    assert not result.resolved, result
    without_day = described.briefs.resolve(
        "Which company had a complaint from Vermont about a debt not owed?", None
    )
    assert without_day.customer_id == "green-mountain", without_day


def test_a_complaint_id_names_its_customer(described):
    result = described.briefs.resolve("Which company got complaint 9005?", None)
    assert (result.customer_id, result.method) == ("bluewater", "complaint id")
    assert result.explain()["evidence"] == ["complaint 9005"]
    assert not described.briefs.resolve("Which company got complaint 123456?", None).resolved


# --- places, products and partial fits: look-alike names built from a question's words -------
LOOKALIKES = {
    "island": "Island Finance Puerto Rico",
    "americash": "AmeriCash Loans LLC",
    "payday-america": "Payday America",
    "ocean-state": "Ocean State Credit",
    # A name holding a product word ("Loan") beside a name sharing only its first word.
    "quality-loan": "Quality Loan Service Corporation",
    "quality-asset": "Quality Asset Recovery LLC",
    "loan-south": "Loan South Finance & Tax Service of Troy, LLC",
}
_PAYDAY = "Payday loan, title loan, or personal loan"
_FEES = "Charged fees or interest you didn't expect"
_NOT_OWED = "Attempts to collect debt not owed"
# (id, company, day, state, sub-product, issue); every product is a payday lender's.
LOOKALIKE_ROWS = [
    ("9101", "ocean-state", (2022, 3, 8), "RI", "Payday loan", _FEES),
    ("9102", "island", (2022, 3, 8), "PR", "Installment loan", _NOT_OWED),
    ("9103", "americash", (2022, 4, 12), "AA", "Payday loan", _FEES),
    ("9104", "payday-america", (2026, 5, 12), "OH", "Payday loan", _FEES),
    ("9105", "island", (2022, 4, 12), "PR", "Installment loan", _FEES),
    ("9106", "ocean-state", (2026, 5, 12), "OH", "Installment loan", _NOT_OWED),
    ("9107", "quality-asset", (2021, 1, 5), "CA", "Loan", _FEES),  # "Loan" alone is a value
    ("9108", "loan-south", (2023, 2, 14), "AL", "Installment loan", _FEES),
    ("9109", "ocean-state", (2023, 2, 14), "RI", "Payday loan", _NOT_OWED),
]


@pytest.fixture(scope="module")
def lookalikes(tmp_path_factory, embeddings):
    from datetime import UTC, datetime

    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.domain import Complaint, Customer
    from c360.settings import Settings

    extra: list = [Customer(cid, name) for cid, name in LOOKALIKES.items()]
    for cid, company, day, state, sub, issue in LOOKALIKE_ROWS:
        extra.append(
            Complaint(
                cid, company, datetime(*day, 15, 0, tzinfo=UTC), f"{issue}. The consumer wrote.",
                _PAYDAY, status="closed", resolution="Closed with explanation",
                attributes={"issue": issue, "sub_product": sub, "state": state,
                            "submitted_via": "Web"},
            )
        )  # fmt: skip
    settings = Settings(data_dir=tmp_path_factory.mktemp("lookalikes"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    container.ingest.add_records(records() + extra, source="test")
    return container


def _outcome(result) -> set[str]:
    return {result.customer_id} if result.resolved else {c.customer_id for c in result.candidates}


@pytest.mark.parametrize(
    ("question", "company"),
    [
        ("complaint from a borrower in Rhode Island on March 8 2022 about fees", "ocean-state"),
        ("Which company had a complaint on March 8 2022, Rhode Island, about fees?", "ocean-state"),
        ("Rhode Island complaint on March 8 2022 about fees", "ocean-state"),
        ("Which lender had a Rhode Island complaint about unexpected fees?", "ocean-state"),
        (
            "a servicemember in the Armed Forces in the Americas complained on April 12 2022 about "
            "fees",
            "americash",
        ),  # fmt: skip
        (
            "Which lender got a complaint from Armed Forces in the Americas on April 12, 2022?",
            "americash",
        ),  # fmt: skip
    ],
)
def test_a_place_named_like_a_company_is_a_place(lookalikes, question, company):
    result = lookalikes.briefs.resolve(question, None)
    assert result.method != "name prefix" and result.method != "fuzzy name", result
    if result.resolved:
        assert result.customer_id == company, (question, result)
    # Island Finance has no complaint from RI, AmeriCash (the only AA complaint) is found
    # by its complaint, never by "Island" or "Americas".
    assert "island" not in _outcome(result) or company == "island", (question, result)


@pytest.mark.parametrize(
    "question",
    [
        "the payday loan lender with a complaint in Ohio about a debt not owed",
        "Which Payday lender had a complaint from Ohio on May 12, 2026 about a debt not owed?",
        "Payday loan complaints from a borrower in Ohio on May 12, 2026 about a debt not owed",
    ],
)
def test_a_product_word_is_not_the_company_sharing_it(lookalikes, question):
    # Ocean State's complaint is the one about a debt not owed; Payday America only shares
    # the word "payday" with the product the asker names.
    result = lookalikes.briefs.resolve(question, None)
    assert result.customer_id != "payday-america", (question, result)
    assert result.method not in ("name prefix", "distinctive token"), result
    assert lookalikes.briefs.resolve("Payday America complaints", None).customer_id == (
        "payday-america"
    )


@pytest.mark.parametrize(
    ("question", "company"),
    [
        # Read without its product word ("Loan"), the name is "Quality ... Service
        # Corporation", as like Quality Asset Recovery as itself; named whole, it is one.
        ("Quality Loan Service Corporation", "quality-loan"),
        ("Did the lender Quality Loan Service Corporation get a complaint on March 8 2022?",
         "quality-loan"),
        ("any payday loan complaints at Quality Loan Service Corporation?", "quality-loan"),
        # Read without "Loan", the short name says "South"; typed together, the name's first
        # two words name the company.
        ("Did Loan South get a complaint on the 14th of February 2023?", "loan-south"),
        ("What was the complaint Loan South received on 2/14/2023?", "loan-south"),
    ],
)  # fmt: skip
def test_a_name_holding_a_product_word_is_that_company(lookalikes, question, company):
    assert lookalikes.briefs.resolve(question, None).customer_id == company, question
    # One of its words alone names nobody: "Quality" is two companies' first word, "loan" a
    # product, "South" a direction.
    assert lookalikes.briefs.resolve("Quality complaints", None).customer_id is None
    alone = lookalikes.briefs.resolve("Any loan complaints from the South?", None)
    assert alone.customer_id != "loan-south", alone


def test_a_description_fitting_only_some_facts_asks(lookalikes):
    # The day and state leave Summit's complaint, but it is about fees, not a debt not owed.
    result = lookalikes.briefs.resolve(
        "Which company had a complaint from Texas on March 3, 2022 about a debt not owed?", None
    )
    assert not result.resolved, result
    assert all(c.reason for c in result.candidates)
    # A named product the complaint lacks: the day, state and issue fit Island Finance, the
    # product does not.
    result = lookalikes.briefs.resolve(
        "Which company had a Credit card or prepaid card complaint from Puerto Rico on "
        "April 12, 2022 about fees?",
        None,
    )
    assert not result.resolved, result
    assert _outcome(result) <= {"island"}
    # Every fact fits: answered.
    result = lookalikes.briefs.resolve(
        "Which company had a Payday loan, title loan, or personal loan complaint from Puerto "
        "Rico on April 12, 2022 about fees?",
        None,
    )
    assert result.customer_id == "island", result


def test_two_complaints_fitting_every_fact_equally_ask(lookalikes):
    # 2026-05-12 in OH: Payday America (fees) and Ocean State (debt not owed); a product both
    # carry and no issue: the day, state and product do not say which.
    result = lookalikes.briefs.resolve(
        "Which company had a Payday loan, title loan, or personal loan complaint from Ohio on "
        "May 12, 2026?",
        None,
    )
    assert result.status == "ambiguous", result
    assert _outcome(result) == {"payday-america", "ocean-state"}


@pytest.mark.parametrize(
    "question",
    [
        # A day and a state nobody's complaint has: no partial fits offered.
        "Which company had a complaint from Texas on June 1, 2022 about fees?",
        "Which lender had a complaint from a borrower in Rhode Island on May 2, 2023?",
        # A company we do not have.
        "Zorblatt Lending complaints",
        "What about Zorblatt Lending complaints from Ohio on May 12, 2026?",
        "What did Zorblatt Lending get about fees?",
        # ... typed in lower case: a coined word before the kind of company.
        "show me the latest complaint about halvora lending services",
        "what complaints has quorvex financial group received?",
    ],
)
def test_nothing_fitting_is_not_found(lookalikes, question):
    result = lookalikes.briefs.resolve(question, None)
    assert result.status == "not_found", (question, result)
    assert not result.candidates


# --- months and years, record states in words, pieces of complaint ids, the reader's zone ----
def month_forms(d: date) -> list[str]:
    return [
        f"in {d:%B} {d.year}",
        f"during {d:%b} {d.year}",
        f"in {d:%B} of {d.year}",
        f"in {d.month}/{d.year}",
        f"in {d:%Y-%m}",
    ]


def year_forms(d: date) -> list[str]:
    return [f"in {d.year}", f"during {d.year}", f"back in {d.year}"]


def unique_by(period_of) -> list:
    seen = Counter((period_of(date(*r[2])), r[3], r[5]) for r in ROWS)
    return [r for r in ROWS if seen[(period_of(date(*r[2])), r[3], r[5])] == 1]


@pytest.mark.parametrize(
    ("period_of", "forms"),
    [
        (lambda d: (d.year, d.month), month_forms),
        (lambda d: d.year, year_forms),
    ],
    ids=["month", "year"],
)
def test_every_month_or_year_phrasing_resolves_or_asks_never_another(described, period_of, forms):
    """For every complaint unique by (month or year, state, issue), every phrasing of the time
    with every state form and every issue form resolves to its company or asks with it."""
    rows = unique_by(period_of)
    assert len(rows) >= 12
    outcomes: Counter = Counter()
    roles = ["Which lender", "Which company", "Which servicer", "What customer"]
    for row in rows:
        _, company, day, state, _, issue, *_ = row
        for i, when in enumerate(forms(date(*day))):
            for j, where in enumerate(state_forms(state)):
                what = issue_forms(issue)[(i + j) % 4]
                question = f"{roles[(i + j) % 4]} had a complaint {where} {when} {what}?"
                result = described.briefs.resolve(question, None)
                if result.resolved:
                    assert result.customer_id == company, (question, result)
                    outcomes["resolved"] += 1
                elif result.status == "ambiguous":
                    assert company in _outcome(result), (question, result)
                    outcomes["asked"] += 1
                else:
                    outcomes["not found"] += 1
    assert outcomes["not found"] == 0, outcomes
    assert outcomes["resolved"] / sum(outcomes.values()) >= 0.9, outcomes


@pytest.mark.parametrize(
    ("question", "company"),
    [
        # Record states in the asker's words, read from status, resolution notes and attributes.
        ("Which company had a complaint still pending from Washington in 2026?", "summit"),
        ("Which lender had a complaint from Texas answered late in 2022?", "summit"),
        ("Which lender had a Vermont complaint in March 2022 that was refunded?", "atlas"),
        ("Which company had a complaint from Ohio answered late?", "maple"),
        (
            "Which lender got a complaint from a borrower in Vermont in March 2022 closed without a "
            "refund?",
            "green-mountain",
        ),  # fmt: skip
    ],
)
def test_a_record_state_in_other_words_singles_out_the_company(described, question, company):
    result = described.briefs.resolve(question, None)
    assert result.customer_id == company, (question, result)
    assert any(e.startswith("record state") for e in result.evidence), result.evidence


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A month and a place several companies' complaints share: ask, listing all of them.
        ("Which company had a complaint from Vermont in March 2022?", {"green-mountain", "atlas"}),
        ("Which company had a complaint from California in July 2022?", {"bluewater", "crescent"}),
        ("Who had a complaint from a Georgia consumer last month?", set()),
        ("Who had a complaint from a Georgia consumer this month?", {"atlas", "crescent"}),
    ],
)
def test_a_month_several_companies_fit_asks_with_each(described, question, expected):
    result = described.briefs.resolve(question, None)
    assert not result.resolved, (question, result)
    assert _outcome(result) == expected, (question, result)
    assert all(c.reason and c.reason.startswith("has a complaint from") for c in result.candidates)


@pytest.mark.parametrize(
    "question",
    [
        "Which company had a complaint from Vermont in July 2022?",
        "Which lender had a complaint from Ohio in 2021 about unexpected fees?",
        "Which company had a complaint from New York in 2020 about a purchase on the statement?",
        "Which company had a complaint still pending from Texas in 2022?",
    ],
)
def test_a_time_and_place_nothing_fits_is_not_found_and_cites_nothing(described, question):
    result = described.briefs.resolve(question, None)
    assert result.status == "not_found", (question, result)
    answer = described.briefs.ask(question, ROBIN, log=False)
    assert answer.customer is None and not answer.candidates and not answer.citations


@pytest.mark.parametrize(
    ("question", "company"),
    [
        ("Which company got the complaint with ID ending 05?", "bluewater"),
        ("the complaint number ending in 17", "maple"),
        ("Who has the complaint whose ID starts with 9013?", "summit"),
    ],
)
def test_a_piece_of_a_complaint_id_fitting_one_names_its_company(described, question, company):
    result = described.briefs.resolve(question, None)
    assert result.customer_id == company, (question, result)
    assert result.method in ("complaint id suffix", "complaint id prefix"), result
    assert not any(c.customer_id == "id-recovery" for c in result.candidates)  # "ID" is no name


@pytest.mark.parametrize(
    "question",
    [
        "the complaint with ID starting 900",
        "complaint ID starting 901-something",
        "which account has the id starting 7590-",
        "What about the customer whose ID starts with 7590?",
    ],
)
def test_a_piece_of_an_id_fitting_several_asks_and_id_is_never_a_name(described, question):
    result = described.briefs.resolve(question, None)
    assert result.status == "ambiguous", (question, result)
    assert 2 <= len(result.candidates) <= 5
    # "ID Recovery" is offered only for a complaint of its own whose id fits (9010), never
    # for the word "ID".
    assert all(
        c.reasons[0].startswith("complaint")
        for c in result.candidates
        if c.customer_id == "id-recovery"
    ), result
    assert all(c.reason for c in result.candidates if c.reasons[0].startswith("complaint"))
    nothing = described.briefs.resolve("the complaint with ID starting 4242", None)
    assert nothing.status == "not_found" and not nothing.candidates


def test_relative_days_are_the_readers_own(described):
    """The clock is Monday 2026-11-23 12:00 UTC: already Tuesday 02:00 in Kiritimati (UTC+14),
    where "2 days ago" is Sunday the 22nd (Atlas and Crescent, GA); in UTC it is the 21st."""
    question = "Which company had a complaint 2 days ago?"
    far_east = Asker("U2", "kim", tz="Pacific/Kiritimati")
    there = described.briefs.ask(question, far_east, log=False)
    assert {c.customer_id for c in there.candidates} == {"atlas", "crescent"}
    here = described.briefs.ask(question, ROBIN, log=False)
    assert not here.candidates and here.customer is None
    unknown_zone = Asker("U3", "lee", tz="Mars/Olympus_Mons")  # not a zone: read as UTC
    assert not described.briefs.ask(question, unknown_zone, log=False).candidates


def test_an_ordinary_word_before_the_kind_of_company_is_still_a_description(described):
    result = described.briefs.resolve(
        "Which local bank had a complaint from Vermont in March 2022?", None
    )
    assert _outcome(result) == {"green-mountain", "atlas"}, result


def test_the_complaint_a_piece_of_its_id_names_is_cited_first(described):
    result = described.briefs.ask(
        "Which company got the complaint with ID ending 17?", ROBIN, log=False
    )
    cited = [c.record_id for c in result.citations if c.kind == "complaint"]
    assert result.customer["customer_id"] == "maple" and cited[:1] == ["complaint:9017"], cited


def test_a_coined_name_near_several_by_spelling_is_not_found(embeddings, tmp_path):
    """ "Santandor Lending Group" is no company of ours; by spelling it is near both
    Santanders, which share the word: not found, not a list of look-alikes. The shared word
    itself still asks which Santander."""
    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.domain import Customer
    from c360.settings import Settings

    container = Container(Settings(data_dir=tmp_path, _env_file=None), embeddings=embeddings,
                          clock=FixedClock(NOW))  # fmt: skip
    container.ingest.add_records(
        [Customer("s1", "Santander Bank, N.A."), Customer("s2", "Santander Consumer USA Inc.")],
        source="test",
    )
    coined = container.briefs.resolve(
        "show me the latest complaint about Santandor Lending Group", None
    )
    assert coined.status == "not_found" and not coined.candidates, coined
    shared = container.briefs.resolve("Santander complaints", None)
    assert shared.status == "ambiguous"
    assert {c.customer_id for c in shared.candidates} == {"s1", "s2"}


def test_a_value_listed_among_others_is_carried():
    from retrieval.describe import _carries
    from retrieval.fieldmatch import norm

    assert _carries("Older American, Servicemember", norm("Servicemember"))
    assert _carries("Servicemember", norm("servicemember"))
    assert not _carries("Older American", norm("Servicemember"))


def test_record_states_in_words_and_what_is_not_one():
    from retrieval.recordstate import named_states

    fixed = named_states("a complaint from Ohio fixed without a refund in 2021")
    assert {(r.phrase, r.negated) for r in fixed} == {("fixed", False), ("refund", True)}
    assert all(r.carried_by("closed", "Closed with non-monetary relief", {}) for r in fixed)
    assert not all(r.carried_by("closed", "Closed with monetary relief", {}) for r in fixed)
    late = named_states("a complaint answered late")[0]
    assert late.carried_by("closed", "Closed", {"timely_response": "No"})
    assert not late.carried_by("closed", "Closed", {"timely_response": "Yes"})
    pending = named_states("still pending")[0]
    assert not pending.carried_by("closed", "Closed", {"issue": "Opening an account"})
    assert named_states("a fixed rate mortgage") == []


def test_an_id_piece_fitting_a_customer_id_and_a_complaint_id_is_the_kind_named(
    embeddings, tmp_path
):
    """ "5575" starts the telco id 5575-GNVDE and, once ingested, the complaint 5575001: the
    question's own word says which kind of id it means."""
    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.domain import Complaint
    from c360.settings import Settings

    container = Container(Settings(data_dir=tmp_path, _env_file=None), embeddings=embeddings,
                          clock=FixedClock(NOW))  # fmt: skip
    container.ingest.add_records(records(), source="test")
    container.ingest.add_records(
        [Complaint("5575001", "maple", datetime(2022, 2, 2, tzinfo=UTC), "Fees.", "Mortgage")],
        source="test",
    )
    resolve = container.briefs.resolve
    assert resolve("the customer ID starting 5575", None).customer_id == "5575-GNVDE"
    assert resolve("the account starting 5575-", None).customer_id == "5575-GNVDE"
    complaint = resolve("the complaint with ID starting 5575", None)
    assert (complaint.customer_id, complaint.method) == ("maple", "complaint id prefix")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # 2022-03-03 in VT: Green Mountain (debt collection) and Atlas (payday loan).
        ("Which collector had a complaint from Vermont on March 3, 2022?", {"green-mountain"}),
        ("which debt collector got the complaint from a vt resident on 3/3/2022", {"green-mountain"}),
        ("Which lender had a complaint from VT on March 3, 2022?", {"atlas"}),
        # A kind of company that says nothing of the product: both are offered.
        ("Which company had a complaint from Vermont on March 3, 2022?", {"green-mountain", "atlas"}),
        ("Which bank had a complaint from Vermont on March 3, 2022?", {"green-mountain", "atlas"}),
        # 2022-07-14 in CA: Bluewater (vehicle loan or lease) and Crescent (credit card).
        ("Which card company had a complaint from California on July 14, 2022?", {"crescent"}),
        ("Which lender had a complaint from California on July 14, 2022?", {"bluewater", "crescent"}),
        # No complaint of that kind of company fits: the others are offered, never answered.
        ("Which credit bureau had a complaint from Vermont on March 3, 2022?", {"green-mountain", "atlas"}),
    ],
)  # fmt: skip
def test_the_kind_of_company_named_says_which_product(described, question, expected):
    result = described.briefs.resolve(question, None)
    if len(expected) == 1:
        assert result.resolved and result.customer_id == next(iter(expected)), (question, result)
    else:
        assert not result.resolved, (question, result)
        assert _outcome(result) == expected, (question, result)


def test_an_id_piece_of_no_named_kind_offers_every_customer_it_fits(embeddings, tmp_path):
    """ "the account whose ID starts with 5575" names neither kind of id: the telco customer
    whose id starts so and the company with a complaint numbered so are both offered; typed
    with the joining hyphen ("5575-") it is a customer id's shape."""
    from fixtures.brief_records import NOW

    from c360.clock import FixedClock
    from c360.container import Container
    from c360.domain import Complaint
    from c360.settings import Settings

    container = Container(Settings(data_dir=tmp_path, _env_file=None), embeddings=embeddings,
                          clock=FixedClock(NOW))  # fmt: skip
    container.ingest.add_records(records(), source="test")
    container.ingest.add_records(
        [Complaint("5575001", "maple", datetime(2022, 2, 2, tzinfo=UTC), "Fees.", "Mortgage"),
         Complaint("7590001", "atlas", datetime(2022, 2, 2, tzinfo=UTC), "Fees.", "Mortgage")],
        source="test",
    )  # fmt: skip
    # Two telco ids start with 7590, and one complaint's number: all three offered.
    result = container.briefs.resolve(
        "What do we know about the account whose ID starts with 7590?", None
    )
    assert result.status == "ambiguous", result
    assert _outcome(result) == {"7590-VHVEG", "7590-ABCDE", "atlas"}
    result = container.briefs.resolve(
        "What do we know about the account whose ID starts with 5575?", None
    )
    assert result.status == "ambiguous", result
    assert _outcome(result) == {"5575-GNVDE", "maple"}
    assert container.briefs.resolve("the account starting 5575-", None).customer_id == "5575-GNVDE"
