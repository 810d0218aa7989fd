"""Live sources (issue 11): person_links keeps which customer record lists each person of a
source (a HubSpot contact), so an archived, merged or moved contact leaves that record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_links",
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_person_links_customer_id", "person_links", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_person_links_customer_id", table_name="person_links")
    op.drop_table("person_links")
