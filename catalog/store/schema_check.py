"""Start-up without Alembic when the schema is already current.

Bringing the embedded catalog to the newest schema runs Alembic, which imports
and reads every revision script: a few hundred milliseconds on each command.
When the database's `alembic_version` equals the head we recorded for exactly
these revision files (names, sizes, modification times), there is nothing to
do and Alembic is not loaded; any other case goes through Alembic as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

CACHE = "schema-head.json"


def _fingerprint(versions: Path) -> list[list[object]]:
    entries = []
    with os.scandir(versions) as found:
        for entry in found:
            if entry.name.endswith(".py") and entry.is_file():
                info = entry.stat()
                entries.append([entry.name, info.st_size, info.st_mtime_ns])
    return sorted(entries)


def _database_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except ProgrammingError:  # no table yet: a new catalog
        return None


def ensure_schema(engine: Engine, cache_dir: Path | None) -> None:
    """Upgrade the schema to head, skipping Alembic when it is known to be there already."""
    from symcat.store.migrate import migrations_dir

    fingerprint = _fingerprint(migrations_dir() / "versions")
    cache = cache_dir / CACHE if cache_dir is not None else None
    if cache is not None:
        try:
            known = json.loads(cache.read_text())
        except (OSError, ValueError):
            known = {}
        if known.get("fingerprint") == fingerprint and known.get("head") and \
                _database_revision(engine) == known["head"]:
            return
    from symcat.store.migrate import head_revision, upgrade

    upgrade(engine)
    if cache is not None:
        with contextlib.suppress(OSError):  # a read-only data folder only costs speed
            cache.write_text(json.dumps({"head": head_revision(), "fingerprint": fingerprint}))
