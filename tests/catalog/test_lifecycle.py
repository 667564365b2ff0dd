"""The embedded server's life as users and service managers end processes: signals,
kill -9, `symcat db start/stop/url/shell`, and psql reaching the catalog."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SYMCAT = [sys.executable, "-m", "symcat.cli"]
HOLDER = ("import sys, symcat; c = symcat.Catalog(); c.count(); print('up', flush=True); "
          "sys.stdin.readline()")


@pytest.fixture(scope="module")
def shared_dir() -> Iterator[Path]:
    """One data folder for the module: initdb and the migrations run once."""
    folder = Path(tempfile.mkdtemp(prefix="symcat-life-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def data_dir(shared_dir: Path) -> Iterator[Path]:
    """The module's folder with no server running, before and after each test."""
    yield shared_dir
    if _running(_postmaster_pid(shared_dir)):
        subprocess.run([*SYMCAT, "db", "stop", "--force"], env=_env(shared_dir),
                       capture_output=True, timeout=120)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SYMCAT_DATABASE_URL"}
    return {**env, "SYMCAT_DATA_DIR": str(data_dir)}


def _symcat(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYMCAT, *args], env=_env(data_dir), capture_output=True, text=True,
                          timeout=300)


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int | None, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _running(pid):
            return True
        time.sleep(0.2)
    return False


def _as_from_a_terminal() -> None:
    """Default signal dispositions, as a process started from a shell or a service
    manager has: one started under `nohup` or as a background job of a script inherits
    SIGHUP / SIGINT ignored, and symcat rightly leaves ignored signals ignored."""
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _holder(data_dir: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER], env=_env(data_dir),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               preexec_fn=_as_from_a_terminal)
    assert process.stdout is not None and process.stdout.readline().strip() == "up"
    return process


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_last_process_stops_the_server(data_dir: Path, sig: int) -> None:
    holder = _holder(data_dir)
    postgres = _postmaster_pid(data_dir)
    assert _running(postgres)
    holder.send_signal(sig)
    holder.communicate(timeout=60)  # waits, and closes its pipes
    assert _wait_gone(postgres), f"{signal.Signals(sig).name} left the server running"
    assert json.loads((data_dir / "pgdata" / ".handle_pids.json").read_text()) == []


def test_stale_entry_of_a_killed_process_is_cleaned(data_dir: Path) -> None:
    killed = _holder(data_dir)
    postgres = _postmaster_pid(data_dir)
    killed.kill()  # SIGKILL: no exit hook runs, its pid stays in the list
    killed.communicate(timeout=30)
    assert _running(postgres)
    listed = json.loads((data_dir / "pgdata" / ".handle_pids.json").read_text())
    assert killed.pid in listed
    last = _holder(data_dir)  # joins the same server, and is now the last live user
    assert _postmaster_pid(data_dir) == postgres
    last.communicate("\n", timeout=60)
    assert last.returncode == 0
    assert _wait_gone(postgres), "the server outlived its last live process"


def test_sigterm_stops_serve_and_its_server(data_dir: Path) -> None:
    pytest.importorskip("bokeh")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen([*SYMCAT, "serve", "--no-browser", "--port", str(port)],
                             env=_env(data_dir), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert serve.stdout is not None
    first = serve.stdout.readline()
    assert "symcat dashboard: http://127.0.0.1" in first, serve.stderr.read() if serve.stderr \
        else first
    postgres = _postmaster_pid(data_dir)
    assert _running(postgres)
    serve.send_signal(signal.SIGTERM)
    out, err = serve.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert _wait_gone(postgres), "SIGTERM of `symcat serve` left the embedded server running"


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql (postgresql-client) not here")
def test_db_start_url_psql_stop(data_dir: Path) -> None:
    down = _symcat(data_dir, "db", "url")
    assert down.returncode == 1 and "not running" in down.stderr and "db start" in down.stderr
    started = _symcat(data_dir, "db", "start")
    assert started.returncode == 0, started.stderr
    postgres = _postmaster_pid(data_dir)
    assert _running(postgres), "db start did not keep the server up"
    url = _symcat(data_dir, "db", "url").stdout.strip()
    assert url.startswith("postgresql://") and "+psycopg" not in url
    psql = subprocess.run(["psql", url, "-At", "-c", "select count(*) from scan_summary"],
                          capture_output=True, text=True, timeout=60)
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == "0"
    assert url in _symcat(data_dir, "db", "status").stdout
    assert _running(postgres), "a later command stopped a started server"
    shell = _symcat(data_dir, "db", "shell", "-At", "-c", "select 40 + 2")
    assert shell.returncode == 0 and shell.stdout.strip() == "42", shell.stderr
    holder = _holder(data_dir)
    try:
        busy = _symcat(data_dir, "db", "stop")
        assert busy.returncode == 0 and str(holder.pid) in busy.stdout
        assert _running(postgres)
    finally:
        holder.communicate("\n", timeout=60)
    assert _wait_gone(postgres), "unpinned server outlived its last user"
    again = _symcat(data_dir, "db", "stop")
    assert again.returncode == 0 and "not running" in again.stdout


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql (postgresql-client) not here")
def test_db_shell_starts_and_stops_the_embedded_server(data_dir: Path) -> None:
    shell = _symcat(data_dir, "db", "shell", "-At", "-c", "select count(*) from scans")
    assert shell.returncode == 0 and shell.stdout.strip() == "0", shell.stderr
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_db_url_of_a_server_leaves_the_password_out() -> None:
    env = {**os.environ, "SYMCAT_DATABASE_URL": "postgresql+psycopg://lab:s3cret@db.lab:6543/cat"}
    plain = subprocess.run([*SYMCAT, "db", "url"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert plain.stdout.strip() == "postgresql://lab@db.lab:6543/cat", plain.stderr
    full = subprocess.run([*SYMCAT, "db", "url", "--with-password"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert full.stdout.strip() == "postgresql://lab:s3cret@db.lab:6543/cat"
