"""Shared fixtures for the reader tests: where the real .ibw files are, read once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from symcat.ingest.read import read_file
from symcat.ingest.records import Refused, ScanRecord

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ibw"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real .ibw files (../shared/fixtures/ibw); required under CI, else optional."""
    if not FIXTURES.is_dir():
        message = (
            f"real .ibw fixtures not found at {FIXTURES}: check out the shared folder beside "
            "the repository to run these tests"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return FIXTURES


@pytest.fixture(scope="session")
def read_fixture(fixtures_dir: Path) -> Callable[[str], ScanRecord | Refused]:
    """read_file on a fixture by relative path, cached for the session."""
    cache: dict[str, ScanRecord | Refused] = {}

    def read(relative: str) -> ScanRecord | Refused:
        if relative not in cache:
            cache[relative] = read_file(fixtures_dir / relative)
        return cache[relative]

    return read
