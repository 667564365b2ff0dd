"""Shared fixtures for the reader tests: where the real .ibw files are, read once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from symcat.ingest.read import read_file
from symcat.ingest.records import Refused, ScanRecord


@pytest.fixture(scope="session")
def fixtures_dir(fixtures_root: Path) -> Path:
    """The real .ibw files; `fixtures_root` (tests/conftest.py) skips or fails when absent."""
    return fixtures_root


@pytest.fixture(scope="session")
def read_fixture(fixtures_dir: Path) -> Callable[[str], ScanRecord | Refused]:
    """read_file on a fixture by relative path, cached for the session."""
    cache: dict[str, ScanRecord | Refused] = {}

    def read(relative: str) -> ScanRecord | Refused:
        if relative not in cache:
            cache[relative] = read_file(fixtures_dir / relative)
        return cache[relative]

    return read
