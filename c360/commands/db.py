"""`c360 db upgrade`: bring the configured database to the newest schema."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("db", help="database maintenance")
    dbsub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = dbsub.add_parser("upgrade", help="apply Alembic migrations (idempotent)")
    upgrade.set_defaults(func=_upgrade)


def _upgrade(args, container) -> int:
    _ = container.engine  # building the engine migrates it
    print(f"database at newest schema: {_redact(container.settings.resolved_database_url)}")
    return 0


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
