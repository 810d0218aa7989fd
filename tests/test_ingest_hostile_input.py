"""`c360 ingest` on hostile and broken input (issue 12): a stray CSV quote, undecodable bytes,
out-of-range dates, NaN money and non-scalar ids each reject the rows they touch, located as
file:line, and every other row is ingested; error output names ids, fields and line numbers,
never a record's text, and carries no terminal control characters."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from fixtures import hostile
from sqlalchemy import select

from c360.cli import build_parser
from c360.commands import ingest as ingest_command
from connectors.canonical import QUOTE_CHARS
from connectors.files import MAX_QUOTED_LINES
from store.models import CustomerRow, MomentRow

HEADER = "moment_id,customer_id,occurred_at,channel,text\n"
TEXT = "Call about the renewal."  # one text for every plain row: embedded once


def _run(container, capsys, *argv):
    args = build_parser().parse_args(["ingest", *map(str, argv), "--no-progress"])
    code = ingest_command.run(args, container)
    out = capsys.readouterr()
    return code, out.out, out.err


def _rejected(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("rejected ")]


def _customers(container, capsys, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name\nacme,ACME Corp.\n", encoding="utf-8")
    code, _, err = _run(container, capsys, path)
    assert code == 0, err


def _moment_ids(container) -> set[str]:
    with container.sessions() as session:
        return set(session.scalars(select(MomentRow.moment_id)))


def _row(n: int, text: str = TEXT) -> str:
    return f"m{n},acme,2026-01-05,call,{text}\n"


# --- point 6: a stray quote -------------------------------------------------------------------


def test_an_unclosed_quote_rejects_its_row_only_and_the_next_497_rows_are_ingested(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    thread = "\n".join(
        f"> line {i} of a long e-mail thread, quoted in one cell." for i in range(50)
    )
    rows = [_row(n) for n in range(1, 501)]
    rows[0] = _row(1, f'"{thread}"')  # a legitimate quoted field of 50 lines (lines 2-51)
    rows[2] = _row(3, '"Customer said: the invoice is wrong')  # line 53: the quote never closes
    path = tmp_path / "moments.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")

    code, out, err = _run(container, capsys, path)

    assert code == 0
    assert _rejected(err) == [
        f"rejected {path}:53: unclosed quote starting here (the file ends inside the quoted "
        "field): the lines after this one were read as rows of their own; close the quote, or "
        'write a quote inside a field as ""'
    ]
    assert "moments    inserted 499, updated 0, unchanged 0, rejected 1" in out
    assert _moment_ids(container) == {f"m{n}" for n in range(1, 501)} - {"m3"}
    with container.sessions() as session:
        assert session.get(MomentRow, "m1").text == thread
        assert session.get(MomentRow, "m4").text == TEXT
        assert session.get(MomentRow, "m500").text == TEXT


def test_a_stray_quote_closed_by_a_later_quoted_field_is_reported_where_it_starts(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    rows = [_row(n) for n in range(1, 11)]
    rows[2] = _row(3, '"Broken')  # line 4
    rows[7] = _row(8, '"Refund, please"')  # line 9: its opening quote "closes" line 4's
    path = tmp_path / "moments.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")

    code, out, err = _run(container, capsys, path)

    assert code == 0
    assert [line.split(": ", 1)[0] for line in _rejected(err)] == [f"rejected {path}:4"]
    assert "unclosed quote starting here (the quoting breaks at line 9)" in err
    assert _moment_ids(container) == {f"m{n}" for n in range(1, 11)} - {"m3"}
    with container.sessions() as session:
        assert session.get(MomentRow, "m8").text == "Refund, please"


def test_a_quoted_field_running_over_the_line_limit_is_an_unclosed_quote(
    container, tmp_path, capsys
):
    # A quote on line 4 would otherwise be "closed" by the quote that ends line 1,204, making
    # one record of 1,200 rows.
    _customers(container, capsys, tmp_path)
    last = MAX_QUOTED_LINES + 202
    rows = [_row(n) for n in range(1, last + 1)]
    rows[2] = _row(3, '"Broken')
    rows[-1] = _row(last, 'Ordered the 12"')
    path = tmp_path / "moments.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")

    code, out, err = _run(container, capsys, path)

    assert code == 0
    assert [line.split(": ", 1)[0] for line in _rejected(err)] == [f"rejected {path}:4"]
    assert f"the quoted field runs over {MAX_QUOTED_LINES:,} lines" in err
    assert len(_moment_ids(container)) == last - 1
    with container.sessions() as session:
        assert session.get(MomentRow, f"m{last}").text == 'Ordered the 12"'


# --- point 10: bytes that are not UTF-8 -------------------------------------------------------


def _latin1_csv(tmp_path):
    """1,500 rows; line 1,400 (moment m1399) carries 'é' as the Latin-1 byte 0xe9."""
    lines = [_row(n) for n in range(1, 1501)]
    lines[1398] = _row(1399, "Réunion about the renewal.")
    path = tmp_path / "moments.csv"
    path.write_bytes((HEADER + "".join(lines)).encode("latin-1"))
    return path


def test_an_undecodable_line_is_rejected_at_its_line_and_column_and_the_rest_is_ingested(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    path = _latin1_csv(tmp_path)

    code, out, err = _run(container, capsys, path)

    column = len("m1399,acme,2026-01-05,call,R") + 1
    assert _rejected(err) == [
        f"rejected {path}:1400: not UTF-8 (byte 0xe9 at column {column}): re-save the file "
        "as UTF-8 or pass --encoding (e.g. --encoding latin-1)"
    ]
    assert code == 0  # completed, with a rejected row: the documented contract
    assert "moments    inserted 1499, updated 0, unchanged 0, rejected 1" in out
    assert len(_moment_ids(container)) == 1499 and "m1400" in _moment_ids(container)


def test_the_encoding_option_and_the_source_file_key_read_a_latin1_file(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    path = _latin1_csv(tmp_path)

    code, out, err = _run(container, capsys, path, "--encoding", "latin-1")
    assert code == 0 and _rejected(err) == []
    assert "moments    inserted 1500" in out
    with container.sessions() as session:
        assert session.get(MomentRow, "m1399").text == "Réunion about the renewal."

    notes = tmp_path / "exports" / "moments-notes.jsonl"
    notes.parent.mkdir()
    notes.write_bytes(
        '{"moment_id": "n1", "customer_id": "acme", "occurred_at": "2026-01-05", '
        '"text": "Gespräch über die Verlängerung."}\n'.encode("latin-1")
    )
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - name: notes\n    path: exports/moments-notes.jsonl\n    encoding: latin-1\n",
        encoding="utf-8",
    )
    code, out, err = _run(container, capsys, "--source", sources)
    assert code == 0 and _rejected(err) == [], err
    with container.sessions() as session:
        assert session.get(MomentRow, "n1").text == "Gespräch über die Verlängerung."

    code, _, err = _run(container, capsys, path, "--encoding", "klingon-8")
    assert code == 1 and "unknown encoding 'klingon-8'" in err


def test_an_undecodable_jsonl_line_or_json_element_is_rejected_and_the_rest_loads(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    path = tmp_path / "moments.jsonl"
    path.write_bytes(
        b'{"moment_id": "j1", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"}\n'
        b'{"moment_id": "j2", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "caf\xe9"}\n'
        b'{"moment_id": "j3", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"}\n'
    )
    code, out, err = _run(container, capsys, path)
    assert code == 0
    assert [line.split(" (byte")[0] for line in _rejected(err)] == [f"rejected {path}:2: not UTF-8"]
    assert _moment_ids(container) == {"j1", "j3"}

    array = tmp_path / "moments-array.json"
    array.write_bytes(
        b'[{"moment_id": "a1", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"},\n'
        b' {"moment_id": "a2", "customer_id": "acme", "occurred_at": "2026-01-05",\n'
        b'  "text": "caf\xe9"},\n'
        b' {"moment_id": "a3", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"}]\n'
    )
    code, out, err = _run(container, capsys, array)
    assert code == 0
    assert _rejected(err) == [
        f"rejected {array}: item 2: not UTF-8 (byte 0xe9 at line 3, column 15): re-save the "
        "file as UTF-8 or pass --encoding (e.g. --encoding latin-1)"
    ]
    assert {"a1", "a3"} <= _moment_ids(container) and "a2" not in _moment_ids(container)


# --- point 9: dates, money and ids that cannot be stored -------------------------------------


def test_out_of_range_and_future_dates_are_rejected_rows_and_the_run_completes(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    path = tmp_path / "moments.csv"
    path.write_text(
        HEADER
        + "d1,acme,0001-01-01T00:00:00+01:00,call,Too early\n"  # line 2
        + "d2,acme,9999-12-31T23:59:59-01:00,call,Too late\n"  # line 3
        + "d3,acme,2099-01-01,call,Not yet\n"  # line 4
        + "d4,acme,1899-12-31,call,Before the records\n"  # line 5
        + "d5,acme,2026-11-24T06:00:00Z,call,Later today in another zone\n"  # line 6: within a day
        + "d6,acme,2026-01-05,call,Fine\n",  # line 7
        encoding="utf-8",
    )
    code, out, err = _run(container, capsys, path, "--json")

    summary = json.loads(out)
    assert code == 0 and summary["completed"] is True
    assert [(e["line"], e["reason"]) for e in summary["errors"]] == [
        (2, "occurred_at '0001-01-01T00:00:00+01:00' is out of range: check the date"),
        (3, "occurred_at '9999-12-31T23:59:59-01:00' is out of range: check the date"),
        (
            4,
            "occurred_at '2099-01-01' is in the future (after 2026-11-23): check the date and "
            "its time zone",
        ),
        (5, "occurred_at '1899-12-31' is before 1900: check the date"),
    ]
    assert _moment_ids(container) == {"d5", "d6"}


def test_a_future_opened_at_is_rejected_for_complaints_too(container, tmp_path, capsys):
    _customers(container, capsys, tmp_path)
    path = tmp_path / "complaints.jsonl"
    path.write_text(
        '{"complaint_id": "k1", "customer_id": "acme", "opened_at": "2031-05-01", "text": "x"}\n',
        encoding="utf-8",
    )
    code, _, err = _run(container, capsys, path)
    assert code == 0 and f"rejected {path}:1: opened_at '2031-05-01' is in the future" in err


def test_nan_and_infinite_money_and_non_scalar_ids_are_rejected_rows(container, tmp_path, capsys):
    csv_path = tmp_path / "customers.csv"
    csv_path.write_text(
        "customer_id,name,arr\nc1,One,NaN\nc2,Two,inf\nc3,Three,-Infinity\nc4,Four,1e999\n"
        'c5,Five,"120,000"\n',
        encoding="utf-8",
    )
    jsonl_path = tmp_path / "customers-more.jsonl"
    jsonl_path.write_text(
        '{"customer_id": "j1", "name": "JSON NaN", "arr": NaN}\n'
        '{"customer_id": ["a", "b"], "name": "List id"}\n'
        '{"customer_id": {"id": 7}, "name": "Object id"}\n'
        '{"customer_id": "j4", "name": "Nested NaN", "health": {"score": Infinity}}\n'
        '{"customer_id": "j5", "name": "Fine", "arr": 50000}\n',
        encoding="utf-8",
    )
    code, out, err = _run(container, capsys, csv_path, jsonl_path, "--json")

    summary = json.loads(out)
    assert code == 0 and summary["completed"] is True
    assert [(e["line"], e["reason"]) for e in summary["errors"]] == [
        (2, "arr 'NaN' is not a finite number"),
        (3, "arr 'inf' is not a finite number"),
        (4, "arr '-Infinity' is not a finite number"),
        (5, "arr '1e999' is not a finite number"),
        (1, "arr is 'nan', not a finite number"),
        (2, "customer_id is a list, not a single value"),
        (3, "customer_id is an object, not a single value"),
        (4, "health.score is 'inf', not a finite number"),
    ]
    with container.sessions() as session:
        assert set(session.scalars(select(CustomerRow.customer_id))) == {"c5", "j5"}
        assert session.get(CustomerRow, "c5").arr == 120000


def test_a_json_string_with_an_unpaired_surrogate_is_a_rejected_row(container, tmp_path, capsys):
    _customers(container, capsys, tmp_path)
    path = tmp_path / "moments.jsonl"
    path.write_text(
        '{"moment_id": "s1", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "bad \\ud800"}\n'
        '{"moment_id": "s2", "customer_id": "acme", "occurred_at": "2026-01-05", "text": "ok"}\n',
        encoding="utf-8",
    )
    code, out, err = _run(container, capsys, path)
    assert code == 0
    assert _rejected(err) == [
        f"rejected {path}:1: text holds an unpaired surrogate escape (not valid text)"
    ]
    assert _moment_ids(container) == {"s2"}


# --- point 14: no record text in error output ------------------------------------------------


def test_hostile_records_ingest_as_data_and_their_bad_rows_are_reported_without_their_text(
    container, tmp_path, capsys
):
    paths = hostile.write_files(tmp_path / "hostile")
    code, out, err = _run(container, capsys, *paths)
    assert code == 0 and _rejected(err) == [], err
    with container.sessions() as session:
        assert session.get(MomentRow, "HM-1").text == hostile.HOSTILE_TEXT
        assert session.get(CustomerRow, "H-2").name == hostile.HOSTILE_NAME
        assert hostile.HTML in session.get(MomentRow, "HM-1").text

    secret = "Confidential: the customer's bank account is 12345678."
    bad = tmp_path / "moments-bad.jsonl"
    rows = [
        # a bad date carrying escapes, with hostile text
        {"moment_id": "B1", "customer_id": "H-1", "occurred_at": hostile.TERMINAL_SEQUENCES[0]
         + "2026", "text": hostile.HOSTILE_TEXT + secret},
        # an enum value wrapped in colour codes
        {"moment_id": "B2", "customer_id": "H-1", "occurred_at": "2026-11-02",
         "channel": "\x1b[31mfax\x1b[0m", "text": secret},
        # an unknown customer whose id is an OSC-8 link
        {"moment_id": "B3", "customer_id": hostile.TERMINAL_SEQUENCES[2], "occurred_at": "2026-11-02",
         "text": secret},
        {"moment_id": "B4", "customer_id": "H-1", "occurred_at": "2026-11-02", "text": secret},
        # an id carrying a bell and an 8-bit CSI, given twice
        {"moment_id": "\x07x\x9b31m", "customer_id": "H-1", "occurred_at": "2026-11-02",
         "text": secret},
        {"moment_id": "\x07x\x9b31m", "customer_id": "H-1", "occurred_at": "2026-11-03",
         "text": hostile.HOSTILE_TEXT},
    ]  # fmt: skip
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    code, out, err = _run(container, capsys, bad)

    assert code == 0
    rejected = _rejected(err)
    assert [line.split(": ", 1)[0] for line in rejected] == [
        f"rejected {bad}:{n}" for n in (1, 2, 3, 6)
    ]
    assert not hostile.has_terminal_controls(err + out)
    for fragment in ("bank account", "Customer wrote", "<script>", "evil.example"):
        assert fragment not in err, fragment
    assert f"rejected {bad}:2: channel 'fax' is not one of" in err  # no half-kept escape
    assert f"rejected {bad}:3: unknown customer 'click'" in err
    assert f"rejected {bad}:6: duplicate moment id 'x' (first at {bad}:5)" in err
    assert "moments    inserted 2, updated 0, unchanged 0, rejected 4" in out


def test_a_quoted_value_in_a_reason_is_cut_to_a_few_dozen_characters(container, tmp_path, capsys):
    _customers(container, capsys, tmp_path)
    long_date = "2026-01-05 " + "and then some more words " * 20
    path = tmp_path / "moments.csv"
    path.write_text(HEADER + f"q1,acme,{long_date},call,Text\n", encoding="utf-8")
    code, _, err = _run(container, capsys, path)
    (line,) = _rejected(err)
    quoted = line.split("occurred_at ", 1)[1].split(" is not a date")[0]
    assert quoted.startswith("'2026-01-05 and then") and quoted.endswith("…'")
    assert len(quoted) == QUOTE_CHARS + 2


def test_an_unexpected_database_error_prints_its_type_never_the_row(container, tmp_path, capsys):
    _customers(container, capsys, tmp_path)
    secret = "Private note: the CFO's phone number is 555-0100."
    with container.sessions() as session, session.begin():
        session.execute(
            sa.text(
                "CREATE TRIGGER refuse_moment BEFORE INSERT ON moments "
                "WHEN NEW.moment_id = 'x1' "
                f"BEGIN SELECT RAISE(ABORT, '{secret.replace(chr(39), chr(39) * 2)}'); END"
            )
        )
    path = tmp_path / "moments.jsonl"
    path.write_text(
        json.dumps({"moment_id": "x1", "customer_id": "acme", "occurred_at": "2026-01-05",
                    "text": secret}) + "\n",
        encoding="utf-8",
    )  # fmt: skip

    code, out, err = _run(container, capsys, path)

    assert code == 1
    assert "stopped by an unexpected IntegrityError while ingesting" in err
    assert str(path) in err
    assert "555-0100" not in err + out and "CFO" not in err + out


def test_a_failing_listener_is_logged_by_type_without_the_record_text(container, caplog):
    from c360.domain import Customer

    def listener(summary, records):
        raise ValueError(f"cannot route {records[0].name}")

    container.ingest.add_listener(listener)
    with caplog.at_level(logging.DEBUG):
        summary = container.ingest.add_records([Customer("z1", "Zeta Secret Holdings")], "unit")
    assert summary.total("inserted") == 1
    failures = [r for r in caplog.records if "listener" in r.getMessage()]
    assert failures and "ValueError" in failures[0].getMessage()
    assert all("Zeta Secret" not in r.getMessage() for r in caplog.records)
    assert all(r.exc_info is None for r in failures)


# --- the guarantees that stay ----------------------------------------------------------------


def test_a_malformed_row_leaves_the_stored_record_and_a_rerun_changes_nothing(
    container, tmp_path, capsys
):
    _customers(container, capsys, tmp_path)
    good = tmp_path / "moments.csv"
    good.write_text(HEADER + _row(1) + _row(2), encoding="utf-8")
    _run(container, capsys, good)
    broken = tmp_path / "moments-fix.csv"
    broken.write_bytes(
        (HEADER + "m1,acme,9999-12-31T23:59:59-01:00,call,Changed\n").encode()
        + b"m2,acme,2026-01-06,call,Chang\xe9d\n"
        + b'm2,acme,2026-01-06,call,"Changed, with a quote that never closes\n'
    )
    for _ in range(2):
        code, out, err = _run(container, capsys, broken)
        assert code == 0 and len(_rejected(err)) == 3
        assert "inserted 0, updated 0, unchanged 0, rejected 3" in out
        with container.sessions() as session:
            assert session.get(MomentRow, "m1").text == TEXT
            assert session.get(MomentRow, "m2").text == TEXT
    code, out, _ = _run(container, capsys, good, "--json")
    assert json.loads(out)["unchanged"] == 2 and json.loads(out)["embedded"] == 0


def test_a_run_that_stops_part_way_exits_1_and_keeps_what_it_committed(container, tmp_path, capsys):
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nacme,ACME Corp.\n", encoding="utf-8")
    moments = tmp_path / "moments.json"  # a JSON array is parsed whole: broken JSON stops it
    moments.write_text(
        '[{"moment_id": "j1", "customer_id": "acme", "occurred_at": "2026-01-05",\n'
        '  "text": "cut off here\n',
        encoding="utf-8",
    )
    code, out, err = _run(container, capsys, customers, moments)
    assert code == 1
    assert (
        f"c360 ingest: stopped: {moments}:2: not valid JSON (Invalid control character at)" in err
    )
    assert "customers  inserted 1" in out
    with container.sessions() as session:
        assert session.get(CustomerRow, "acme") is not None


def test_sql_values_json_cannot_hold_are_kept_as_text(container, pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE accounts (id text, name text, external_ref uuid, opens_at time);"
                "INSERT INTO accounts VALUES ('u1', 'Uuid Ltd', "
                "'6f1c2a52-0c57-4f0e-9d3e-2f1f7f3f9b11', '09:30')"
            )
        )
    engine.dispose()
    summary = container.ingest.ingest_sql(
        pg_url, "SELECT id AS customer_id, name, external_ref, opens_at FROM accounts", "customers"
    )
    assert summary.completed and summary.rejected == 0
    with container.sessions() as session:
        assert session.get(CustomerRow, "u1").attributes == {
            "external_ref": "6f1c2a52-0c57-4f0e-9d3e-2f1f7f3f9b11",
            "opens_at": "09:30:00",
        }
