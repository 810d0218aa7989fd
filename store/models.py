"""SQLAlchemy tables. Changing one means adding an Alembic revision in store/migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class _Ingested:
    """The bookkeeping columns every ingested record table ends with: where the record came
    from, its content hash (a re-ingest with the same hash changes nothing), and when."""

    source: Mapped[str | None] = mapped_column(String(1024), sort_order=100)
    content_hash: Mapped[str] = mapped_column(String(64), sort_order=100)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), sort_order=100)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), sort_order=100)


class CustomerRow(_Ingested, Base):
    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    domain: Mapped[str | None] = mapped_column(String(255))
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    segment: Mapped[str | None] = mapped_column(String(255))
    plan: Mapped[str | None] = mapped_column(String(255))
    arr: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(2048))  # where a person opens the record


class MomentRow(_Ingested, Base):
    __tablename__ = "moments"
    __table_args__ = (
        Index("ix_moments_customer_time", "customer_id", "occurred_at"),
        # A customer's logged exchanges (a brief's "recent questions") without its data moments.
        Index("ix_moments_customer_origin_time", "customer_id", "origin", "occurred_at"),
        Index("ix_moments_complaint_id", "complaint_id"),
    )

    moment_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin: Mapped[str] = mapped_column(String(32), default="data")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(2048))  # the message itself (a permalink)
    # meta["complaint_id"] as a column: the complaint this moment is about (a company's
    # response), so a brief finds a complaint's responses by index. Written from meta.
    complaint_id: Mapped[str | None] = mapped_column(String(255))


class ComplaintRow(_Ingested, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_customer_time", "customer_id", "opened_at"),
        Index("ix_complaints_updated_at", "updated_at"),  # field-index refresh (briefs)
        # A brief's counts by category and a theme's newest complaints read this index alone.
        Index("ix_complaints_customer_category", "customer_id", "category", "opened_at", "status"),
        # A customer's open complaints, oldest first, without reading its closed ones.
        Index("ix_complaints_customer_status", "customer_id", "status", "opened_at"),
    )

    complaint_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(2048))  # where a person opens the record


class ComplaintValueRow(Base):
    """One matchable field value of a complaint (``c360.domain.complaint_field_values``): an
    inverted index in the database, so the complaints a question names by product, issue,
    state or channel are found by index range, not by reading every complaint of a customer
    that has thousands. Rewritten with its complaint."""

    __tablename__ = "complaint_values"
    __table_args__ = (
        # Covering: a lookup reads the index alone (complaint_id is not in a rowid index).
        Index(
            "ix_complaint_values_lookup",
            "customer_id",
            "field",
            "value",
            "opened_at",
            "complaint_id",
        ),
    )

    complaint_id: Mapped[str] = mapped_column(
        ForeignKey("complaints.complaint_id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(512))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChunkRow(Base):
    """An embedded piece of a record. The vector is kept here too (float32 bytes), so a
    customer-scoped search ranks that customer's chunks without Chroma's slow filtered query,
    and the Chroma index can be rebuilt from the store without embedding again."""

    __tablename__ = "chunks"

    chunk_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(300), index=True)
    customer_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(32), default="data")
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # The ingest run that wrote this row: while that run is alive its unindexed chunks are its
    # own work in flight; once it is dead (killed, crashed) any run indexes them at once.
    run_id: Mapped[int | None] = mapped_column(Integer)


class IndexTombstoneRow(Base):
    """A chunk id removed from the store (its record moved, shrank or was re-chunked) whose
    vector must leave Chroma too. Written in the transaction that removes the chunk row and
    deleted once Chroma has dropped the vector, so a crash in between cannot leave an orphan:
    the next run (or `c360 doctor --repair`) applies what is left."""

    __tablename__ = "index_tombstones"

    chunk_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncCursorRow(Base):
    """Where an incremental source left off (the SQL connector's 'changes since')."""

    __tablename__ = "sync_cursors"

    source_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    cursor_value: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncSourceRow(Base):
    """One live source of a sources file (``c360 sync``): where it left off and how it went.

    ``cursor`` is written in the same transaction as the batch it covers, so after a crash the
    next run starts after the last committed batch and re-reads at most the one in flight."""

    __tablename__ = "sync_sources"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text)
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerLinkRow(Base):
    """A source's own customer id that names another c360 customer: the same company in the
    CRM and the helpdesk (matched by domain or external id), or a CRM company merged into
    another. Records of ``alias_id`` are written under ``customer_id``."""

    __tablename__ = "customer_links"

    alias_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(32))  # domain | external_id | merged
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonLinkRow(Base):
    """A person of a source (a HubSpot contact) and the customer record that lists them: the
    line and e-mail it added there, so the person leaves that record when the source archives
    or merges them or moves them to another company."""

    __tablename__ = "person_links"

    person_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # hs-contact-31
    customer_id: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str | None] = mapped_column(String(255))
    line: Mapped[str] = mapped_column(Text)  # "Carla Diaz <carla@acme.com> (CFO)"
    email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncPendingRow(Base):
    """A record a live source must read again once it can: the comments of a ticket that a
    sync rejected (they were skipped; the comment stream does not bring them again)."""

    __tablename__ = "sync_pending"

    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # complaint id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProcessedEventRow(Base):
    """Slack event/retry dedupe that holds across processes: inserting an id twice fails."""

    __tablename__ = "processed_events"

    event_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IngestRunRow(Base):
    """One ingest run and its counts, for `c360 doctor` and operators.

    ``status``: running -> completed (every row read), stopped (a source could not be read),
    failed (an unexpected error; ``failure`` says which), or abandoned (the process died while
    running; a later run or `c360 doctor --repair` finished its indexing). A ``running`` row is
    alive while its process is: same host -> its ``pid`` exists; any host -> its
    ``heartbeat_at`` is recent (see c360.services.ingest.run_is_alive)."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str | None] = mapped_column(Text)


# --- ownership (alerts, their events, the Slack outbox) ---------------------------------
class AlertRow(Base):
    """A moment (or complaint) that needs an owner. One row per triggering record. Timers are
    columns (``escalate_due_at``, ``remind_due_at``), so they survive a restart; a claim is a
    conditional UPDATE on ``owner_id IS NULL``."""

    __tablename__ = "ownership_alerts"

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(300), unique=True)
    customer_id: Mapped[str] = mapped_column(String(255), index=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"rule", "reason"}]
    summary: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | owned | resolved
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_name: Mapped[str | None] = mapped_column(String(255))
    owner_team: Mapped[str | None] = mapped_column(String(128))
    owned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_owned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_owner_team: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    snoozed_by: Mapped[str | None] = mapped_column(String(64))
    escalate_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    remind_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertEventRow(Base):
    """Every change to an alert: who, what, when (created, posted, claimed, assigned, ...)."""

    __tablename__ = "ownership_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """A Slack message to send, recorded before it is sent under a unique ``dedupe_key``.
    pending -> sending (leased by one worker, attempt counted) -> sent (channel/ts kept). A
    row found in ``sending`` after its lease ran out may have reached Slack already: the
    worker looks for the key in the channel's message metadata before sending again."""

    __tablename__ = "ownership_outbox"

    dedupe_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))  # post_alert | escalate | remind | update | dm
    target: Mapped[str | None] = mapped_column(String(64))  # channel or user id
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
