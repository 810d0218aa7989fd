"""The stores bench_brief.py times: where each lives (bench/.cache, or PostgreSQL and a Chroma
server given on the command line) and how it is built (the demo generator at scale, synthetic
record vectors around each topic's real embedding; see bench_brief.py's docstring)."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from c360.container import Container
from c360.domain import Customer
from c360.services.demo import DemoCompany
from c360.services.demo.vocabulary import (
    COMPLAINT_CATEGORIES,
    COMPLAINT_TEMPLATES,
    MOMENT_TEMPLATES,
)
from c360.settings import Settings

CACHE = Path(__file__).resolve().parent / ".cache"
ANCHOR = date(2026, 11, 1)  # fixed, so a cached store is the same store whenever it was built
SEED = 11
RECORDS_PER_CUSTOMER = 100
MOMENTS_MEAN = 103.0  # gives ~100 records per customer with the generator's segment mix
BATCH = 10_000
FORMAT_VERSION = 1  # bump when the build changes, so stale caches are rebuilt


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


# Where the store lives: embedded (SQLite + a Chroma directory under bench/.cache) by default;
# --database-url / --chroma-host put it on PostgreSQL and a Chroma server (the scale-out path).
# Set only from the command line: a C360_DATABASE_URL or Chroma host in the environment must
# not send the benchmark (or its bulk build) to someone's real store.
SERVERS: dict[str, object] = {"database_url": None, "chroma_host": None, "chroma_port": 8000}


def store_tag(size_name: str) -> str:
    return size_name + ("-servers" if SERVERS["database_url"] or SERVERS["chroma_host"] else "")


def store_dir(size_name: str) -> Path:
    return CACHE / f"brief-{store_tag(size_name)}"


def settings_for(directory: Path) -> Settings:
    return Settings(
        data_dir=directory,
        database_url=SERVERS["database_url"],
        chroma_path=None,
        chroma_host=SERVERS["chroma_host"],
        chroma_port=SERVERS["chroma_port"],
        chroma_collection=f"bench-{directory.name}",
        llm=None,
        _env_file=None,
    )


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- build ------------------------------------------------------------------------------
def topic_texts() -> dict[str, str]:
    """One representative text per template topic: its real embedding is the topic centroid."""
    filler = {
        "contact": "Alex Morgan", "title": "CFO", "customer": "the customer", "product": "Lumen Insights",
        "feature": "scheduled reports", "competitor": "Datadash", "seats": "50", "pct": "20",
        "amount": "$12,000", "arr": "$250,000", "invoice": "INV-12345", "ticket": "TCK-1234",
        "date": "March 3", "month": "March", "region": "EMEA", "plan": "Growth", "vendor": "Lumen",
        "hours": "6", "weeks": "3", "secs": "40", "days": "7",
    }  # fmt: skip
    texts = {topic: text.format(**filler) for topic, _, _, _, text in MOMENT_TEMPLATES}
    for category in COMPLAINT_CATEGORIES:
        texts[f"complaint_{category.replace(' ', '_')}"] = COMPLAINT_TEMPLATES[category][0][
            0
        ].format(**filler)
    return texts


def build_store(size_name: str, n_records: int, rebuild: bool) -> dict:
    directory = store_dir(size_name)
    marker = directory / "built.json"
    if marker.exists() and not rebuild:
        info = json.loads(marker.read_text())
        if info.get("format") == FORMAT_VERSION and info.get("target_records") == n_records:
            log(f"{size_name}: reusing cached store at {directory} (built {info['built_at']})")
            return info
    lock = CACHE / f"brief-{store_tag(size_name)}.building"
    builder = _live_builder(lock)
    if builder:
        raise SystemExit(
            f"{size_name}: another process (pid {builder}) is building {directory}; wait for it "
            f"(its log is usually bench/.cache/build-{size_name}.log) or stop it, then run again"
        )
    if directory.exists():
        log(f"{size_name}: removing stale or partial store at {directory}")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    if SERVERS["database_url"] or SERVERS["chroma_host"]:
        _require_empty_servers(settings_for(directory))
    lock.write_text(str(os.getpid()))

    from sqlalchemy import insert

    from c360.services.ingest.pipeline import chunk_row
    from retrieval.chunking import chunk_record, record_origin, text_hash
    from store import records as store_records
    from store.models import ChunkRow

    started = time.perf_counter()
    settings = settings_for(directory)
    container = Container(settings)
    embeddings, index, sessions = container.embeddings, container.index, container.sessions
    topics = topic_texts()
    centroids = dict(zip(topics, embeddings.encode(list(topics.values())), strict=True))
    # a few spare customers so the generator never runs dry before n_records; it stops there
    customers = max(10, n_records * 103 // (100 * RECORDS_PER_CUSTOMER))
    company = DemoCompany(
        customers=customers, seed=SEED, today=ANCHOR, moments_per_customer=MOMENTS_MEAN
    )
    rng = np.random.default_rng(SEED)
    customer_offsets: dict[str, np.ndarray] = {}
    now = datetime.now(UTC)
    source = f"bench:demo-company(seed={SEED},customers={customers})"
    log(
        f"{size_name}: building {n_records:,} records over {customers:,} customers into {directory}"
    )

    def flush(batch: list) -> None:
        chunks, vectors, origins = [], [], []
        customer_chunks: list[int] = []
        for generated in batch:
            record = generated.record
            for chunk in chunk_record(record, settings.chunk_words, settings.chunk_overlap_words):
                chunks.append(chunk)
                origins.append(record_origin(record))
                if isinstance(record, Customer):
                    customer_chunks.append(len(vectors))
                    vectors.append(None)
                    continue
                offset = customer_offsets.get(record.customer_id)
                if offset is None:
                    offset = rng.standard_normal(384).astype(np.float32) / np.sqrt(384)
                    customer_offsets[record.customer_id] = offset
                noise = rng.standard_normal(384).astype(np.float32) / np.sqrt(384)
                vec = centroids[generated.topic] + 0.35 * offset + 0.45 * noise
                vectors.append(vec / np.linalg.norm(vec))
        if customer_chunks:  # customer records get real embeddings (resolution by description)
            real = embeddings.encode([chunks[i].text for i in customer_chunks])
            for i, vec in zip(customer_chunks, real, strict=True):
                vectors[i] = vec
        matrix = np.stack(vectors).astype(np.float32)
        by_kind: dict[str, list] = {"customer": [], "moment": [], "complaint": []}
        for generated in batch:
            by_kind[generated.record.kind].append((generated.record, source))
        with sessions() as session, session.begin():
            for kind in ("customer", "moment", "complaint"):  # customers first (foreign keys)
                store_records.upsert_records(session, kind, by_kind[kind], [], now)
            session.execute(
                insert(ChunkRow),
                [
                    chunk_row(c, origin, text_hash(c.text), matrix[i])
                    for i, (c, origin) in enumerate(zip(chunks, origins, strict=True))
                ],
            )
        index.upsert(chunks, matrix, origins)
        with sessions() as session, session.begin():
            store_records.mark_indexed(session, [c.chunk_id for c in chunks])

    done = 0
    batch: list = []
    for generated in company.records():
        batch.append(generated)
        done += 1
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
            elapsed = time.perf_counter() - started
            rate = done / elapsed
            log(
                f"{size_name}: {done:,}/{n_records:,} records, {rate:,.0f}/s, ETA {(n_records - done) / rate / 60:.1f} min"
            )
        if done >= n_records:
            break
    if batch:
        flush(batch)
    info = {
        "format": FORMAT_VERSION,
        "target_records": n_records,
        "records": done,
        "customers": len(customer_offsets) or customers,
        "chunks": index.count(),
        "build_seconds": round(time.perf_counter() - started, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "anchor": ANCHOR.isoformat(),
        "seed": SEED,
        "vectors": "synthetic for moments and complaints (topic centroid from real MiniLM + customer offset + noise); real MiniLM for customers",
    }
    marker.write_text(json.dumps(info, indent=2))
    lock.unlink(missing_ok=True)
    log(f"{size_name}: built in {info['build_seconds'] / 60:.1f} min ({info['chunks']:,} vectors)")
    return info


def _require_empty_servers(settings: Settings) -> None:
    """A build on PostgreSQL / a Chroma server writes into what it is given: refuse one that
    already holds records (give a new database, or drop the collection), never mix two."""
    from sqlalchemy import func, select

    from store.models import CustomerRow

    container = Container(settings)
    with container.sessions() as session:
        customers = session.scalar(select(func.count()).select_from(CustomerRow))
    vectors = container.index.count()
    if customers or vectors:
        raise SystemExit(
            f"the servers already hold {customers} customers / {vectors} vectors in "
            f"collection {settings.chroma_collection!r}: build into an empty database and "
            "collection (createdb a new one; chroma: delete the collection)"
        )


def _live_builder(lock: Path) -> int | None:
    """The pid in a build lock file, if that process is still alive (a crashed build's lock
    is ignored: its partial store is rebuilt)."""
    try:
        pid = int(lock.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid if pid != os.getpid() else None
