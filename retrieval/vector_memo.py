"""The vectors of a small vocabulary (the field values an issue phrase is compared with) kept
on disk between processes, under the identity of the model that made them.

A store of CFPB complaints names ~290 products and issues; embedding them all took 1.15 s of
CPU in every `c360 ask` that compares an issue phrase with them (2 busy cores, 2026-12-07),
more than the rest of the answer. Each text's vector is kept the first time it is embedded
(in the batch the caller asked for, so later processes get exactly the first one's vectors);
a text not yet kept is embedded and added. The key is the model's engine and the hash of its
files (``MiniLMEmbeddings.identity``): another model, or the other engine, never reads these
vectors. Format and atomic writes: ``retrieval/disk_cache.py``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval import disk_cache

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1


class VectorMemo:
    """``model_identity`` is asked for on first use (it stats the model's files): a process
    that never compares an issue phrase never pays for it."""

    def __init__(self, directory: Path, model_identity: Callable[[], str]) -> None:
        self.directory = Path(directory)
        self.model_identity = model_identity
        self._known: dict[str, bytes] | None = None
        self._lock = threading.Lock()  # a server's request threads may add values at once

    @cached_property
    def key(self) -> str:
        return hashlib.sha256(f"{FORMAT}\0{self.model_identity()}".encode()).hexdigest()

    @property
    def path(self) -> Path:
        return self.directory / f"vectors-{self.key[:16]}.marshal"

    def encode(self, embeddings, texts: list[str]) -> np.ndarray:
        """One float32 row per text, in order: kept rows read, the others embedded (in one
        call, as given) and kept."""
        import numpy as np

        with self._lock:
            try:
                known = self._load()
            except OSError:  # the model's files cannot be read here: embed as without a memo
                return np.asarray(embeddings.encode(texts), dtype=np.float32)
            missing = [t for t in texts if t not in known]
            if missing:
                vectors = np.asarray(embeddings.encode(missing), dtype=np.float32)
                if known and len(next(iter(known.values()))) != vectors[0].nbytes:
                    known.clear()  # rows of another size: not this model's after all
                    missing, vectors = texts, np.asarray(embeddings.encode(texts), np.float32)
                known.update(zip(missing, (v.tobytes() for v in vectors), strict=True))
                disk_cache.write(self.path, self.key, known)
            return np.stack([np.frombuffer(known[t], dtype=np.float32) for t in texts])

    def _load(self) -> dict[str, bytes]:
        if self._known is None:
            found = disk_cache.read(self.path, self.key)
            valid = isinstance(found, dict) and all(
                isinstance(t, str) and isinstance(v, bytes) and v and len(v) % 4 == 0
                for t, v in found.items()
            )
            sizes = {len(v) for v in found.values()} if valid else set()
            self._known = dict(found) if valid and len(sizes) <= 1 else {}
        return self._known
