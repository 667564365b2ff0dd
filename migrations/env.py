"""Alembic environment: symcat's metadata, a lock so concurrent processes upgrade once.

Run through `symcat db upgrade` (which passes its engine in `config.attributes`)
or the plain `alembic` command, which finds the database as symcat would.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

import symcat.store.models  # noqa: F401  (registers every table)
from symcat.store.base import metadata
from symcat.store.models.embedding import is_runtime_index

# Any 64-bit number unique to symcat's schema changes.
MIGRATION_LOCK_KEY = 0x53594D434154  # "SYMCAT"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave out indexes made at run time (one HNSW index per embedding model)."""
    return not (type_ == "index" and reflected and compare_to is None and is_runtime_index(name))


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is None:
        from symcat.config import Settings
        from symcat.store.engine import get_engine

        engine = get_engine(Settings.from_env(), upgrade=False)
    return engine


def run_migrations_offline() -> None:
    context.configure(
        url=str(_engine().url),
        target_metadata=metadata,
        literal_binds=True,
        compare_server_default=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        connection.execute(text("SET lock_timeout = '60s'"))
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                compare_server_default=True,
                include_object=include_object,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
