"""The embedded PostgreSQL: started on demand, shared by processes, stopped by the last one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SYMCAT = [sys.executable, "-m", "symcat.cli"]


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="symcat-embedded-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SYMCAT_DATABASE_URL"}
    return {**env, "SYMCAT_DATA_DIR": str(data_dir)}


def test_embedded_database_starts_migrates_and_stops(data_dir: Path,
                                                     fixtures_root: Path) -> None:
    result = subprocess.run(
        [*SYMCAT, "ingest", str(fixtures_root / "dart_pfm"), "--no-progress"],
        env=_env(data_dir), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "1 new" in result.stdout
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "server left running"

    status = subprocess.run([*SYMCAT, "db", "status"], env=_env(data_dir),
                            capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    assert "image 1" in status.stdout  # the data outlived the server's restart
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_a_running_process_keeps_the_server_for_others(data_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, symcat; c = symcat.Catalog(); c.count(); print('up', flush=True); "
         "sys.stdin.readline(); print(c.count())"],
        env=_env(data_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "up"
        other = subprocess.run([*SYMCAT, "db", "status"], env=_env(data_dir),
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 0, other.stderr
        assert (data_dir / "pgdata" / "postmaster.pid").exists(), "stopped under a user"
        out, _ = holder.communicate("\n", timeout=60)
        assert out.strip() == "0" and holder.returncode == 0  # still reachable
    finally:
        holder.kill()
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
