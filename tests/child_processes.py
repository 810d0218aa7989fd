"""Servers started as child processes (``c360 serve``, a Chroma server) by tests and by
bench/bench_slack.py: wait until one answers, stop it without leaving it behind. (Imported by a
name no other test directory uses: tests/ is on the path through its conftest.)"""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Callable
from urllib.parse import urlparse


def answers_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether GET ``url`` (http, on this machine) answers 200 now."""
    parts = urlparse(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        conn.request("GET", parts.path or "/")
        return conn.getresponse().status == 200
    except OSError:
        return False


def wait_until_up(
    proc: subprocess.Popen, is_up: Callable[[], bool], timeout: float, interval: float = 0.3
) -> str | None:
    """None once ``is_up()``; else why it is not: the process exited, or ``timeout`` seconds
    went by."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            return f"the process exited with {proc.returncode}"
        if is_up():
            return None
        if time.monotonic() > deadline:
            return f"not up after {timeout:g} s"
        time.sleep(interval)


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate, wait ``timeout`` seconds, then kill."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
