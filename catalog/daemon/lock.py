"""One daemon per data folder: an OS file lock, released by the OS even after kill -9.

Two daemons sharing one outbox would ingest the same entries side by side;
the catalog would stay right (sha256 key) but the outbox states would race.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO


class AlreadyRunning(RuntimeError):
    """Another daemon uses this data folder; the message names its pid."""


class InstanceLock:
    """An exclusive, non-blocking lock on a file that also records the holder's pid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="ascii")  # noqa: SIM115  (held until release)
        if not _try_lock(f):
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise AlreadyRunning(
                f"another symcat daemon (pid {holder}) uses {self.path.parent}; stop it, or give "
                "this one its own --data-dir"
            )
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            _unlock(self._file)
            self._file.close()
            self._file = None


def holder(path: Path) -> int | None:
    """The pid of the daemon holding the lock at `path`, or None if no daemon holds it."""
    if not path.exists():
        return None
    with open(path, "a+", encoding="ascii") as f:
        if _try_lock(f):
            _unlock(f)
            return None
        f.seek(0)
        text = f.read().strip()
    return int(text) if text.isdigit() else -1


if os.name == "nt":
    import msvcrt

    # Windows locks are mandatory: lock a byte far past the pid, so it stays readable.
    _LOCK_OFFSET = 1 << 20

    def _try_lock(f: IO[str]) -> bool:
        f.seek(_LOCK_OFFSET)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(f: IO[str]) -> None:
        f.seek(_LOCK_OFFSET)
        with contextlib.suppress(OSError):
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _try_lock(f: IO[str]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
