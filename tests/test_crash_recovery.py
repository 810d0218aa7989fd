"""Crash safety of `c360 ingest`, end to end: a real `c360 ingest` process is killed with SIGKILL
at a chosen point of a chosen batch (before its commit, between its commit and Chroma, halfway
through its Chroma upsert, after Chroma but before its chunks are marked indexed), ten times per
backend, on one store whose data changes between kills (records move to another customer,
shrink, grow, appear). After each kill, one ordinary re-run must leave `c360 doctor --json` all
zero and the store equal to the data; at the end every chunk is in the global index with the
store's vector and customer (read by id), and a brief of every customer cites its records.

The kill points are the test-only hook ``C360_TEST_CRASH_AT=point:N`` (inert unless set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from c360.domain import Asker
from retrieval.chunking import split_words

# Twenty `c360 ingest` processes and ten `c360 doctor` per backend: minutes on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

C360 = str(Path(sys.executable).parent / "c360")
BATCH = 24
CHUNK_WORDS = 12
OVERLAP = 3
CUSTOMERS = [
    ("c00", "Northwind Traders"),
    ("c01", "Globex Corporation"),
    ("c02", "Initech Software"),
    ("c03", "Umbrella Logistics"),
    ("c04", "Stark Fabrication"),
    ("c05", "Wayne Shipping"),
    ("c06", "Acme Anvils"),
    ("c07", "Hooli Search"),
    ("c08", "Vandelay Imports"),
    ("c09", "Soylent Foods"),
    ("c10", "Tyrell Robotics"),
    ("c11", "Cyberdyne Systems"),
]
TOPICS = [
    "invoice", "renewal", "outage", "onboarding", "pricing", "security review",
    "data export", "single sign-on", "latency", "support ticket", "contract", "training",
]  # fmt: skip
# (point, batch): batch 1 is the customers file, so the kills fall on moment batches 2..11.
KILLS = [
    ("after_commit", 3),
    ("before_commit", 2),
    ("mid_index", 4),
    ("after_index", 5),
    ("after_commit", 6),
    ("before_commit", 7),
    ("mid_index", 8),
    ("after_commit", 9),
    ("after_index", 10),
    ("mid_index", 11),
]
MOMENTS = 240
FAULTS = ("missing_vectors", "orphan_vectors", "stale_vectors", "unfinished_runs")


def _moments(version: int) -> dict[str, dict]:
    """The moments file at ``version``: every version moves 1 in 13 moments to the next
    customer, shrinks long ones to one chunk and grows short ones to three (1 in 13 each), and
    adds 4; every batch of 24 holds some of these changes."""
    out = {}
    for i in range(MOMENTS + 4 * version):
        customer = i % len(CUSTOMERS)
        long_text = i % 4 == 0
        for v in range(1, version + 1):
            if (i + v) % 13 == 0:
                customer = (customer + 1) % len(CUSTOMERS)
            if (i + 2 * v) % 13 == 0 and long_text:
                long_text = False
            elif (i + 3 * v) % 13 == 0 and not long_text:
                long_text = True
        topic = TOPICS[i % len(TOPICS)]
        words = f"Moment {i} call about the {topic} for account {customer} with note {i * 31}."
        if long_text:
            words += (
                f" Timeline {i} reviewed for the {topic} and plan {i * 7} was asked by owner"
                f" {i * 11} this week."
            )
        out[f"m{i:03d}"] = {
            "moment_id": f"m{i:03d}",
            "customer_id": CUSTOMERS[customer][0],
            "occurred_at": f"2026-0{1 + i % 9}-{1 + i % 27:02d}T10:00:00Z",
            "channel": "call",
            "text": words,
        }
    return out


def _write_data(folder: Path, version: int) -> dict[str, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.jsonl").write_text(
        "".join(json.dumps({"customer_id": c, "name": n}) + "\n" for c, n in CUSTOMERS)
    )
    moments = _moments(version)
    (folder / "moments.jsonl").write_text("".join(json.dumps(m) + "\n" for m in moments.values()))
    return moments


def _env(data_dir: Path, database_url: str | None, crash_at: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        C360_DATA_DIR=str(data_dir),
        C360_INGEST_BATCH=str(BATCH),
        C360_CHUNK_WORDS=str(CHUNK_WORDS),
        C360_CHUNK_OVERLAP_WORDS=str(OVERLAP),
    )
    if database_url:
        env["C360_DATABASE_URL"] = database_url
    if crash_at:
        env["C360_TEST_CRASH_AT"] = crash_at
    return env


def _c360(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [C360, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _store_state(url: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT status FROM ingest_runs ORDER BY id")).all()
            pending = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM chunks WHERE NOT indexed)"
                    " + (SELECT count(*) FROM index_tombstones)"
                )
            ).scalar_one()
            moments = {
                mid: (customer, text)
                for mid, customer, text in conn.execute(
                    sa.text("SELECT moment_id, customer_id, text FROM moments")
                )
            }
            chunks: dict[str, set[tuple[str, str]]] = {}
            for cid, rid, customer in conn.execute(
                sa.text("SELECT chunk_id, record_id, customer_id FROM chunks")
            ):
                chunks.setdefault(rid, set()).add((cid, customer))
    finally:
        engine.dispose()
    return [r[0] for r in runs], pending, moments, chunks


def _expected_chunks(moment: dict) -> set[tuple[str, str]]:
    pieces = split_words(moment["text"], CHUNK_WORDS, OVERLAP)
    rid = f"moment:{moment['moment_id']}"
    return {(f"{rid}#{n}", moment["customer_id"]) for n in range(len(pieces))}


def _kill_and_recover(tmp_path: Path, database_url: str | None, embeddings) -> None:
    data_dir = tmp_path / "c360"
    url = database_url or f"sqlite:///{(data_dir / 'c360.db').resolve()}"
    files = tmp_path / "data"
    shrunk = moved = 0
    previous: dict[str, dict] = {}
    for version, (point, batch) in enumerate(KILLS):
        moments = _write_data(files, version)
        moved += sum(
            1
            for k, m in moments.items()
            if k in previous and m["customer_id"] != previous[k]["customer_id"]
        )
        shrunk += sum(
            1
            for k, m in moments.items()
            if k in previous and len(_expected_chunks(m)) < len(_expected_chunks(previous[k]))
        )
        previous = moments
        paths = [str(files / "customers.jsonl"), str(files / "moments.jsonl")]

        killed = _c360(_env(data_dir, database_url, f"{point}:{batch}"), "ingest", *paths)
        assert killed.returncode == -9, (point, batch, killed.returncode, killed.stderr[-2000:])
        runs, pending, _, _ = _store_state(url)
        assert runs[-1] == "running"  # killed: it never said it finished
        if point != "before_commit":  # the batch committed, its index work is half done
            assert pending > 0, (point, batch)

        rerun = _c360(_env(data_dir, database_url), "ingest", "--json", *paths)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert json.loads(rerun.stdout)["completed"] is True
        doctor = _c360(_env(data_dir, database_url), "doctor", "--json")
        report = json.loads(doctor.stdout)
        faults = {k: report[k] for k in FAULTS}
        assert faults == dict.fromkeys(FAULTS, 0), (point, batch, report)
        assert doctor.returncode == 0 and report["store_chunks"] == report["index_vectors"]

        runs, pending, stored, chunks = _store_state(url)
        assert pending == 0
        assert runs[-2:] == ["abandoned", "completed"] and "running" not in runs
        assert stored == {k: (m["customer_id"], m["text"]) for k, m in moments.items()}
        for m in moments.values():
            assert chunks[f"moment:{m['moment_id']}"] == _expected_chunks(m)
    assert moved >= 30 and shrunk >= 20  # the kills really met moves and shrinks

    # Every record answerable: found by its own vector under its customer; briefs cite it.
    from c360.container import Container
    from c360.settings import Settings

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        chunk_words=CHUNK_WORDS,
        chunk_overlap_words=OVERLAP,
        _env_file=None,
    )
    container = Container(settings, embeddings=embeddings)
    with container.sessions() as session:
        rows = session.execute(
            sa.text("SELECT chunk_id, customer_id, embedding FROM chunks ORDER BY chunk_id")
        ).all()
    assert container.index.count() == len(rows)
    # Every chunk is in the index with the store's vector and customer. (Compared by id: a
    # nearest-neighbour query is approximate (HNSW), and these texts differ only in their
    # numbers, so a record's own vector is not always among its top hits.)
    stored = {
        cid: (customer, np.frombuffer(blob, dtype=np.float32)) for cid, customer, blob in rows
    }
    indexed = container.index.collection.get(ids=list(stored), include=["embeddings", "metadatas"])
    assert sorted(indexed["ids"]) == sorted(stored)
    for cid, vector, meta in zip(
        indexed["ids"], indexed["embeddings"], indexed["metadatas"], strict=True
    ):
        assert meta["customer_id"] == stored[cid][0], cid
        assert np.allclose(np.asarray(vector, dtype=np.float32), stored[cid][1], atol=1e-6), cid
    for customer_id, _name in CUSTOMERS:
        own = {k for k, m in previous.items() if m["customer_id"] == customer_id}
        brief = container.briefs.brief(customer_id, Asker("U-T", "Test"), log=False)
        assert {c.customer_id for c in brief.citations} == {customer_id}
        cited = {c.record_id.split(":", 1)[1] for c in brief.citations if c.kind == "moment"}
        assert cited and cited <= own, (customer_id, cited - own)


def test_sigkill_at_every_point_then_one_rerun_leaves_the_sqlite_index_equal_to_the_store(
    tmp_path, embeddings
):
    _kill_and_recover(tmp_path, None, embeddings)


@pytest.mark.postgres
def test_sigkill_at_every_point_then_one_rerun_leaves_the_postgres_index_equal_to_the_store(
    tmp_path, pg_url, embeddings
):
    _kill_and_recover(tmp_path, pg_url, embeddings)
