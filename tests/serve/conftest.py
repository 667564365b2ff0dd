"""Fixtures for the dashboard tests: a real catalog in its own database, a running
`symcat serve` subprocess, and headless Chromium driven by Playwright.

Chromium is Debian's (`apt-get install chromium`); Playwright never downloads a browser.
Without it the browser tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_data import build_catalog
from serve_process import ServerProcess
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from symcat.client import Catalog
from symcat.config import Settings
from symcat.store.engine import get_engine

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "serve"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots land here (git-ignored), to be looked at after a run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def serve_catalog(server_url: str) -> Iterator[Catalog]:
    """40 synthetic scans, ingested and given vectors, in a database of their own (other
    tests empty the shared one between tests; a running server must not see that)."""
    pytest.importorskip("bokeh", reason="pip install 'symcat[serve]'")
    name = f"symcat_serve_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="symcat-serve-"))
    settings = Settings(database_url=url, data_dir=folder / "data", site="test-site",
                        instrument="test-pc")
    get_engine(settings, upgrade=True)
    catalog = Catalog(settings=settings)
    build_catalog(catalog, folder / "files")
    try:
        yield catalog
    finally:
        from symcat.store.engine import dispose_all

        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def dashboard(serve_catalog: Catalog) -> Iterator[ServerProcess]:
    """`symcat serve` on a free port, as a user would start it."""
    with ServerProcess.start(serve_catalog.settings) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the session (each test opens its own context)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        _missing("Chromium not found: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright not installed: pip install 'symcat[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium: object, dashboard: ServerProcess) -> Iterator[object]:
    """A fresh browser session on the dashboard, loaded and showing its initial map."""
    from serve_browser import TIMEOUT_MS, wait_for_points

    context = chromium.new_context(viewport={"width": 1500, "height": 1150},  # type: ignore[attr-defined]
                                   accept_downloads=True)
    # every wait a test leaves at playwright's 30 s default gets the suite's 90 s: on a
    # loaded 2-core machine a box selection took longer (session 18's full run)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(dashboard.url)
    wait_for_points(page, "root", minimum=1)
    yield page
    context.close()
