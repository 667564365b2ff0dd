"""Least-privilege database roles: `symcat_ingest` (the daemons) and `symcat_reader`.

Made by `symcat db roles` (or its printed SQL, in psql), not by a migration:
roles belong to the whole server rather than to one database, making them
needs CREATEROLE (which the account that runs migrations should not need), and
a migration downgraded in one database would drop roles that others use.

symcat_ingest is append-only where data must never change: it may add
originals, scans, channels, refusals and path history, and update only the
columns the ingest path updates (`UPDATE_COLUMNS`: a scan's link to its
previous version; a refusal's reason, counters and resolution mark). So the
originals' bytes, the pixels, and identity columns such as `file_sha256` can
never be changed, and nothing can be deleted or truncated: a refusal that
stops being one is *marked* resolved (`store.load.resolve_refusals`), and a
trigger (migration 0006) allows that mark only with a scan of the same file or
path. symcat_reader may only read. Running it again brings the grants back to
exactly this (e.g. after a migration added tables).
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

INGEST_ROLE = "symcat_ingest"
READER_ROLE = "symcat_reader"
# What the ingest path inserts into (store.load, store.versions).
WRITE_TABLES = ("original_files", "scans", "channels", "refusals", "path_versions")
# The only columns it updates: nothing of originals, channels or history.
UPDATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "scans": ("previous_version_id",),
    "refusals": ("reason", "parser_version", "source_path", "source_path_bytes",
                 "last_seen_at", "times_seen", "resolved_at", "resolved_scan_id"),
}


def roles_sql(database: str, schema: str = "public") -> list[str]:
    """The statements, idempotent, in order (for `symcat db roles --sql` and for `apply`)."""
    both = f"{INGEST_ROLE}, {READER_ROLE}"
    tables = ", ".join(f"{schema}.{t}" for t in WRITE_TABLES)
    create = "\n".join(
        f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN\n"
        f"    CREATE ROLE {role} NOLOGIN;\n  END IF;"
        for role in (INGEST_ROLE, READER_ROLE)
    )
    return [
        f"DO $$\nBEGIN\n{create}\nEND\n$$",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {both}",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {both}",
        f'GRANT CONNECT ON DATABASE "{database}" TO {both}',
        f"GRANT USAGE ON SCHEMA {schema} TO {both}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {both}",
        f"GRANT INSERT ON {tables} TO {INGEST_ROLE}",
        *(f"GRANT UPDATE ({', '.join(columns)}) ON {schema}.{table} TO {INGEST_ROLE}"
          for table, columns in UPDATE_COLUMNS.items()),
        # Tables that later migrations add are readable by both, writable by neither.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {both}",
    ]


def apply(conn: Connection, *, passwords: dict[str, str] | None = None) -> None:
    """Create or update both roles in the connected database, in the caller's transaction.

    `passwords` maps a role name to its password: such a role may log in (the
    others stay NOLOGIN group roles, to be granted to per-PC login roles).
    """
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    for statement in roles_sql(database):
        conn.execute(text(statement))
    for role, password in (passwords or {}).items():
        if role not in (INGEST_ROLE, READER_ROLE):
            raise ValueError(f"expected {INGEST_ROLE} or {READER_ROLE}, got {role!r}")
        # Quoted by the server (format %L). On failure, say so without the statement:
        # SQLAlchemy's error text would carry the password.
        try:
            statement = conn.execute(
                text("SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', "
                     "CAST(:role AS text), CAST(:password AS text))"),
                {"role": role, "password": password},
            ).scalar_one()
            conn.execute(text(statement))
        except DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise RolesError(f"could not let {role} log in: {detail}") from None


class RolesError(RuntimeError):
    """Setting a role's password failed; the message leaves the password out."""
