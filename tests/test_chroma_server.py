"""The vector index on a real Chroma server (`chroma run`), started by the test: the same
ingest code path as the embedded directory, selected by settings alone."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from child_processes import answers_ok, stop, wait_until_up

from c360.container import Container
from c360.domain import Complaint, Customer, Moment
from c360.settings import Settings

pytestmark = pytest.mark.chroma_server

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--path",
            str(tmp_path / "chroma-server"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        heartbeat = f"http://127.0.0.1:{port}/api/v2/heartbeat"
        problem = wait_until_up(proc, lambda: answers_ok(heartbeat, timeout=1), 60, interval=0.2)
        if problem:
            pytest.fail(
                f"chroma server did not start ({problem}): "
                f"{(tmp_path / 'chroma.log').read_text()[-2000:]}"
            )
        yield port
    finally:
        stop(proc, timeout=10)
        log.close()


def test_ingest_indexes_into_a_chroma_server_and_re_ingest_embeds_nothing(
    chroma_server, tmp_path, embeddings, clock
):
    embeddings.texts_embedded = 0
    settings = Settings(
        data_dir=tmp_path / "c360",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        _env_file=None,
    )
    container = Container(settings, embeddings=embeddings, clock=clock)
    at = datetime(2026, 2, 1, tzinfo=UTC)
    records = [
        Customer("acme", "ACME Corp."),
        Moment("m1", "acme", at, "Quarterly review: they want SSO."),
        Complaint("c1", "acme", at, "Login page times out."),
    ]
    first = container.ingest.add_records(records, "unit")
    assert first.total("inserted") == 3 and first.embedded == 3
    assert not (tmp_path / "c360" / "chroma").exists()  # nothing went to the embedded directory

    import chromadb

    remote = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    collection = remote.get_collection(settings.chroma_collection)
    assert collection.count() == 3
    got = collection.get(ids=["complaint:c1#0"], include=["metadatas", "documents"])
    assert (
        got["metadatas"][0]["customer_id"] == "acme"
        and got["documents"][0] == "Login page times out."
    )

    second = container.ingest.add_records(records, "unit")
    assert second.embedded == 0 and second.total("unchanged") == 3
    hits = container.index.query(embeddings.encode_query("quarterly review about SSO"), k=1)
    assert hits[0].record_id == "moment:m1"
