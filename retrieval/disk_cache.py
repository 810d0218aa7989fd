"""Values kept on disk between processes (the name index, the field vocabulary's vectors): one
file per value, holding ``(key, value)``; a value is read back only under the key it was
written with, so whoever writes puts in the key everything the value depends on. Written with
``marshal`` (built-in types only; loading makes values and never runs code, unlike
``pickle``), to a temporary file renamed into place: a reader sees the old file or the new one,
never half of one. Every failure (no file, another key, a damaged file, a directory that cannot
be written) means "not kept": the caller builds the value as it would without a cache."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def read(path: Path, key: str) -> object | None:
    """The value written under ``key``, or None."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    with collector_paused():
        try:
            found, value = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
    return value if found == key else None


def write(path: Path, key: str, value: object) -> None:
    """Keep ``value`` under ``key``; nothing is kept (and nothing raised) when it cannot be."""
    path = Path(path)
    with contextlib.suppress(OSError, ValueError):
        data = marshal.dumps((key, value))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while many small containers are made: it would
    walk them again and again as they grow (the name index of 10,000 customers loads in 0.05 s
    with it paused, 0.12-0.3 s without). Nothing made from a file is a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
