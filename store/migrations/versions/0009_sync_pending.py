"""Live sources (issue 11): sync_pending lists what a source must read again once it can (the
comments of a ticket a sync rejected, read when the ticket becomes valid)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_pending",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("record_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_id"),
    )


def downgrade() -> None:
    op.drop_table("sync_pending")
