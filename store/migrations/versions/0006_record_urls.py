"""Records carry an optional ``url``: where a person opens the record (a CRM page, a ticket, a
Slack message's permalink), so a brief's citations can link to it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("customers", "moments", "complaints")


# Plain ADD/DROP COLUMN, no batch copy: SQLite (3.35+) and PostgreSQL both alter in place, and
# a batch copy of `customers` would drop a table other tables' foreign keys point at.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("url", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): the batch mode would copy and
    # drop `customers`, which foreign keys from moments and complaints forbid.
    for table in TABLES:
        op.drop_column(table, "url")
