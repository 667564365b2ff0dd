"""Ids as people type them: unique prefixes everywhere an id is taken, clear errors otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.query.ids import AmbiguousId, InvalidId, ScanNotFound

SYMCAT = [sys.executable, "-m", "symcat.cli"]
TWIN_A = uuid.UUID("abcdef01-2000-4000-8000-000000000001")
TWIN_B = uuid.UUID("abcdef01-3000-4000-8000-000000000002")


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_all(settings, [args])[0]


def run_all(settings: Settings, commands: list[tuple[str, ...]],
            ) -> list[subprocess.CompletedProcess[str]]:
    """Each of ``commands`` in its own `symcat` process, all started at once (none of
    them writes to the catalog)."""
    env = {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or ""}
    processes = [subprocess.Popen([*SYMCAT, *args], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for args in commands]
    done = []
    for args, process in zip(commands, processes, strict=True):
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess([*SYMCAT, *args], process.returncode, out, err))
    return done


@pytest.fixture()
def twins(catalog: Catalog, fixtures_root: Path) -> Catalog:
    """The fixtures, two of them given ids that share their first 9 hex digits."""
    catalog.ingest([fixtures_root / "dart_pfm", fixtures_root / "pfm"])
    first, second = catalog.scans(kind="image")["id"][:2]
    with catalog.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no FK checks
        for old, new in ((first, TWIN_A), (second, TWIN_B)):
            for table, column in (("scans", "id"), ("channels", "scan_id")):
                conn.execute(text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                             {"new": new, "old": old})
    return catalog


def test_client_accepts_unique_prefixes(twins: Catalog) -> None:
    assert twins.scan("abcdef012").id == TWIN_A
    assert twins.scan("ABCDEF01-3").id == TWIN_B  # case and hyphens as in the UUID form
    assert twins.scan(str(TWIN_A)).id == TWIN_A
    assert twins.resolve(str(TWIN_B).replace("-", "")) == TWIN_B
    assert twins.original_bytes("abcdef013")[:0] == b""
    with pytest.raises(AmbiguousId, match="abcdef01.*matches several.*" + str(TWIN_A)):
        twins.scan("abcdef01")
    with pytest.raises(InvalidId, match="too short"):
        twins.scan("abcde")
    with pytest.raises(InvalidId, match="not an id"):
        twins.scan("zzzzzzzz")
    with pytest.raises(ScanNotFound, match="no scan id starts with '000000'"):
        twins.scan("000000")


def test_cli_prints_ids_that_it_accepts(twins: Catalog) -> None:
    listing = run(twins.settings, "scans")
    assert listing.returncode == 0, listing.stderr
    printed = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert {"abcdef012", "abcdef013"} <= set(printed)  # one digit past the shared prefix
    assert all(len(p) >= 8 for p in printed)
    for shown in run_all(twins.settings, [("show", prefix) for prefix in printed]):
        assert shown.returncode == 0, shown.stderr
        assert '"record_kind"' in shown.stdout


def test_cli_id_mistakes_are_one_line(twins: Catalog, tmp_path: Path) -> None:
    cases = {
        ("show", "abcdef01"): "matches several",
        ("show", "abc"): "too short",
        ("original", "not-an-id", str(tmp_path / "out")): "not an id",
        ("neighbors", "123456"): "no scan id starts with '123456'",
        ("project", "--id", "abc"): "too short",
        ("project", "--id", "abcdef"): "no projection id starts with 'abcdef'",
    }
    for (args, message), result in zip(cases.items(), run_all(twins.settings, list(cases)),
                                       strict=True):
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "out").exists()  # nothing made for a bad id
    restored = run(twins.settings, "original", "abcdef013", str(tmp_path / "out"))
    assert restored.returncode == 0, restored.stderr
