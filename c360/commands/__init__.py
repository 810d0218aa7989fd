"""One module per command group, each with ``register(subparsers)``. A command's handler is
``func(args, container) -> int`` (the exit code)."""

import argparse

COMMAND_MODULES = [
    "c360.commands.ingest",  # ingest
    "c360.commands.brief",  # brief, ask
    "c360.commands.demo",  # demo
    "c360.commands.serve",  # serve (Slack)
    "c360.commands.ownership",  # worker, report
    "c360.commands.evaluate",  # eval
    "c360.commands.db",  # db upgrade
    "c360.commands.doctor",  # doctor
    "c360.commands.sync",  # sync, sources
]


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``: the ingest progress bar, for the commands that ingest."""
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )  # fmt: skip
