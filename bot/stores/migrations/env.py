"""Alembic's entry point for Pasokhgoo's schema.

`bot.stores.sql` runs it on every open with its own connection, already inside a
transaction, in `config.attributes["connection"]`. For `alembic revision --autogenerate`
or offline SQL, set `sqlalchemy.url` on `bot.stores.sql.alembic_config()` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from bot.stores.sql import metadata

config = context.config


def _configure(**kwargs: object) -> None:
    # batch mode lets later migrations ALTER tables on SQLite by copying them
    context.configure(target_metadata=metadata, render_as_batch=True, **kwargs)


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    run_online(given)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or pass a connection in config.attributes")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        run_online(connection)
    engine.dispose()
