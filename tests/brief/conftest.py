"""The brief tests' store: the look-alike customers of ``fixtures.brief_records`` on the real
store, index and model, at the fixed test clock. One per test module; the read-only tests pass
log=False so it never changes."""

from __future__ import annotations

import pytest
from fixtures.brief_records import NOW, load

from c360.clock import FixedClock
from c360.container import Container
from c360.settings import Settings


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("brief"), _env_file=None)
    container = Container(settings, embeddings=embeddings, clock=FixedClock(NOW))
    load(container)
    return container
