"""Ingest: raw rows or in-process records -> validated records -> store -> embeddings -> Chroma.

The pipeline works in batches. For each batch: validate (required fields, enums, known
customer, duplicate ids), compare content hashes with the store (one ``IN`` query per kind),
chunk the changed records, embed only texts whose hash has no stored vector, then write
records and chunk rows (``indexed=False``, tagged with the run) and tombstones for chunk ids
that went away (a record moved or shrank) in one transaction, upsert Chroma, delete the
tombstoned ids from Chroma, and mark the chunks indexed. Writing batch N overlaps with encoding
batch N+1 (one writer thread), because the model is the bottleneck and should never wait on
SQLite or Chroma.

Crashes. Every run is a row in ``ingest_runs`` (status, pid, host, heartbeat). A run starts by
repairing what dead runs left: their unindexed chunks go into Chroma and their tombstones out
of it, and the dead runs are recorded ``abandoned``. A run is dead when its process is gone
(same host: no such pid) or its heartbeat is older than ``HEARTBEAT_TIMEOUT`` (any host); a
live run's in-flight chunks are left to it. So after a SIGKILL at any point, the next ingest
(or ``c360 doctor --repair``) leaves the index equal to the store. A run that stops on an
error is recorded ``failed`` (or ``stopped`` when a source could not be read), never
``completed``.
"""

from c360.domain import Complaint, Customer, Moment
from c360.services.ingest.runs import (
    CRASH_POINTS,
    GLOBAL_INDEX_EXCLUDES,
    HEARTBEAT_SECONDS,
    HEARTBEAT_TIMEOUT,
    pid_alive,
    run_is_alive,
    this_host,
)
from c360.services.ingest.summary import PLURAL, RECENT_VECTORS, IngestSummary

__all__ = [
    "CRASH_POINTS",
    "GLOBAL_INDEX_EXCLUDES",
    "HEARTBEAT_SECONDS",
    "HEARTBEAT_TIMEOUT",
    "PLURAL",
    "RECENT_VECTORS",
    "Complaint",
    "Customer",
    "IngestService",
    "IngestSummary",
    "Moment",
    "pid_alive",
    "run_is_alive",
    "this_host",
]


def __getattr__(name: str):
    """``IngestService`` on first use: a process that reads sync results (``summary``) or run
    states (``runs``) never loads the pipeline and NumPy (`c360 ask`)."""
    if name == "IngestService":
        from c360.services.ingest.pipeline import IngestService

        return IngestService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
