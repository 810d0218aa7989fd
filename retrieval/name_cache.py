"""The name index kept on disk between processes, so a `c360 ask` does not rebuild it from
every customer row at start (0.3 s at 10,000 customers, 16 s at 100,000; ``bench/README.md``).

One file per store (named by a digest of its URL, which may hold a password and is never
written), holding the index as built-in values (``NameIndex.state``) under a key: the digest
of every customer's id and content hash (``store.queries.customers_digest``: any customer
added, removed, renamed or given an alias changes it, whatever the writers' clocks), a digest
of the code that builds the index (the retrieval package's source and the US states it reads:
a changed rule is a changed index), and the Python and ``marshal`` versions. A file under
another key is ignored and replaced; so is a file that cannot be read. ``marshal`` rather
than ``pickle``: loading it makes values and never runs code; writes are atomic
(``retrieval/disk_cache.py``).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from functools import lru_cache
from pathlib import Path

from c360 import us_states
from retrieval import disk_cache, name_index
from retrieval.name_index import NameIndex

FORMAT = 1


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The source of the retrieval package and of the word lists it reads (US states): any
    change there may change how names are normalised, so the kept index is built again."""
    digest = hashlib.sha256()
    sources = sorted(Path(name_index.__file__).parent.glob("*.py"))
    for path in [*sources, Path(us_states.__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class NameIndexCache:
    def __init__(self, directory: Path, store_url: str) -> None:
        self._store = hashlib.sha256(store_url.encode()).hexdigest()
        self.path = Path(directory) / f"name-index-{self._store[:16]}.marshal"

    def key(self, fingerprint: object) -> str:
        parts = (FORMAT, marshal.version, sys.version_info[:2], code_digest(), self._store)
        return hashlib.sha256(repr((*parts, fingerprint)).encode()).hexdigest()

    def load(self, fingerprint: object) -> NameIndex | None:
        """The index kept for this fingerprint, or None (no file, another key, unreadable)."""
        state = disk_cache.read(self.path, self.key(fingerprint))
        if not isinstance(state, dict):
            return None
        with disk_cache.collector_paused():
            try:
                return NameIndex.from_state(state)
            except (KeyError, ValueError, TypeError):
                return None

    def save(self, fingerprint: object, index: NameIndex) -> None:
        """Keep ``index`` as built for ``fingerprint``; a read-only directory keeps nothing."""
        disk_cache.write(self.path, self.key(fingerprint), index.state())
