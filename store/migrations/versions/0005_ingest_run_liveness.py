"""Crash-safe indexing: ingest runs get a status, pid, host and heartbeat (a dead run's
unindexed chunks are repaired at once, not after a grace period); chunks remember the run that
wrote them; index_tombstones holds chunk ids whose vectors must leave Chroma

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="running")
        )
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure", sa.Text(), nullable=True))
    op.create_index("ix_ingest_runs_status", "ingest_runs", ["status"])
    with op.batch_alter_table("chunks") as batch:
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
    op.create_table(
        "index_tombstones",
        sa.Column("chunk_id", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chunk_id"),
    )
    # Runs recorded before this revision: finished ones completed (or stopped, as their summary
    # says); unfinished ones keep "running" with no pid and their start as the last heartbeat,
    # so the next ingest sees them dead and indexes what they left.
    bind = op.get_bind()
    runs = sa.table(
        "ingest_runs",
        sa.column("id", sa.Integer),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("summary", sa.JSON),
        sa.column("status", sa.String),
        sa.column("heartbeat_at", sa.DateTime(timezone=True)),
    )
    for run in bind.execute(sa.select(runs.c.id, runs.c.finished_at, runs.c.summary)).all():
        if run.finished_at is None:
            continue
        summary = run.summary if isinstance(run.summary, dict) else {}
        status = "stopped" if summary.get("completed") is False else "completed"
        bind.execute(sa.update(runs).where(runs.c.id == run.id).values(status=status))
    bind.execute(
        sa.update(runs).where(runs.c.finished_at.is_(None)).values(heartbeat_at=runs.c.started_at)
    )


def downgrade() -> None:
    op.drop_table("index_tombstones")
    with op.batch_alter_table("chunks") as batch:
        batch.drop_column("run_id")
    op.drop_index("ix_ingest_runs_status", table_name="ingest_runs")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("failure")
        batch.drop_column("heartbeat_at")
        batch.drop_column("host")
        batch.drop_column("pid")
        batch.drop_column("status")
