"""What the benchmarks' command lines share: one parser shape (options as data, as the c360
commands declare theirs: ``c360.commands.option``) and the options that put a store on a
database and a Chroma server."""

from __future__ import annotations

import argparse

from c360.commands import Option, option


def bench_parser(description: str, *options: Option, raw: bool = False) -> argparse.ArgumentParser:
    """A benchmark's parser; ``raw``: print the description as written (a docstring with a
    usage block)."""
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter,
    )
    for opt in options:
        parser.add_argument(*opt.flags, **opt.settings)
    return parser


def store_options(database_help: str, chroma_help: str) -> list[Option]:
    """--database-url, --chroma-host and --chroma-port: where the benchmark's store lives."""
    return [
        option("--database-url", help=database_help),
        option("--chroma-host", help=chroma_help),
        option("--chroma-port", type=int, default=8000),
    ]
