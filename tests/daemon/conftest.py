"""Fixtures of the daemon fault tests: one PostgreSQL server of their own (which tests
stop and start), a fresh migrated database per test, and daemons stopped at the end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from daemon_harness import DaemonProcess, PgServer, admin_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from symcat.config import Settings
from symcat.store.engine import dispose_all, get_engine


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    server = PgServer()
    yield server
    server.close()


@pytest.fixture()
def catalog_url(pg: PgServer) -> Iterator[str]:
    """A new database on the fault-test server, migrated to head, dropped afterwards."""
    name = f"daemon_{uuid.uuid4().hex[:10]}"
    admin = admin_engine(pg.url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg.url).set(database=name).render_as_string(hide_password=False)
    get_engine(Settings(database_url=url), upgrade=True)
    try:
        yield url
    finally:
        dispose_all()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


@pytest.fixture()
def daemons() -> Iterator[list[DaemonProcess]]:
    """Every daemon a test starts is killed at the end if it still runs, whatever happened."""
    started: list[DaemonProcess] = []
    yield started
    for d in started:
        if d.proc is not None and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
