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


def test_the_embedded_server_is_sized_to_the_machine(catalog) -> None:  # noqa: ANN001
    from sqlalchemy import text

    from symcat.store.tuning import embedded_settings, total_memory_bytes

    wanted = embedded_settings(total_memory_bytes())
    with catalog.engine.connect() as conn:
        shared = conn.execute(text("SELECT setting::bigint * 8 / 1024 "
                                   "FROM pg_settings WHERE name = 'shared_buffers'")).scalar()
    assert f"{shared}MB" == wanted["shared_buffers"]


def test_memory_settings_stay_within_bounds() -> None:
    from symcat.store.tuning import embedded_settings

    assert embedded_settings(256 * 2**20)["shared_buffers"] == "128MB"  # PostgreSQL's floor
    assert embedded_settings(8 * 2**30)["shared_buffers"] == "2048MB"
    assert embedded_settings(64 * 2**30) == {"shared_buffers": "16384MB",
                                              "effective_cache_size": "32768MB"}
    assert embedded_settings(512 * 2**30)["shared_buffers"] == "32768MB"  # the cap


def test_tuning_is_written_once_and_overridable(tmp_path: Path) -> None:
    from symcat.store.tuning import INCLUDE_LINE, TUNING_FILE, write_tuning

    (tmp_path / "postgresql.conf").write_text("shared_buffers = 128MB\n")
    write_tuning(tmp_path, 4 * 2**30)
    write_tuning(tmp_path, 4 * 2**30)
    config = (tmp_path / "postgresql.conf").read_text()
    assert config.count(INCLUDE_LINE) == 1
    assert config.index("shared_buffers = 128MB") < config.index(INCLUDE_LINE)  # ours wins
    assert "shared_buffers = '1024MB'" in (tmp_path / TUNING_FILE).read_text()
