"""Preparing a catalog to publish (a lab) or to subscribe (a hub).

`prepare_lab` makes the publication `symcat_share` (row filters on the `shared` flags),
and a login role `symcat_replicator` with REPLICATION and read access to the published
tables only, whose password is set as a SCRAM verifier computed here. An embedded server
is switched to `wal_level = logical` with a TCP port (symcat.store.network) and
restarted; a lab server given by URL must be configured by its administrator
(docs/federation.md), which is checked.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from symcat.config import Settings
from symcat.federation import FederationError
from symcat.federation.password import new_password, scram_verifier
from symcat.store import network as net
from symcat.store.engine import get_engine, restart_embedded
from symcat.store.sharing import flagged_tables

PUBLICATION = "symcat_share"
REPLICATION_ROLE = "symcat_replicator"
# Published tables and their row filters; a table added later follows symcat.store.sharing.
PUBLISHED_TABLES = {
    "scans": "shared",
    "channels": "shared",
    "embeddings": "shared",
    "original_files": "shared",
    "scan_labels": "shared",
    "predictions": "shared",
    "propagation_runs": "shared",
    "symmetry_predictions": "shared",  # plane groups (migration 0016)
    "embedding_models": None,  # model names and sizes: every hub needs them, nothing private
    "label_sets": None,  # vocabularies (names and classes); a hub merges same-named sets
}
# What the replication role may read besides: the schema revision (checked by hubs).
READABLE_TABLES = (*PUBLISHED_TABLES, "alembic_version")


@dataclass(frozen=True)
class PreparedLab:
    """How a hub reaches this lab. `url` carries the password: hand it over, don't log it."""

    url: str
    host: str
    port: int
    restarted: bool

    @property
    def url_without_password(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def prepare_server(settings: Settings, *, listen: str = "localhost", port: int | None = None,
                   max_slot_wal_keep_size: str = net.DEFAULT_MAX_SLOT_WAL_KEEP
                   ) -> tuple[Engine, int, bool]:
    """Logical WAL and a TCP port for an embedded catalog (restarting it if needed);
    for a server given by URL, check wal_level. Returns (engine, port, restarted)."""
    if settings.embedded:
        pgdata = settings.data_dir / "pgdata"
        before = net.read(pgdata)
        network = net.enable(pgdata, listen=listen, port=port,
                             max_slot_wal_keep_size=max_slot_wal_keep_size)
        engine = get_engine(settings)
        with engine.connect() as conn:
            running = (conn.execute(text("SHOW wal_level")).scalar_one(),
                       int(conn.execute(text("SHOW port")).scalar_one()),
                       conn.execute(text("SHOW listen_addresses")).scalar_one())
        restarted = False
        if running != ("logical", network.port, network.listen) or before != network:
            restart_embedded(settings.data_dir)
            engine = get_engine(settings)
            restarted = True
            with engine.connect() as conn:
                level = conn.execute(text("SHOW wal_level")).scalar_one()
            if level != "logical":  # ALTER SYSTEM (postgresql.auto.conf) wins over symcat's
                raise FederationError(
                    f"the embedded server in {pgdata} still has wal_level={level} after a "
                    "restart: an ALTER SYSTEM setting in its postgresql.auto.conf overrides "
                    "symcat's; run ALTER SYSTEM RESET wal_level there (or delete that line) "
                    "and run this again")
        return engine, network.port, restarted
    engine = get_engine(settings, upgrade=False)
    with engine.connect() as conn:
        level = conn.execute(text("SHOW wal_level")).scalar_one()
        server_port = int(conn.execute(text("SHOW port")).scalar_one())
    if level != "logical":
        raise FederationError(
            f"the lab's server has wal_level={level}; set wal_level = logical in its "
            "postgresql.conf (or ALTER SYSTEM SET wal_level = logical), restart it, and run "
            "this again (docs/federation.md)")
    return engine, server_port, False


def prepare_lab(settings: Settings, *, listen: str = "localhost", port: int | None = None,
                host: str | None = None, password: str | None = None,
                keep_password: bool = False,
                max_slot_wal_keep_size: str = net.DEFAULT_MAX_SLOT_WAL_KEEP) -> PreparedLab:
    """Make this catalog publishable; returns the URL a hub adds (with a new password,
    unless one is given). Running it again is safe: it brings the publication's tables up
    to date (after an upgrade that added a published table) and sets a new password,
    unless `keep_password` (then the URL carries none: the hub has it)."""
    engine, server_port, restarted = prepare_server(
        settings, listen=listen, port=port, max_slot_wal_keep_size=max_slot_wal_keep_size)
    with engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                              {"r": REPLICATION_ROLE}).first()
        password = None if keep_password and exists else password or new_password()
        _ensure_role(conn, database, password)
        _ensure_publication(conn)
    if host is None:
        host = "localhost" if listen in ("localhost", "127.0.0.1", "::1") else socket.getfqdn()
    url = make_url("postgresql://").set(username=REPLICATION_ROLE, password=password, host=host,
                                        port=server_port, database=database)
    return PreparedLab(url.render_as_string(hide_password=False), host, server_port, restarted)


def _ensure_role(conn: Connection, database: str, password: str | None) -> None:
    """The replication role; `password` None keeps the one it has."""
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                          {"r": REPLICATION_ROLE}).first()
    verb = "ALTER" if exists else "CREATE"
    attributes = "LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
    if password is None:
        conn.execute(text(f"ALTER ROLE {REPLICATION_ROLE} WITH {attributes}"))
    else:
        # The verifier, not the password, is what the server sees (federation.password).
        statement = conn.execute(
            text(f"SELECT format('{verb} ROLE %I WITH {attributes} PASSWORD %L', "
                 "CAST(:r AS text), CAST(:v AS text))"),
            {"r": REPLICATION_ROLE, "v": scram_verifier(password)},
        ).scalar_one()
        conn.execute(text(statement.replace(":", r"\:")))
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {REPLICATION_ROLE}'))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {REPLICATION_ROLE}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {REPLICATION_ROLE}"))
    conn.execute(text(f"GRANT SELECT ON {', '.join(READABLE_TABLES)} TO {REPLICATION_ROLE}"))
    # A hub compares it with its own, to refuse subscribing to itself.
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION pg_control_system() TO {REPLICATION_ROLE}"))


def _publication_tables(flagged: set[str]) -> str:
    """The published tables with their row filters; a filtered table only where it has
    its flag (`sharing.flagged_tables`: a catalog a revision behind publishes the rest)."""
    return ", ".join(f"{table} WHERE ({where})" if where else table
                     for table, where in PUBLISHED_TABLES.items()
                     if where is None or table in flagged)


def _ensure_publication(conn: Connection) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_publication WHERE pubname = :p"),
                          {"p": PUBLICATION}).first()
    tables = _publication_tables(flagged_tables(conn))
    if exists:
        conn.execute(text(f"ALTER PUBLICATION {PUBLICATION} SET TABLE {tables}"))
    else:
        # No TRUNCATE: a lab emptying a table must not empty the hub's (all labs' rows).
        conn.execute(text(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE {tables} "
                          "WITH (publish = 'insert, update, delete')"))


def write_url(path: Path, url: str) -> None:
    """Hand the URL over in a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(url + "\n", encoding="utf-8")
