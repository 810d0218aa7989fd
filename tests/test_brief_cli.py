"""`c360 brief` / `c360 ask`: text by default, the JSON contract with --json, asker from --as
or $USER, exit code 1 when no single customer was found."""

from __future__ import annotations

import argparse
import json

import pytest
from fixtures.brief_records import load

from c360.commands import brief as command


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


@pytest.fixture
def store(container):
    load(container)
    return container


def test_ask_json_prints_the_contract_and_logs_the_asker(store, capsys, monkeypatch):
    monkeypatch.setenv("USER", "robin")
    args = parse("ask", "open", "complaints", "for", "Acme", "Corp", "--json")
    assert args.func(args, store) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "open complaints for Acme Corp"
    assert data["customer"] == {"customer_id": "C-ACME", "name": "Acme Corp"}
    assert data["logged_moment_id"]
    exchange = store.moments.recent_exchanges(customer_id="C-ACME")[0]
    assert exchange.moment_id == data["logged_moment_id"] and exchange.author == "robin"

    args = parse("brief", "Acme", "Corp", "--as", "Kim")
    assert args.func(args, store) == 0
    text = capsys.readouterr().out
    assert text.startswith("Acme Corp (customer C-ACME)")
    assert "Asked by robin on 2026-11-23 (cli)" in text


def test_no_single_customer_exits_1_and_says_why(store, capsys):
    args = parse("brief", "acme", "--json")
    assert args.func(args, store) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["customer"] is None and len(data["candidates"]) == 2
    args = parse("ask", "how is Zyxwv Industries doing", "--no-log")
    assert args.func(args, store) == 1
    assert "could not find a customer" in capsys.readouterr().out
