"""One module per command group, each declaring its commands as data (``COMMANDS``: name,
help, options, handler) and registering them with ``register(subparsers)``. A command's handler
is ``func(args, container) -> int`` (the exit code).

One table shape for every command, so an option is written once, as the arguments
``ArgumentParser.add_argument`` takes, and the options several commands share (``--json``,
``--progress``) are defined here."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class Option:
    """One ``add_argument`` call: its flags (or positional name) and keyword arguments."""

    flags: tuple[str, ...]
    settings: dict[str, Any]


def option(*flags: str, **settings: Any) -> Option:
    return Option(flags, settings)


# ``--progress/--no-progress``: the ingest progress bar, for the commands that ingest.
PROGRESS = option(
    "--progress", action=argparse.BooleanOptionalAction, default=None,
    help="progress bar on stderr (default: when stderr is a terminal)",
)  # fmt: skip


@dataclass(frozen=True)
class Command:
    """A command (or an action of a command group, in ``actions``) as data."""

    name: str
    help: str
    func: Callable[[argparse.Namespace, Any], int] | None = None
    options: Sequence[Option] = ()
    description: str | None = None  # prose, one text block: argparse folds and re-wraps it
    actions: Sequence[Command] = ()  # subcommands: ``db upgrade``, ``alerts scan``
    actions_dest: str | None = None  # where argparse puts the chosen action's name
    extra: dict[str, Any] = field(default_factory=dict)  # more add_parser keywords


def add_command(sub, command: Command) -> argparse.ArgumentParser:
    """Add ``command`` (and its actions) to the subparsers ``sub``."""
    parser = sub.add_parser(
        command.name, help=command.help, description=command.description, **command.extra
    )
    for opt in command.options:
        parser.add_argument(*opt.flags, **opt.settings)
    if command.actions:
        actions = parser.add_subparsers(dest=command.actions_dest, metavar="ACTION", required=True)
        for action in command.actions:
            add_command(actions, action)
    if command.func is not None:
        parser.set_defaults(func=command.func)
    return parser


def add_commands(sub, commands: Sequence[Command]) -> None:
    for command in commands:
        add_command(sub, command)
