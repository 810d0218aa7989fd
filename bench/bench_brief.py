"""Brief latency at scale: p50/p95/p99 of `ask` and `brief` on stores of 100k and 1M records.

What is measured: the REAL query path, ``container.briefs.ask(question)`` and
``container.briefs.brief(ref)`` with no LLM and ``log=False`` (customer resolution,
customer-scoped retrieval over the store's vectors, composition of the brief; the exchange
is not logged so the cached store stays unchanged between runs and the figure is the read
path a user waits for; ``--log`` measures with logging on, which adds a write and an embedding
per question and grows the cached store). The query embedding is computed by the real MiniLM
model inside that path. The baseline in the same run is Chroma's own filtered query
(``collection.query(where={"customer_id": ...})``) on the same store, which the foundation
issue measured at ~2 s p50 at 1M vectors.

How the stores are built: the demo company generator at scale (about 100 records per
customer: 1,000 customers for 100k, 10,000 for 1M), written with the store's own write
functions (``store.records.upsert_records``, chunk rows with their vector blobs) and the real
``VectorIndex.upsert`` into Chroma. Embedding a million texts would take about two hours on
two cores, so record vectors are synthetic: the real MiniLM embedding of the record's template
(its topic), plus a per-customer offset and noise, normalised. Customer records get their
real embeddings. Stores are cached under bench/.cache/ and reused; ``--rebuild`` forces.

    .venv/bin/python bench/bench_brief.py                 # both stores (builds what is missing)
    .venv/bin/python bench/bench_brief.py --sizes 100k    # one store
    nice -n 10 .venv/bin/python bench/bench_brief.py --sizes 1m --build-only   # build in background
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from c360.container import Container  # noqa: E402
from c360.domain import Asker, Customer  # noqa: E402
from c360.services.demo import DemoCompany  # noqa: E402
from c360.services.demo.vocabulary import (  # noqa: E402
    COMPLAINT_CATEGORIES,
    COMPLAINT_TEMPLATES,
    FEATURES,
    MOMENT_TEMPLATES,
)
from c360.settings import Settings  # noqa: E402

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


# --- questions --------------------------------------------------------------------------
def make_questions(container: Container, n: int, seed: int) -> list[dict]:
    """Questions derived mechanically from the store: each names (or points at) one customer
    and asks about something that customer's records talk about."""
    from sqlalchemy import func, select

    from store.models import ComplaintRow, CustomerRow

    rng = random.Random(seed)
    with container.sessions() as session:
        total = session.scalar(select(func.count()).select_from(CustomerRow))
        picks = sorted(rng.sample(range(total), min(n, total)))
        rows = []
        for offset in picks:
            row = session.execute(
                select(CustomerRow.customer_id, CustomerRow.name, CustomerRow.domain)
                .order_by(CustomerRow.customer_id)
                .offset(offset)
                .limit(1)
            ).one()
            category = session.scalar(
                select(ComplaintRow.category)
                .where(ComplaintRow.customer_id == row.customer_id)
                .limit(1)
            )
            rows.append((row.customer_id, row.name, row.domain, category))
    questions = []
    for i, (cid, name, domain, category) in enumerate(rows):
        shape = i % 6
        if shape == 0:
            q = {"op": "brief", "ref": name}
        elif shape == 1:
            q = {"op": "brief", "ref": cid}
        elif shape == 2:
            q = {"op": "ask", "ref": f"What open complaints does {name} have?"}
        elif shape == 3:
            q = {"op": "ask", "ref": f"Has {name} complained about {category or 'billing'} lately?"}
        elif shape == 4:
            q = {"op": "ask", "ref": f"What did {name} say about {rng.choice(FEATURES)}?"}
        else:
            q = {"op": "ask", "ref": f"How is the relationship with {domain} going?"}
        questions.append(q | {"customer_id": cid})
    rng.shuffle(questions)
    return questions


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p)) if values else float("nan")


def rss_mb() -> float:
    """This process's resident memory now (not the peak)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_store(
    size_name: str, info: dict, n_questions: int, n_baseline: int, with_log: bool
) -> dict:
    directory = store_dir(size_name)
    # Start-up as a web worker does it (bot.http.create_wsgi_app: warm=True): the store,
    # the model, the name and field indexes, one brief and one question per history shape.
    started, rss_start = time.perf_counter(), rss_mb()
    container = Container(settings_for(directory))
    container.embeddings.load()
    _ = container.engine
    rss_model = rss_mb()
    container.briefs.warm()
    startup_s, rss_warm = time.perf_counter() - started, rss_mb()
    names = container.briefs.resolver.names
    log(
        f"{size_name}: start-up {startup_s:.1f} s; RSS {rss_start:.0f} MB at start, "
        f"{rss_model:.0f} MB with the model and store open, {rss_warm:.0f} MB warm "
        f"({len(names.names):,} names indexed)"
    )
    asker = Asker(id="bench", name="Bench", channel="cli")
    briefs = container.briefs
    questions = make_questions(container, n_questions + 5, seed=SEED + 1)
    warmup, questions = questions[:5], questions[5:]
    for q in warmup:  # model load, SQLite and Chroma caches: not what a user waits for each time
        _call(briefs, q, asker, with_log)

    load_before = os.getloadavg()[0]
    latencies, embed_ms, resolved_right, ambiguous = [], [], 0, 0
    by_op: dict[str, list[float]] = {"ask": [], "brief": []}
    for q in questions:
        t0 = time.perf_counter()
        result = _call(briefs, q, asker, with_log)
        dt = (time.perf_counter() - t0) * 1000
        latencies.append(dt)
        by_op[q["op"]].append(dt)
        # The same text through the model alone (uncached), after the call so the call itself
        # was not served from the query cache: how much of the latency is the query embedding.
        t0 = time.perf_counter()
        container.embeddings.encode([q["ref"]])
        embed_ms.append((time.perf_counter() - t0) * 1000)
        data = result.to_dict()
        if data["customer"] and data["customer"]["customer_id"] == q["customer_id"]:
            resolved_right += 1
        elif not data["customer"] and len(data["candidates"]) > 1:
            ambiguous += 1

    # Baseline: Chroma's filtered query on the same store, query vectors precomputed.
    index, embeddings = container.index, container.embeddings
    base_q = questions[:n_baseline]
    vectors = [embeddings.encode_query(q["ref"]) for q in base_q]
    filtered, unfiltered = [], []
    for q, vec in zip(base_q, vectors, strict=True):
        t0 = time.perf_counter()
        index.collection.query(
            query_embeddings=[vec], n_results=10, where={"customer_id": q["customer_id"]}
        )
        filtered.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        index.collection.query(query_embeddings=[vec], n_results=10)
        unfiltered.append((time.perf_counter() - t0) * 1000)

    disk = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return {
        "store": size_name,
        "records": info["records"],
        "customers": info["customers"],
        "vectors": index.count(),
        "disk_mb": round(disk / 1e6),
        "questions": len(questions),
        "logging": with_log,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies),
        "ask_p95_ms": percentile(by_op["ask"], 95),
        "brief_p95_ms": percentile(by_op["brief"], 95),
        "query_embedding_p50_ms": percentile(embed_ms, 50),
        "query_embedding_p95_ms": percentile(embed_ms, 95),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "startup_s": round(startup_s, 2),
        "rss_model_mb": round(rss_model),
        "rss_warm_mb": round(rss_warm),
        "rss_end_mb": round(rss_mb()),
        "database": "postgresql" if SERVERS["database_url"] else "sqlite",
        "chroma": "server" if SERVERS["chroma_host"] else "embedded",
        "resolved_to_expected": resolved_right,
        "ambiguous": ambiguous,
        "baseline_questions": len(base_q),
        "chroma_filtered_p50_ms": percentile(filtered, 50),
        "chroma_filtered_p95_ms": percentile(filtered, 95),
        "chroma_unfiltered_p50_ms": percentile(unfiltered, 50),
    }


def _call(briefs, q: dict, asker: Asker, with_log: bool):
    if q["op"] == "brief":
        return briefs.brief(q["ref"], asker, log=with_log)
    return briefs.ask(q["ref"], asker, log=with_log)


def print_report(rows: list[dict]) -> None:
    print()
    print("Brief latency through the real query path (BriefService, no LLM, "
          f"{'logging on' if rows and rows[0]['logging'] else 'log=False'}); {os.cpu_count()} CPU(s)")  # fmt: skip
    header = (
        f"{'store':>6} {'records':>10} {'customers':>9} {'disk MB':>8} {'questions':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'ask p95':>8} {'brief p95':>9} "
        f"{'right':>6} {'ambig':>6} | {'chroma where p50':>16} {'p95':>8} {'unfiltered p50':>14}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['store']:>6} {r['records']:>10,} {r['customers']:>9,} {r['disk_mb']:>8,} {r['questions']:>9} "
            f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['ask_p95_ms']:>8.1f} {r['brief_p95_ms']:>9.1f} "
            f"{r['resolved_to_expected']:>6} {r['ambiguous']:>6} | {r['chroma_filtered_p50_ms']:>16.1f} "
            f"{r['chroma_filtered_p95_ms']:>8.1f} {r['chroma_unfiltered_p50_ms']:>14.1f}"
        )
    print()
    for r in rows:
        print(
            f"{r['store']}: query embedding alone (MiniLM, uncached) p50 {r['query_embedding_p50_ms']:.1f} ms, "
            f"p95 {r['query_embedding_p95_ms']:.1f} ms; 1-min load average {r['load_average'][0]} -> "
            f"{r['load_average'][1]} on {os.cpu_count()} CPUs"
            + (
                " (other processes shared the cores: figures are pessimistic)"
                if max(r["load_average"]) > (os.cpu_count() or 1)
                else ""
            )
        )
    for r in rows:
        print(
            f"{r['store']} ({r['database']} + Chroma {r['chroma']}): start-up {r['startup_s']} s "
            f"(store, model, name and field indexes, warm-up questions); RSS {r['rss_model_mb']} MB "
            f"with the model, {r['rss_warm_mb']} MB warm (indexes built), {r['rss_end_mb']} MB after the run"
        )
    print(
        "right = resolved to the customer the question was made from; ambig = answered with candidates."
    )
    print("Baseline columns: Chroma collection.query(where={'customer_id': ...}), k=10, same store, "
          "query vector precomputed (the path the design avoids).")  # fmt: skip
    for r in rows:
        if r["records"] >= 1_000_000:
            verdict = "meets" if r["p95_ms"] <= 300 else "MISSES"
            print(f"Goal p95 <= 300 ms at 1M: {verdict} ({r['p95_ms']:.0f} ms).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100k,1m", help="comma-separated store sizes (e.g. 100k,1m)"
    )
    parser.add_argument("--questions", type=int, default=200, help="timed questions per store")
    parser.add_argument(
        "--baseline-questions", type=int, default=30, help="Chroma filtered queries per store"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached stores")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or reuse) the stores and stop"
    )
    parser.add_argument(
        "--log", action="store_true", help="log every exchange as a moment (grows the cached store)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--database-url",
        help="build and time the store on this database (e.g. PostgreSQL) instead of SQLite; "
        "a build needs it empty",
    )
    parser.add_argument("--chroma-host", help="a Chroma server instead of the embedded index")
    parser.add_argument("--chroma-port", type=int, default=8000)
    args = parser.parse_args(argv)
    SERVERS.update(
        database_url=args.database_url, chroma_host=args.chroma_host, chroma_port=args.chroma_port
    )

    rows = []
    for size_name in [s.strip().lower() for s in args.sizes.split(",") if s.strip()]:
        info = build_store(size_name, parse_size(size_name), args.rebuild)
        if args.build_only:
            continue
        log(f"{size_name}: timing {args.questions} questions")
        rows.append(run_store(size_name, info, args.questions, args.baseline_questions, args.log))
    if rows:
        print_report(rows)
        out = args.json or CACHE / "brief-results.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=2))
        print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
