"""`c360` console script: parses arguments and hands them to a command module."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys

from c360 import __version__
from c360.commands import COMMAND_MODULES

# Commands whose process gives one answer and ends as soon as it is printed: they start no
# thread that outlives them and commit what they write (the exchange moment) before
# returning. Such a process leaves without tearing the interpreter down (freeing every module,
# the model's session and the store's connections: 0.15-0.2 s of CPU, a sixth of an answer),
# which the operating system does at once, and starts its model for the query or two it
# embeds; ``bench/bench_cli.py``.
QUICK_EXIT = frozenset({"ask", "brief"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="c360", description="Customer 360 for Slack")
    parser.add_argument("--version", action="version", version=f"c360 {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    console = argv is None  # the console script: the process is this command's alone
    if console:
        # Starting a command makes some 90,000 containers that live as long as the process
        # (modules, classes, SQLAlchemy's tables and mappers, pydantic's schemas, the indexes);
        # Python's cyclic collector runs ~220 times while they are made, finding nothing to
        # free: 0.05 s of CPU of an answer. A command that runs on gets it back once parsed; `ask`
        # and `brief` end with their answer (peak memory the same; `bench/bench_cli.py`).
        gc.disable()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    parser = build_parser()
    args = parser.parse_args(argv)
    if console and args.command not in QUICK_EXIT:
        gc.enable()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from c360.container import Container

    container = Container()
    if args.command in QUICK_EXIT:
        container.embeddings.expect_few_queries()
    try:
        code = int(args.func(args, container) or 0)
    except KeyboardInterrupt:
        return 130
    if console and args.command in QUICK_EXIT:  # not a caller's call: the process is ours
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End the process with ``code`` once what it printed is out (atexit handlers, such as
    logging's, would only flush the same streams)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `c360 ask ... | head`: the reader left (Python's own status)
        code = code or 120
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
