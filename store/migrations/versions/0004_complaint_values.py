"""complaint_values (an inverted index of complaint field values), two complaint indexes and
one moment index: a brief of a customer with thousands of records reads counts and matches
from indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 19:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copy of c360.domain.complaint_field_values as of this revision (a migration must not
# change meaning when the application code does).
_FIELDS = ("issue", "sub_issue", "sub_product", "state", "submitted_via", "tags")
_VALUE_MAX = 512
_BATCH = 5000


def _values(category, attributes):
    pairs = [("category", category)] + [(n, (attributes or {}).get(n)) for n in _FIELDS]
    for name, value in pairs:
        if value in (None, "") or isinstance(value, (bool, list, dict)):
            continue
        if len(str(value)) <= _VALUE_MAX:
            yield name, str(value)


def upgrade() -> None:
    op.create_table(
        "complaint_values",
        sa.Column("complaint_id", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.complaint_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("complaint_id", "field"),
    )
    op.create_index(
        "ix_complaint_values_lookup",
        "complaint_values",
        ["customer_id", "field", "value", "opened_at", "complaint_id"],
    )
    op.create_index(
        "ix_complaints_customer_category",
        "complaints",
        ["customer_id", "category", "opened_at", "status"],
    )
    op.create_index(
        "ix_complaints_customer_status", "complaints", ["customer_id", "status", "opened_at"]
    )
    op.create_index(
        "ix_moments_customer_origin_time", "moments", ["customer_id", "origin", "occurred_at"]
    )
    with op.batch_alter_table("moments") as batch:
        batch.add_column(sa.Column("complaint_id", sa.String(length=255), nullable=True))
    op.create_index("ix_moments_complaint_id", "moments", ["complaint_id"])
    # Backfill from what is stored, in batches.
    bind = op.get_bind()
    complaints = sa.table(
        "complaints",
        sa.column("complaint_id", sa.String),
        sa.column("customer_id", sa.String),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("category", sa.String),
        sa.column("attributes", sa.JSON),
    )
    values = sa.table(
        "complaint_values",
        sa.column("complaint_id", sa.String),
        sa.column("field", sa.String),
        sa.column("customer_id", sa.String),
        sa.column("value", sa.String),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    # moments.complaint_id from meta["complaint_id"], for the moments that have one.
    moments = sa.table(
        "moments",
        sa.column("moment_id", sa.String),
        sa.column("meta", sa.JSON),
        sa.column("complaint_id", sa.String),
    )
    for rows in _batches(bind, sa.select(moments.c.moment_id, moments.c.meta), moments.c.moment_id):
        linked = [
            {"m": r.moment_id, "c": str(r.meta["complaint_id"])}
            for r in rows
            if isinstance(r.meta, dict) and r.meta.get("complaint_id") not in (None, "")
        ]
        if linked:
            bind.execute(
                sa.update(moments)
                .where(moments.c.moment_id == sa.bindparam("m"))
                .values(complaint_id=sa.bindparam("c")),
                linked,
            )
    # complaint_values from the complaints already stored.
    for rows in _batches(bind, sa.select(complaints), complaints.c.complaint_id):
        out = [
            {
                "complaint_id": r.complaint_id,
                "field": name,
                "customer_id": r.customer_id,
                "value": value,
                "opened_at": r.opened_at,
            }
            for r in rows
            for name, value in _values(r.category, r.attributes)
        ]
        if out:
            bind.execute(sa.insert(values), out)


def _batches(bind, stmt, key):
    """The rows of ``stmt`` in batches of ``_BATCH``, in ``key`` order (keyset paging: a store
    may hold millions of rows)."""
    after = ""
    while True:
        rows = bind.execute(stmt.where(key > after).order_by(key).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        after = getattr(rows[-1], key.name)


def downgrade() -> None:
    op.drop_index("ix_moments_complaint_id", table_name="moments")
    with op.batch_alter_table("moments") as batch:
        batch.drop_column("complaint_id")
    op.drop_index("ix_moments_customer_origin_time", table_name="moments")
    op.drop_index("ix_complaints_customer_status", table_name="complaints")
    op.drop_index("ix_complaints_customer_category", table_name="complaints")
    op.drop_index("ix_complaint_values_lookup", table_name="complaint_values")
    op.drop_table("complaint_values")
