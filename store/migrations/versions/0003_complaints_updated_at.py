"""index complaints.updated_at: a running server picks up complaints another process ingested

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 18:20:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaints_updated_at", "complaints", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_complaints_updated_at", table_name="complaints")
