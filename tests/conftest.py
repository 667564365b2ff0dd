"""Shared fixtures: one real embedded PostgreSQL (with pgvector) for the whole run.

Tests get a catalog that has gone through the Alembic migrations (never
create_all) and is emptied between tests. Tests that need their own database
(migrations) ask for `fresh_database_url`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from symcat.client import Catalog
from symcat.config import Settings
from symcat.store.engine import database_url, get_engine, stop_embedded

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "ibw"


@pytest.fixture(scope="session")
def fixtures_root() -> Path:
    """The real .ibw files; absent on a user's fresh clone (skip), never absent in CI (fail)."""
    if not FIXTURES.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"real .ibw fixtures missing at {FIXTURES}; CI always has ../shared")
        pytest.skip(f"real .ibw fixtures not found at {FIXTURES} (they live in ../shared)")
    return FIXTURES


@pytest.fixture(scope="session")
def server_settings() -> Iterator[Settings]:
    """Settings pointing at a session-wide embedded server, migrated to head.

    Its folder is our own (not pytest's rotating tmp folders, which another
    pytest run may delete under a live server), removed after the server stops.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="symcat-test-"))
    settings = Settings(data_dir=data_dir, site="test-site", instrument="test-pc")
    get_engine(settings)  # starts the server and runs the migrations
    yield settings
    stop_embedded(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(server_settings: Settings) -> str:
    return database_url(server_settings)


@pytest.fixture()
def settings(server_settings: Settings, server_url: str) -> Iterator[Settings]:
    """An empty, migrated catalog for one test (by URL, as a lab server would be used)."""
    engine = get_engine(Settings(database_url=server_url))
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE channels, scans, original_files, refusals CASCADE"))
    yield Settings(
        database_url=server_url, data_dir=server_settings.data_dir, site="test-site",
        instrument="test-pc",
    )


@pytest.fixture()
def catalog(settings: Settings) -> Catalog:
    return Catalog(settings=settings)


@contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """A brand-new, empty database on the test server (its URL), dropped afterwards."""
    name = f"symcat_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        from symcat.store.engine import dispose_all

        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def fresh_database_url(server_url: str) -> Iterator[str]:
    """A brand-new, empty database on the test server, dropped afterwards."""
    with new_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
def module_catalog(server_url: str) -> Iterator[Catalog]:
    """A migrated catalog of its own for one test module: for modules whose tests only
    read what one costly setup stored (the per-test `catalog` is emptied each time)."""
    with new_database(server_url) as url:
        settings = Settings(database_url=url, site="test-site", instrument="test-pc")
        get_engine(settings, upgrade=True)
        yield Catalog(settings=settings)
