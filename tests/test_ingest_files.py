"""`c360 ingest PATH...` on canonical CSV / JSONL / JSON files: kinds from file names,
rejected rows located as file:line: reason, the rest kept, exit codes and --json."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from c360.cli import build_parser
from c360.commands import ingest as ingest_command
from store.models import ComplaintRow, CustomerRow, MomentRow

CUSTOMERS_CSV = """customer_id,name,aliases,emails,arr,region,created_at,industry
acme,ACME Corp.,Acme;ACME,ops@acme.example;cfo@acme.example,120000,EMEA,2024-01-15,Manufacturing
globex,Globex Inc.,,,"50,000",US,2024-02-01T10:00:00+02:00,
"""

MOMENTS_JSONL = (
    '{"moment_id": "m1", "customer_id": "acme", "occurred_at": "2026-01-05T10:00:00Z", "channel": "call", "text": "Asked about SSO.", "tags": ["sso", "security"]}\n'
    '{"moment_id": "m2", "customer_id": "globex", "occurred_at": "2026-01-06", "channel": "Email", "direction": "outbound", "text": "Sent the renewal quote.", "mood": "good"}\n'
)

COMPLAINTS_JSON = json.dumps(
    [
        {
            "complaint_id": "c1",
            "customer_id": "acme",
            "opened_at": "2026-01-07",
            "text": "Invoice was wrong.",
            "status": "in progress",
        },
        {
            "complaint_id": 2,
            "customer_id": "globex",
            "opened_at": "2026-01-08T08:00:00",
            "text": "Slow support.",
            "status": "resolved",
            "resolved_at": "2026-01-09",
        },
    ]
)


def _run(container, capsys, *argv):
    args = build_parser().parse_args(["ingest", *map(str, argv), "--no-progress"])
    code = ingest_command.run(args, container)
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_jsonl_and_json_files_become_records_with_kind_from_file_name(
    container, tmp_path, capsys
):
    # Given in the "wrong" order: customers must still be ingested first.
    paths = [
        _write(tmp_path, "complaints.json", COMPLAINTS_JSON),
        _write(tmp_path, "moments.jsonl", MOMENTS_JSONL),
        _write(tmp_path, "customers.csv", CUSTOMERS_CSV),
    ]
    code, out, err = _run(container, capsys, *paths, "--json")
    summary = json.loads(out)
    assert code == 0, err
    assert summary["customers"]["inserted"] == 2
    assert summary["moments"]["inserted"] == 2 and summary["complaints"]["inserted"] == 2
    assert summary["rejected"] == 0 and summary["embedded"] == 6
    with container.sessions() as session:
        acme = session.get(CustomerRow, "acme")
        globex = session.get(CustomerRow, "globex")
        m2 = session.get(MomentRow, "m2")
        c1 = session.get(ComplaintRow, "c1")
        c2 = session.get(ComplaintRow, "2")
    assert acme.aliases == ["Acme", "ACME"] and acme.emails == [
        "ops@acme.example",
        "cfo@acme.example",
    ]
    assert acme.arr == 120000 and acme.attributes == {"industry": "Manufacturing"}
    assert globex.arr == 50000 and globex.created_at.replace(tzinfo=UTC) == datetime(
        2024, 2, 1, 8, tzinfo=UTC
    )
    assert m2.channel == "email" and m2.direction == "outbound" and m2.meta == {"mood": "good"}
    assert c1.status == "in_progress" and c2.status == "resolved"

    code, out, _ = _run(container, capsys, *paths, "--json")
    again = json.loads(out)
    assert (
        code == 0 and again["embedded"] == 0 and again["unchanged"] == 6 and again["inserted"] == 0
    )


def test_bad_rows_are_reported_with_file_line_and_reason_and_the_rest_is_ingested(
    container, tmp_path, capsys
):
    _run(container, capsys, _write(tmp_path, "customers.csv", CUSTOMERS_CSV))
    moments = _write(
        tmp_path,
        "moments.csv",
        "moment_id,customer_id,occurred_at,channel,text\n"
        'm1,acme,2026-01-05,call,"A note that spans\ntwo lines"\n'  # lines 2-3
        "m2,acme,yesterday,call,Bad date\n"  # line 4
        "m3,nobody,2026-01-05,call,Unknown customer\n"  # line 5
        "m4,acme,2026-01-05,pigeon,Bad channel\n"  # line 6
        "m5,acme,2026-01-05,call,\n"  # line 7: no text
        "m1,acme,2026-01-06,call,Duplicate id\n"  # line 8
        "m6,globex,2026-01-07,email,Fine\n",  # line 9
    )
    code, out, err = _run(container, capsys, moments)
    assert code == 0
    rejected = [line for line in err.splitlines() if line.startswith("rejected ")]
    assert rejected == [
        f"rejected {moments}:4: occurred_at 'yesterday' is not a date: use ISO 8601 (2024-05-01 or 2024-05-01T14:30:00+02:00), or give a date format in the mapping file",
        f"rejected {moments}:5: unknown customer 'nobody': ingest that customer first (customers file, or list it before moments/complaints) or fix customer_id",
        f"rejected {moments}:6: channel 'pigeon' is not one of: email, call, meeting, chat, social, ticket, slack, note, cli, other",
        f"rejected {moments}:7: missing required field 'text' for a moment",
        f"rejected {moments}:8: duplicate moment id 'm1' (first at {moments}:2); the first one was kept",
    ]
    assert "moments    inserted 2, updated 0, unchanged 0, rejected 5" in out
    assert "completed with 5 rejected row(s)" in out
    with container.sessions() as session:
        assert session.get(MomentRow, "m1").text == "A note that spans\ntwo lines"
        assert session.get(MomentRow, "m6") is not None
        assert session.get(MomentRow, "m2") is None


def test_a_rejected_row_never_damages_the_stored_record(container, tmp_path, capsys):
    customers = _write(tmp_path, "customers.csv", CUSTOMERS_CSV)
    _run(container, capsys, customers)
    broken = _write(
        tmp_path, "customers_fix.jsonl", '{"customer_id": "acme", "name": "", "region": "APAC"}\n'
    )
    code, out, err = _run(container, capsys, broken)
    assert code == 0
    assert f"{broken}:1: missing required field 'name' for a customer" in err
    with container.sessions() as session:
        acme = session.get(CustomerRow, "acme")
    assert acme.name == "ACME Corp." and acme.region == "EMEA"


def test_json_array_errors_are_located_by_item(container, tmp_path, capsys):
    _run(container, capsys, _write(tmp_path, "customers.csv", CUSTOMERS_CSV))
    path = _write(
        tmp_path,
        "complaints.json",
        json.dumps([{"complaint_id": "c1", "customer_id": "acme", "opened_at": "2026-01-01", "text": "ok"}, "oops",
                    {"complaint_id": "c3", "customer_id": "acme", "opened_at": "2026-01-01", "text": "x", "status": "lost"}]),
    )  # fmt: skip
    code, _, err = _run(container, capsys, path)
    assert code == 0
    assert f"rejected {path}: item 2: expected a JSON object, got str" in err
    assert (
        f"rejected {path}: item 3: status 'lost' is not one of: open, in_progress, resolved, closed"
        in err
    )


def test_kind_flag_overrides_the_file_name_and_unknown_kind_is_explained(
    container, tmp_path, capsys
):
    path = _write(tmp_path, "export.csv", CUSTOMERS_CSV)
    code, _, err = _run(container, capsys, path)
    assert code == 1 and "cannot tell the record kind" in err and "--kind" in err
    code, out, _ = _run(container, capsys, path, "--kind", "customers")
    assert code == 0 and "customers  inserted 2" in out


def test_nothing_readable_exits_non_zero_and_writes_nothing(container, tmp_path, capsys):
    good = _write(tmp_path, "customers.csv", CUSTOMERS_CSV)
    code, _, err = _run(container, capsys, good, tmp_path / "missing.csv")
    assert code == 1 and "missing.csv: file not found" in err
    code, _, err = _run(container, capsys, good, "--mapping", tmp_path / "nope.yml")
    assert code == 1 and "mapping file not found" in err
    with container.sessions() as session:
        assert session.get(CustomerRow, "acme") is None


def test_an_unparsable_jsonl_line_is_rejected_by_line_and_the_next_lines_still_load(
    container, tmp_path, capsys
):
    _run(container, capsys, _write(tmp_path, "customers.csv", CUSTOMERS_CSV))
    path = _write(
        tmp_path,
        "moments.jsonl",
        '{"moment_id": "m1", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"}\n'
        '{"moment_id": "m2", "customer_id": "acme", \n'
        "\n"
        '{"moment_id": "m3", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok too"}\n',
    )
    code, out, err = _run(container, capsys, path)
    assert code == 0
    assert f"rejected {path}:2: not valid JSON" in err
    assert "moments    inserted 2, updated 0, unchanged 0, rejected 1" in out
