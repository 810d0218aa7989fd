"""`c360 brief CUSTOMER` and `c360 ask "QUESTION"`: a grounded brief on the command line.

Exit codes: 0 answered; 1 no single customer (ambiguous or not found; the text says which).
"""

from __future__ import annotations

import getpass
import json
import os

from c360.commands import Command, add_commands, option


def register(sub) -> None:
    common = (
        option("--json", action="store_true", help="print the JSON contract instead of text"),
        option("--as", dest="asker", help="who is asking (logged with the exchange); default $USER"),
        option("--no-log", action="store_true", help="do not log this exchange as a moment"),
    )  # fmt: skip
    add_commands(sub, [
        Command("brief", "the 360° brief of one customer (id, name, or any text)", _brief, [
            option("customer", nargs="+", help="customer id, name, alias, email, domain or description"),
            *common,
        ]),
        Command("ask", "answer a question about a customer, then the brief", _ask, [
            option("question", nargs="+", help='the question, e.g. "what did Acme complain about lately?"'),
            option("--customer", dest="context_customer", help="customer id to use when the question names none"),
            *common,
        ]),
    ])  # fmt: skip


def _asker(args):
    from c360.domain import Asker

    name = args.asker or os.environ.get("USER") or _login()
    return Asker(id=name, name=name, channel="cli")


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return "cli-user"


def _print(result, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        # Record text may carry terminal escapes (clear screen, colours, disguised links).
        from c360.safety.terminal import printable

        print(printable(result.answer))
        if result.logged_moment_id:
            print(f"\n(logged as moment:{result.logged_moment_id})")
    return 0 if result.customer else 1


def _brief(args, container) -> int:
    result = container.briefs.brief(" ".join(args.customer), _asker(args), log=not args.no_log)
    return _print(result, args.json)


def _ask(args, container) -> int:
    result = container.briefs.ask(
        " ".join(args.question),
        _asker(args),
        context_customer_id=args.context_customer,
        log=not args.no_log,
    )
    return _print(result, args.json)
