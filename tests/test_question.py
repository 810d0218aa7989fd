"""The question parser: days in common English forms (absolute and relative to the reader's
day), US states by name or code where a place goes, amounts, partial ids; and the name index
never reading those, role words or "ID" as a name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from retrieval.decision import decide
from retrieval.describe import MARK, issue_phrase, word_fit
from retrieval.name_index import NameIndex
from retrieval.question import parse, parse_dates, parse_states
from store.queries import CustomerNameRow

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    "text",
    [
        "on 2022-03-03",
        "on March 3, 2022",
        "on march 3 2022",
        "on Mar. 3rd, 2022",
        "on 3/3/2022",
        "on 03/03/22",
        "on 3 March 2022",
        "on the 3rd of March 2022",
        "received 2022/3/3",
    ],
)
def test_absolute_days_in_every_common_form(text):
    days, spans = parse_dates(f"a complaint {text} about fees", TODAY)
    assert days == [date(2022, 3, 3)]
    assert len(spans) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 23)),
        ("yesterday", date(2026, 11, 22)),
        ("3 days ago", date(2026, 11, 20)),
        ("last Tuesday", date(2026, 11, 17)),
        ("on Friday", date(2026, 11, 20)),
        ("on the 3rd", date(2026, 11, 3)),
        ("on the 28th", date(2026, 10, 28)),  # not yet this month: last month's
        ("on March 3", date(2026, 3, 3)),  # no year: the latest one not in the future
        ("on December 30", date(2025, 12, 30)),
    ],
)
def test_relative_days_count_from_the_readers_today(text, expected):
    assert parse_dates(f"what came in {text}?", TODAY)[0] == [expected]


def test_the_readers_time_zone_decides_what_today_is():
    late = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # still the 23rd in New York
    assert parse("yesterday", late).dates == [date(2026, 11, 23)]
    assert parse("yesterday", late, ZoneInfo("America/New_York")).dates == [date(2026, 11, 22)]


def test_a_weekday_or_month_word_alone_is_not_a_day():
    assert parse_dates("what did Sunday Loans say in May?", TODAY)[0] == []


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("a borrower in Vermont", ["VT"]),
        ("a consumer from VT", ["VT"]),
        ("a Vermont borrower", ["VT"]),
        ("complaints from New York and from New Jersey", ["NY", "NJ"]),
        ("a resident of the District of Columbia living in DC", ["DC"]),
        ("based in puerto rico", ["PR"]),
        # Where a name goes, a state is part of the name, left to the name matcher.
        ("what did R & B of Virginia say", []),
        ("Texas Capital Bank complaints", []),
        ("complaints at Lender Services of VT Inc", []),
        ("What complaints do we have for Florida?", []),
    ],
)
def test_states_are_read_where_a_place_goes(text, states):
    assert parse_states(text)[0] == states


@pytest.mark.parametrize(
    ("text", "states"),
    [
        # A code typed in lower case is a place only where nothing else fits.
        ("who was the complaint from ut on 03/09/23 about", ["UT"]),
        ("the complaint from a la resident on march 24, 2023", ["LA"]),
        ("the complaint yesterday lodged in il abuot a line of credit", ["IL"]),
        ("a ky resident complained", ["KY"]),
        ("complaints from nv received on jul 26 2023", ["NV"]),
        # Codes that are everyday words need a person word after them too.
        ("a complaint from me about it", []),
        ("the one in or near the city", []),
        ("complaints in pa", ["PA"]),
        ("the complaint from oh on 2022-07-14", ["OH"]),
        ("the complaint from id on 2021-11-02", []),
        ("a pa resident", ["PA"]),
        # Where a name goes, lower case or not, no place.
        ("the company from me on its own", []),
        ("what about ca", []),
    ],
)
def test_state_codes_in_lower_case_where_only_a_place_fits(text, states):
    assert parse_states(text)[0] == states


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("the complaint in Mar 2020 from NY about an inaccurate credit file against", "inaccurate credit file"),
        ("a complaint about struggling to keep up with the loan by a consumer", "struggling to keep up with the loan"),
        ("there was a complaint about hidden fees - which lender was it?", "hidden fees"),
        ("the complaint abuot paying off the loan", "paying off the loan"),
        ("the complaint about money still being pulled from the bank account about", "money still being pulled from the bank account"),
    ],
)  # fmt: skip
def test_the_issue_phrase_drops_the_askers_closing_words(text, phrase):
    assert issue_phrase(text) == phrase


@pytest.mark.parametrize(
    "text",
    [
        "what did people complain about to the lender u.s. bancorp from co?",
        "what do consumers complain about at the bank?",
        "what did they complain about with our customer Acme?",
    ],
)
def test_who_was_complained_to_is_not_what_about(text):
    assert issue_phrase(text) is None


def test_amounts_and_partial_ids():
    p = parse("the account 7590-something paying $29.85 a month", datetime(2026, 11, 23))
    assert p.amounts == [29.85] and p.id_prefixes == ["7590"]
    p = parse("customer ending in -VHVEG", datetime(2026, 11, 23))
    assert p.id_suffixes == ["VHVEG"] and p.id_prefixes == []
    p = parse("the ID starting 7590-", datetime(2026, 11, 23))
    assert p.id_prefixes == ["7590"] and "ID" not in p.without_spans("the ID starting 7590-")
    assert parse("it starts with a late fee", datetime(2026, 11, 23)).id_prefixes == []


def test_the_issue_phrase_is_what_the_complaint_was_about():
    q = "Which lender had a complaint from a borrower in Vermont on March 3, 2022 about a debt not owed?"
    p = parse(q, datetime(2026, 11, 23, tzinfo=UTC))
    assert issue_phrase(p.without_spans(q, MARK)) == "debt not owed"
    q = "Which company had a complaint from Georgia yesterday about a charge on the statement?"
    p = parse(q, datetime(2026, 11, 23, tzinfo=UTC))
    assert issue_phrase(p.without_spans(q, MARK)) == "charge on the statement"
    assert word_fit("debt not owed", "Attempts to collect debt not owed") == 1.0
    assert word_fit("incorrect information", "Managing an account") == 0.0


@pytest.fixture(scope="module")
def traps() -> NameIndex:
    index = NameIndex()
    index.upsert(
        CustomerNameRow(cid, name, (), (), None)
        for cid, name in [
            ("lvt", "Lender Services of VT Inc"),
            ("idr", "ID Recovery Group LLC"),
            ("vsa", "Vermont Student Assistance Corp"),
            ("fl1", "Florida Credit Union"),
            ("fl2", "Florida Capital Bank"),
        ]
    )
    index.upsert(
        CustomerNameRow(tid, f"Telco customer {tid}", (), (), None)
        for tid in ("7590-VHVEG", "7590-ABCDE", "5575-GNVDE")
    )
    return index


@pytest.mark.parametrize(
    "text",
    [
        "Which lender services loans in VT?",
        "the servicer with a complaint from VT",
        "Which lender had a complaint from a borrower in Vermont about fees?",
        "What is the ID of the customer who complained?",
        "Which ID had complaints last Tuesday?",
        "the company with the most complaints",
        "Which bank services my account?",
    ],
)
def test_role_words_state_codes_and_the_word_id_name_nobody(traps, text):
    assert decide(traps.match(text)).status != "resolved", text


@pytest.mark.parametrize(
    ("text", "status", "ids"),
    [
        ("the account whose ID starts with 7590", "ambiguous", {"7590-VHVEG", "7590-ABCDE"}),
        ("ID starting 7590-", "ambiguous", {"7590-VHVEG", "7590-ABCDE"}),
        ("customer ending in -VHVEG", "resolved", {"7590-VHVEG"}),
        ("account 5575-something", "resolved", {"5575-GNVDE"}),
        ("ID starting 9999-", "not_found", set()),
    ],
)
def test_a_partial_id_lists_the_customers_it_fits(traps, text, status, ids):
    result = decide(traps.match(text))
    assert result.status == status, result
    found = {result.customer_id} if result.resolved else {c.customer_id for c in result.candidates}
    assert found == ids


def test_names_made_of_such_words_still_resolve_when_typed_as_names(traps):
    assert decide(traps.match("complaints at Lender Services of VT Inc")).customer_id == "lvt"
    assert decide(traps.match("What does ID Recovery say?")).customer_id == "idr"
    assert decide(traps.match("Vermont Student Assistance complaints")).customer_id == "vsa"
    florida = decide(traps.match("What complaints do we have for Florida?"))
    assert florida.status == "ambiguous"
    assert {c.customer_id for c in florida.candidates} == {"fl1", "fl2"}


def test_an_id_not_in_the_store_does_not_resolve_to_one_sharing_its_digits(traps):
    # 7590-ZZZZZ is nobody's id; "Telco customer 7590-VHVEG" shares only the digits.
    result = decide(traps.match("Which internet service does telco customer 7590-ZZZZZ have?"))
    assert not result.resolved, result
    assert decide(traps.match("telco customer 7590-VHVEG")).customer_id == "7590-VHVEG"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a complaint from Armed Forces Americas", "AA"),
        ("a servicemember in the Armed Forces in the Americas complained", "AA"),
        ("stationed with the Armed Forces Pacific", "AP"),
        ("a complaint from the armed forces in Europe", "AE"),
        ("a borrower in Rhode Island", "RI"),
        ("a Northern Mariana Islands consumer", "MP"),
    ],
)
def test_military_and_multiword_places_are_read_as_places(text, code):
    p = parse(text, datetime(2026, 11, 23, tzinfo=UTC))
    assert p.states == [code], text
    # The place's words are gone from what the name matcher reads.
    rest = p.without_spans(text).lower()
    assert "americas" not in rest and "island" not in rest and "pacific" not in rest


def test_a_company_named_like_the_armed_forces_is_still_a_name():
    assert parse("Armed Forces Bank complaints").states == []


@pytest.fixture(scope="module")
def places() -> NameIndex:
    index = NameIndex()
    index.upsert(
        CustomerNameRow(cid, name, (), (), None)
        for cid, name in [
            ("island", "Island Finance Puerto Rico"),
            ("americash", "AmeriCash"),
            ("ocean", "Ocean State Credit"),
            ("nycb", "New York Community Bank"),
            ("northern", "Northern Trust Company"),
        ]
    )
    return index


@pytest.mark.parametrize(
    "text",
    [
        # Where a place goes, and where it does not (no place word before or after it).
        "complaint from a borrower in Rhode Island on March 3 2022 about fees",
        "Which company had a complaint on March 3 2022, Rhode Island, about fees?",
        "Rhode Island complaints about fees",
        "Which lender got a complaint from Armed Forces in the Americas on April 12 2022?",
        "a servicemember in the Armed Forces Americas complained about fees",
        "Which lender had a complaint from the Americas Armed Forces?",
        "Northern Mariana Islands complaints",
    ],
)
def test_a_word_of_a_place_name_never_names_a_company(places, text):
    result = decide(places.match(text))
    assert not result.resolved, (text, result)
    assert not {c.customer_id for c in result.candidates} & {"island", "americash", "northern"}


def test_names_carrying_a_whole_place_or_typed_whole_still_resolve(places):
    assert decide(places.match("What did Island Finance get?")).customer_id == "island"
    assert decide(places.match("AmeriCash complaints")).customer_id == "americash"
    assert decide(places.match("New York Community Bank complaints")).customer_id == "nycb"
    assert decide(places.match("Northern Trust complaints")).customer_id == "northern"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a week ago today", date(2026, 11, 16)),
        ("two weeks ago", date(2026, 11, 9)),
        ("3 weeks ago", date(2026, 11, 2)),
    ],
)
def test_weeks_ago_is_that_day_not_today(text, expected):
    assert parse_dates(f"what came in {text}?", TODAY)[0] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in March 2022", (date(2022, 3, 1), date(2022, 4, 1))),
        ("during Mar 2022", (date(2022, 3, 1), date(2022, 4, 1))),
        ("in March of 2022", (date(2022, 3, 1), date(2022, 4, 1))),
        ("in 3/2022", (date(2022, 3, 1), date(2022, 4, 1))),
        ("in 2022-03", (date(2022, 3, 1), date(2022, 4, 1))),
        ("in December 2021", (date(2021, 12, 1), date(2022, 1, 1))),
        ("in March", (date(2026, 3, 1), date(2026, 4, 1))),  # the latest March not ahead
        ("in December", (date(2025, 12, 1), date(2026, 1, 1))),
        ("last month", (date(2026, 10, 1), date(2026, 11, 1))),
        ("this month", (date(2026, 11, 1), date(2026, 12, 1))),
        ("two months ago", (date(2026, 9, 1), date(2026, 10, 1))),
        ("in 2021", (date(2021, 1, 1), date(2022, 1, 1))),
        ("during 2019", (date(2019, 1, 1), date(2020, 1, 1))),
        ("back in 2020", (date(2020, 1, 1), date(2021, 1, 1))),
        ("last year", (date(2025, 1, 1), date(2026, 1, 1))),
    ],
)
def test_months_and_years_are_periods_not_days(text, expected):
    question = f"which lender had a complaint {text} from Ohio?"
    parsed = parse(question, datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert parsed.periods == [expected] and parsed.dates == []
    assert parsed.states == ["OH"]
    assert text.split()[-1] not in parsed.without_spans(question)  # never read as a name


@pytest.mark.parametrize(
    "text",
    [
        "complaint 3571115",  # an id, not a year
        "the ID starting 2022-",
        "on March 3, 2022",  # a day, not a month
        "the 2021 complaints of Acme",  # a number beside a name: left alone
        "what may happen",  # "may" the verb
    ],
)
def test_what_is_not_a_month_or_year(text):
    assert parse(text, datetime(2026, 11, 23, tzinfo=UTC)).periods == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a borrower in Pensylvania", "PA"),
        ("from a Vermnot consumer", "VT"),
        ("lodged in New Yrok", "NY"),
        ("a complaint out of Rhode Island", "RI"),
        ("from Mississipi", "MS"),
    ],
)
def test_a_state_name_with_one_slip_where_a_place_goes_is_that_state(text, code):
    assert parse_states(text)[0] == [code]


def test_a_slip_near_two_states_or_where_a_name_goes_is_no_state():
    assert parse_states("Kansass Capital Bank complaints")[0] == []  # where a name goes
    assert parse_states("a complaint from Texsa")[0] == []  # too short to tell a slip


@pytest.mark.parametrize(
    ("text", "prefixes", "suffixes"),
    [
        ("customer ending in -VHVEG", [], ["VHVEG"]),
        ("the customer ID ending in ippbe", [], ["ippbe"]),  # lower case beside "ID"
        ("the account ending in vhveg", [], ["vhveg"]),
        ("account 7590-something", ["7590"], []),
        ("complaint ID starting 901-something", ["901"], []),
        ("which complaint starts with a late fee", [], []),  # words, not an id
    ],
)
def test_pieces_of_ids(text, prefixes, suffixes):
    from retrieval.question import parse_id_fragments

    assert parse_id_fragments(text)[:2] == (prefixes, suffixes)


def test_what_a_phrase_is_about_decides_which_fields_it_is_matched_on():
    from retrieval.describe import ISSUE_FIELDS, PRODUCT_FIELDS, about_fields

    vocabulary = [
        ("category", "Mortgage"),
        ("sub_product", "Credit reporting"),
        ("issue", "Problem with the payoff process at the end of the loan"),
        ("issue", "Improper use of your report"),
        ("sub_issue", "Reporting company used your report improperly"),
    ]
    cosine = {
        "Mortgage": 0.71,  # "a home loan": a product, clearly
        "Problem with the payoff process at the end of the loan": 0.40,
    }
    assert about_fields("a home loan", vocabulary, cosine) == PRODUCT_FIELDS
    cosine = {"Mortgage": 0.45, "Problem with the payoff process at the end of the loan": 0.72}
    assert about_fields("closing out the loan at the end", vocabulary, cosine) == (
        "issue",
        "sub_issue",
    )
    # Neither clearly closer: every field, as before.
    cosine = {"Credit reporting": 0.77, "Improper use of your report": 0.74}
    assert about_fields("misuse of a credit report", vocabulary, cosine) == ISSUE_FIELDS
