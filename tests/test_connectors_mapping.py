"""Mapping files: an export with other column names ingested unedited; one row may emit
several records. Unit checks of each field step, then slices of the real CFPB and telco files."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.base import SourceError
from connectors.canonical import RowProblem
from connectors.mapping import apply_mapping, load_mapping, parse_mapping, slugify
from store.models import ComplaintRow, CustomerRow, MomentRow

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


def _one(fields, row, **top):
    mapping = parse_mapping({**top, "outputs": [{"kind": "complaint", "fields": fields}]})
    return apply_mapping(mapping, row)[0][1]


def test_template_drops_empty_parts_and_their_separators():
    fields = {"text": {"template": "{Issue}: {Sub-issue}. {Narrative}"}}
    row = {"Issue": "Billing", "Sub-issue": "", "Narrative": "They charged twice."}
    assert _one(fields, row)["text"] == "Billing: They charged twice."
    assert _one(fields, {**row, "Narrative": ""})["text"] == "Billing"
    assert (
        _one(fields, {**row, "Sub-issue": "Late fee"})["text"]
        == "Billing: Late fee. They charged twice."
    )
    assert _one(fields, {"Issue": "", "Sub-issue": "", "Narrative": ""})["text"] is None


def test_null_values_count_as_empty():
    row = {"Issue": "Fees", "Sub-issue": "None"}
    assert (
        _one({"text": {"template": "{Issue}: {Sub-issue}."}}, row, null_values=["None"])["text"]
        == "Fees"
    )


def test_value_map_with_default_slug_multiply_type_and_constant():
    fields = {
        "status": {"column": "Resp", "map": {"In progress": "in_progress"}, "default": "closed"},
        "customer_id": {"column": "Company", "slug": True},
        "severity": {"value": "high"},
        "arr": {"column": "Monthly", "multiply": 12},
        "tenure": {"column": "Tenure", "type": "int"},
    }
    row = {
        "Resp": "In progress",
        "Company": "TRANSUNION INTERMEDIATE HOLDINGS, INC.",
        "Monthly": "29.85",
        "Tenure": "34",
    }
    out = _one(fields, row)
    assert (
        out["status"] == "in_progress"
        and _one(fields, {**row, "Resp": "Closed"})["status"] == "closed"
    )
    assert out["customer_id"] == "transunion-intermediate-holdings-inc"
    assert out["severity"] == "high" and out["arr"] == pytest.approx(358.2) and out["tenure"] == 34
    assert slugify("Ça va, Ltd.") == "ca-va-ltd"


def test_date_formats_cover_both_cfpb_styles():
    fields = {"opened_at": "Date"}
    formats = {"date_formats": ["%Y/%m/%d", "%m/%d/%y"]}
    assert _one(fields, {"Date": "2020/3/18"}, **formats)["opened_at"] == datetime(
        2020, 3, 18, tzinfo=UTC
    )
    assert _one(fields, {"Date": "03/22/23"}, **formats)["opened_at"] == datetime(
        2023, 3, 22, tzinfo=UTC
    )
    assert (
        _one(fields, {"Date": "2023-03-22"}, **formats)["opened_at"] == "2023-03-22"
    )  # ISO: parsed later


def test_when_skips_an_output_whose_column_is_empty():
    mapping = parse_mapping(
        {"outputs": [
            {"kind": "customer", "fields": {"customer_id": "C", "name": "C"}},
            {"kind": "moment", "when": "Reply", "fields": {"moment_id": "Id", "text": "Reply"}},
        ]}
    )  # fmt: skip
    assert [k for k, _, _ in apply_mapping(mapping, {"C": "x", "Id": "1", "Reply": ""})] == [
        "customer"
    ]
    assert [k for k, _, _ in apply_mapping(mapping, {"C": "x", "Id": "1", "Reply": "ok"})] == [
        "customer",
        "moment",
    ]


def test_a_column_missing_from_the_export_is_a_row_problem_naming_it():
    with pytest.raises(RowProblem, match="column 'Complaint ID' is not in this row"):
        _one({"complaint_id": "Complaint ID"}, {"Id": "1"})


def test_a_broken_mapping_file_is_refused_with_its_path_and_what_to_fix(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("outputs:\n  - kind: complaint\n    fields:\n      text: {colum: Narrative}\n")
    with pytest.raises(SourceError, match=r"bad.yml: field 'text': unknown key\(s\) \['colum'\]"):
        load_mapping(bad)
    bad.write_text("outputs: [1, 2")
    with pytest.raises(SourceError, match="not valid YAML"):
        load_mapping(bad)


def _slice(source: Path, dest: Path, rows: int) -> Path:
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        head = [next(reader) for _ in range(rows + 1)]
    with dest.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(head)
    return dest


def test_cfpb_rows_become_company_customers_complaints_and_response_moments(
    container, shared_data, tmp_path
):
    path = _slice(
        shared_data / "cfpb" / "complaints_2019_2020_sample.csv", tmp_path / "cfpb.csv", 60
    )
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    service = container.ingest
    summary = service.ingest_paths([path], mapping=MAPPINGS / "cfpb.yml", progress=False)
    companies = {slugify(r["Company"]) for r in rows}
    responded = [r for r in rows if r["Company response to consumer"]]
    assert summary.rejected == 0, summary.errors[:3]
    assert summary.counts["customer"]["inserted"] == len(companies)
    assert summary.counts["complaint"]["inserted"] == len(rows)
    assert summary.counts["moment"]["inserted"] == len(responded)

    first = rows[0]  # 2020/3/18, TransUnion, Closed with explanation, complaint 3571115
    with container.sessions() as session:
        complaint = session.get(ComplaintRow, first["Complaint ID"])
        company = session.get(CustomerRow, slugify(first["Company"]))
        moment = session.get(MomentRow, f"cfpb-resp-{first['Complaint ID']}")
        assert session.scalar(select(func.count()).select_from(CustomerRow)) == len(companies)
    assert company.name == first["Company"]
    assert complaint.customer_id == company.customer_id and complaint.category == first["Product"]
    assert complaint.opened_at.replace(tzinfo=UTC) == datetime(2020, 3, 18, tzinfo=UTC)
    assert complaint.text == f"{first['Issue']}: {first['Sub-issue']}."
    assert complaint.status == "closed" and complaint.resolution == "Closed with explanation"
    assert (
        complaint.attributes["state"] == first["State"]
        and complaint.attributes["timely_response"] == "Yes"
    )
    assert moment.direction == "outbound" and moment.customer_id == company.customer_id
    assert moment.occurred_at.replace(tzinfo=UTC) == datetime(2020, 3, 18, tzinfo=UTC)
    assert "Closed with explanation" in moment.text

    again = service.ingest_paths([path], mapping=MAPPINGS / "cfpb.yml", progress=False)
    assert again.embedded == 0 and again.total("inserted") == again.total("updated") == 0


def test_cfpb_2023_dates_and_none_sub_issues(container, shared_data, tmp_path):
    path = _slice(
        shared_data / "cfpb" / "complaints_2023_payday_personal_loan_narratives.csv",
        tmp_path / "cfpb23.csv",
        15,
    )
    with path.open(newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    summary = container.ingest.ingest_paths([path], mapping=MAPPINGS / "cfpb.yml", progress=False)
    assert summary.rejected == 0 and summary.counts["complaint"]["inserted"] == 15
    with container.sessions() as session:
        complaint = session.get(ComplaintRow, first["Complaint ID"])
    assert complaint.opened_at.replace(tzinfo=UTC) == datetime(2023, 3, 22, tzinfo=UTC)
    assert complaint.text.startswith(
        "Charged fees or interest you didn't expect: This company 's offer"
    )  # "None" dropped


def test_telco_export_becomes_named_customers_with_attributes(container, shared_data, tmp_path):
    path = _slice(shared_data / "telco" / "Telco-Customer-Churn.csv", tmp_path / "telco.csv", 40)
    summary = container.ingest.ingest_paths([path], mapping=MAPPINGS / "telco.yml", progress=False)
    assert summary.rejected == 0 and summary.counts["customer"]["inserted"] == 40
    with container.sessions() as session:
        customer = session.get(CustomerRow, "7590-VHVEG")
    assert customer.name == "Telco customer 7590-VHVEG"
    assert customer.plan == "Month-to-month" and customer.segment == "Consumer"
    assert customer.arr == pytest.approx(29.85 * 12)
    assert customer.attributes["tenure_months"] == 1 and customer.attributes["churn"] == "No"
    assert (
        customer.attributes["internet_service"] == "DSL"
        and customer.attributes["senior_citizen"] is False
    )
