"""The SQL connector against the local PostgreSQL: a query's rows become records, a cursor
column makes the next run read only newer rows, and a password never reaches the output."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from c360.cli import build_parser
from c360.commands import ingest as ingest_command
from connectors.sql import SqlConnector, redact
from store.models import ComplaintRow, CustomerRow, SyncCursorRow

pytestmark = pytest.mark.postgres


@pytest.fixture
def crm_url(pg_url):
    """A small 'CRM' schema in the test database, with columns named the CRM's way."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS crm CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA crm"))
        conn.execute(
            sa.text(
                "CREATE TABLE crm.accounts (id text primary key, account_name text, tier text, updated_at timestamptz)"
            )
        )
        conn.execute(sa.text(
            "CREATE TABLE crm.cases (case_no integer primary key, account_id text, opened timestamptz, "
            "subject text, state text, updated_at timestamptz)"
        ))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO crm.accounts VALUES ('acme', 'ACME Corp.', 'gold', '2026-01-01T00:00:00Z'), "
            "('globex', 'Globex', 'silver', '2026-01-02T00:00:00Z')"
        ))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO crm.cases VALUES (1, 'acme', '2026-02-01T09:00:00Z', 'Login fails', 'open', '2026-02-01T09:00:00Z'), "
            "(2, 'globex', '2026-02-02T09:00:00Z', 'Invoice wrong', 'closed', '2026-02-02T09:00:00Z'), "
            "(3, 'ghost', '2026-02-03T09:00:00Z', 'Who am I', 'open', '2026-02-03T09:00:00Z')"
        ))  # fmt: skip
    engine.dispose()
    return pg_url


CASES_QUERY = (
    "SELECT case_no AS complaint_id, account_id AS customer_id, opened AS opened_at, subject AS text, "
    "state AS status, updated_at FROM crm.cases"
)


def test_query_rows_become_records_and_a_cursor_reads_only_newer_rows(container, crm_url):
    service = container.ingest
    customers = service.ingest_sql(
        crm_url,
        "SELECT id AS customer_id, account_name AS name, tier FROM crm.accounts",
        "customers",
    )
    assert customers.counts["customer"]["inserted"] == 2

    first = service.ingest_sql(
        crm_url, CASES_QUERY, "complaints", cursor_column="updated_at", source_key="crm-cases"
    )
    assert first.counts["complaint"]["inserted"] == 2
    assert [str(e) for e in first.errors] == [
        "sql:crm-cases:3: unknown customer 'ghost': ingest that customer first (customers file, or list it before moments/complaints) or fix customer_id"
    ]
    with container.sessions() as session:
        case = session.get(ComplaintRow, "1")
        assert case.status == "open" and case.text == "Login fails"
        assert session.get(CustomerRow, "acme").attributes == {"tier": "gold"}
        cursor = session.get(SyncCursorRow, "sql:crm-cases").cursor_value
    assert cursor.startswith("datetime:2026-02-03T09:00:00")

    engine = sa.create_engine(crm_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE crm.cases SET state = 'resolved', updated_at = '2026-03-01T00:00:00Z' WHERE case_no = 1"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO crm.cases VALUES (4, 'acme', '2026-03-02T00:00:00Z', 'Export slow', 'open', '2026-03-02T00:00:00Z')"
            )
        )
    engine.dispose()

    second = service.ingest_sql(
        crm_url, CASES_QUERY, "complaints", cursor_column="updated_at", source_key="crm-cases"
    )
    # Only the two changed rows were read: case 2 (unchanged) and 3 (rejected before) were not.
    assert second.counts["complaint"] == {
        "inserted": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert second.embedded == 1  # the status changed, the text did not: only the new case's text
    third = service.ingest_sql(
        crm_url, CASES_QUERY, "complaints", cursor_column="updated_at", source_key="crm-cases"
    )
    assert third.total("inserted") + third.total("updated") + third.total("unchanged") == 0


def test_cli_sql_source_never_prints_the_password(container, crm_url, capsys):
    url = make_url(crm_url).set(password="s3cret-pw")  # trust auth ignores it; the output must too
    secret_url = url.render_as_string(hide_password=False)
    args = build_parser().parse_args(
        ["ingest", "--sql", secret_url, "--query", "SELECT id AS customer_id, account_name AS name FROM crm.accounts",
         "--kind", "customers", "--json", "--no-progress"]
    )  # fmt: skip
    assert ingest_command.run(args, container) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["customers"]["inserted"] == 2
    bad = build_parser().parse_args(
        [
            "ingest",
            "--sql",
            secret_url,
            "--query",
            "SELECT nope FROM crm.missing",
            "--kind",
            "customers",
            "--no-progress",
        ]
    )
    assert ingest_command.run(bad, container) == 1
    out2 = capsys.readouterr()
    assert "query failed" in out2.err and "crm.missing" in out2.err
    assert "s3cret-pw" not in out.out + out.err + out2.out + out2.err
    assert "s3cret-pw" not in SqlConnector(secret_url, "SELECT 1", "customers").name
    assert "***" in redact(secret_url)


def test_yaml_source_file_ingests_several_sources_customers_first(
    container, crm_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("CRM_URL", crm_url)
    (tmp_path / "sources.yml").write_text(
        "sources:\n"
        "  - name: crm-cases\n"
        "    url: ${CRM_URL}\n"
        f"    query: \"{CASES_QUERY} WHERE account_id <> 'ghost'\"\n"
        "    kind: complaints\n"
        "    cursor_column: updated_at\n"
        "  - name: crm-accounts\n"
        "    url: ${CRM_URL}\n"
        "    query: SELECT id AS customer_id, account_name AS name FROM crm.accounts\n"
        "    kind: customers\n"
    )
    summary = container.ingest.ingest_sources(tmp_path / "sources.yml")
    assert summary.rejected == 0
    assert (
        summary.counts["customer"]["inserted"] == 2 and summary.counts["complaint"]["inserted"] == 2
    )
    assert summary.sources == ["sql:crm-accounts", "sql:crm-cases"]
