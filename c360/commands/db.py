"""`c360 db upgrade`: bring the configured database to the newest schema."""

from __future__ import annotations

from c360.commands import Command, add_commands


def register(sub) -> None:
    add_commands(sub, [
        Command("db", "database maintenance", actions_dest="db_command", actions=[
            Command("upgrade", "apply Alembic migrations (idempotent)", _upgrade),
        ]),
    ])  # fmt: skip


def _upgrade(args, container) -> int:
    _ = container.engine  # building the engine migrates it
    print(f"database at newest schema: {_redact(container.settings.resolved_database_url)}")
    return 0


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
