"""The daemon: watcher -> outbox -> catalog, one file at a time, in the order found.

Two threads: the watcher's, which only journals complete files in the outbox
(so finding files never waits on the catalog), and the caller's, which works
through the outbox. A catalog that cannot be reached pauses the whole queue
with exponential backoff (the order is kept, nothing is given up); a file that
cannot be read backs off alone, and is marked failed after `max_attempts`.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from symcat.config import Settings
from symcat.daemon.config import DaemonConfig, safe_url
from symcat.daemon.ingest import EntryResult, FileProblem, ingest_entry
from symcat.daemon.lock import InstanceLock
from symcat.daemon.logs import event
from symcat.ingest.files import display_path
from symcat.ingest.outbox import Entry, Outbox, backoff_seconds
from symcat.ingest.readers import SUFFIXES
from symcat.ingest.site import SiteConfig
from symcat.ingest.watch import FoundFile, Watcher
from symcat.store.engine import DatabaseUnavailable

log = logging.getLogger("symcat.daemon")

# SQLSTATEs that say "the catalog is away or will not have us", not "this file is bad":
# connection (08), resources (53), operator intervention (57), serialization and
# deadlock (40), no privilege (42501), schema not upgraded (42P01, 42703).
_CATALOG_SQLSTATE_CLASSES = ("08", "53", "57", "40")
_CATALOG_SQLSTATES = ("42501", "42P01", "42703")
DB_BACKOFF_BASE = 0.5
DB_BACKOFF_CAP = 30.0
# After SIGTERM the file in hand gets this long; then the process exits anyway. That is
# safe: the outbox is on disk and the catalog's sha256 key makes a re-ingest harmless,
# exactly as after kill -9.
STOP_GRACE_SECONDS = 5.0


def daemon_dir(settings: Settings) -> Path:
    """Where this PC's outbox and lock live: `<data dir>/daemon`."""
    return settings.data_dir / "daemon"


def outbox_path(settings: Settings) -> Path:
    return daemon_dir(settings) / "outbox.sqlite3"


def is_catalog_error(exc: BaseException) -> bool:
    """True when the error is the catalog's (retry everything later), not the file's."""
    if isinstance(exc, DatabaseUnavailable):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None) or ""
    if not state:  # no answer from a server at all
        return True
    return state[:2] in _CATALOG_SQLSTATE_CLASSES or state in _CATALOG_SQLSTATES


def _one_line(exc: BaseException) -> str:
    text = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{type(exc).__name__}: {first}"[:500]


@dataclass
class _Counters:
    new: int = 0
    present: int = 0
    refused: int = 0
    failed: int = 0


class Daemon:
    """Watches folders and keeps the catalog filled; `run()` returns after `stop()`."""

    def __init__(self, settings: Settings, config: DaemonConfig, site: SiteConfig) -> None:
        self.settings = settings
        self.config = config
        self.site = site
        self.counters = _Counters()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._engine: Engine | None = None
        self._db_failures = 0
        self._outbox: Outbox | None = None
        self.stop_grace_seconds: float | None = STOP_GRACE_SECONDS

    # -- control -----------------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        """Finish the file in hand, then return from `run()` (signal handler safe).

        Whatever the daemon is doing (a slow share, a database that does not
        answer), the process ends within `STOP_GRACE_SECONDS`.
        """
        first = not self._stop.is_set()
        self._stop.set()
        self._wake.set()
        if first and self.stop_grace_seconds is not None:
            timer = threading.Timer(self.stop_grace_seconds, self._force_exit)
            timer.daemon = True
            timer.start()

    def _force_exit(self) -> None:
        event(log, logging.WARNING, "daemon.stop.forced",
              "the file in hand did not finish in time; exiting anyway (the outbox keeps it)",
              grace_seconds=self.stop_grace_seconds)
        logging.shutdown()
        os._exit(0)

    def install_signal_handlers(self) -> None:
        """SIGTERM (service stop), SIGINT (Ctrl-C) and, on Windows, SIGBREAK stop cleanly."""
        for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, self.stop)

    def run(self) -> None:
        """Journal and ingest until stopped. Raises if another daemon holds this data folder."""
        lock = InstanceLock(daemon_dir(self.settings) / "daemon.lock")
        lock.acquire()
        try:
            self._outbox = Outbox(outbox_path(self.settings), max_attempts=self.config.max_attempts)
            self._run(self._outbox)
        finally:
            if self._outbox is not None:
                self._outbox.close()
            lock.release()

    def _run(self, outbox: Outbox) -> None:
        watcher = Watcher(
            self.config.watch, self._found, suffixes=SUFFIXES,
            stable_seconds=self.config.stable_seconds, poll_seconds=self.config.poll_seconds,
            use_events=self.config.use_events,
        )
        watcher.start()
        status = outbox.status()
        event(
            log, logging.INFO, "daemon.start", "watching for new files",
            pid=os.getpid(), watch=watcher.roots, site=self.site.site,
            instrument=self.site.instrument, database=safe_url(self.settings),
            outbox=str(outbox.path), backlog=status.backlog,
            events=watcher.events_active, stable_seconds=self.config.stable_seconds,
            poll_seconds=self.config.poll_seconds,
        )
        outbox.set_meta("pid", str(os.getpid()))
        outbox.set_meta("started_at", repr(time.time()))
        outbox.set_meta("watch", os.pathsep.join(watcher.roots))
        # Start-up's objects (imports, engine) live as long as the daemon: frozen, the
        # garbage collector's frequent passes during parsing skip them (as in ingest's
        # workers, symcat.pipeline._init_worker; issue 17).
        gc.freeze()
        try:
            self._work(outbox)
        finally:
            watcher.stop()
            event(
                log, logging.INFO, "daemon.stop", "stopped", new=self.counters.new,
                present=self.counters.present, refused=self.counters.refused,
                failed=self.counters.failed, backlog=outbox.status().backlog,
            )

    # -- finding -----------------------------------------------------------------------------

    def _found(self, found: FoundFile) -> None:
        """Watcher thread: journal first; nothing else happens to a file before this commits."""
        assert self._outbox is not None
        entry_id = self._outbox.journal(found.path, found.size, found.mtime_ns)
        if entry_id is not None:
            event(log, logging.DEBUG, "file.found", "journaled", id=entry_id,
                  path=display_path(found.path), size=found.size)
            self._wake.set()

    # -- ingesting ---------------------------------------------------------------------------

    def _work(self, outbox: Outbox) -> None:
        while not self._stop.is_set():
            if self._engine is None and not self._connect(outbox):
                continue
            entry = outbox.next_due()
            if entry is None:
                self._idle(outbox)
                continue
            self._ingest(outbox, entry)

    def _idle(self, outbox: Outbox) -> None:
        due = outbox.next_attempt_at()
        timeout = 1.0 if due is None else min(1.0, max(0.01, due - time.time()))
        self._wake.wait(timeout)
        self._wake.clear()

    def _connect(self, outbox: Outbox) -> bool:
        from symcat.store.engine import get_engine

        try:
            self._engine = get_engine(self.settings)
        except Exception as exc:
            # The embedded server is ours: whatever stops it starting once (a stale lock,
            # a full disk, pgserver's own assertions) is worth another try later.
            if not (is_catalog_error(exc) or self.settings.embedded):
                raise
            self._catalog_unavailable(outbox, None, exc)
            return False
        return True

    def _ingest(self, outbox: Outbox, entry: Entry) -> None:
        assert self._engine is not None
        started = time.perf_counter()
        try:
            result = ingest_entry(self._engine, outbox, entry, self.site,
                                  self.settings.max_file_bytes)
        except FileProblem as exc:
            self._file_problem(outbox, entry, str(exc))
            return
        except Exception as exc:
            if is_catalog_error(exc):
                self._catalog_unavailable(outbox, entry, exc)
            else:  # a bug or a bad value in this one file: it must not block the others
                log.debug("ingest of %s failed", display_path(entry.path), exc_info=True)
                self._file_problem(outbox, entry, _one_line(exc))
            return
        if self._db_failures:
            event(log, logging.INFO, "catalog.back", "catalog reachable again",
                  after_failures=self._db_failures)
            self._db_failures = 0
        outbox.finish(entry.id, result.state, outcome=result.outcome, sha256=result.sha256,
                      reason=result.reason)
        if result.state == "done" and result.outcome == "new":
            outbox.supersede_refused(entry.path, entry.id)
        self._report(entry, result, time.perf_counter() - started)

    def _report(self, entry: Entry, result: EntryResult, seconds: float) -> None:
        fields: dict[str, Any] = {"id": entry.id, "path": display_path(entry.path),
                                  "sha256": result.sha256,
                                  "seconds": round(seconds, 3)}
        if result.state == "done" and result.outcome == "new":
            self.counters.new += 1
            event(log, logging.INFO, "file.ingested", "catalogued", **fields,
                  scan_id=result.scan_id, previous_version_id=result.previous_version_id)
        elif result.state == "done":
            self.counters.present += 1
            event(log, logging.INFO, "file.present", "already in the catalog", **fields)
        elif result.state == "refused":
            self.counters.refused += 1
            event(log, logging.WARNING, "file.refused", "not catalogued", **fields,
                  reason=result.reason)
        else:
            event(log, logging.INFO, f"file.{result.state}", result.reason or result.state,
                  **fields)

    def _file_problem(self, outbox: Outbox, entry: Entry, error: str) -> None:
        state = outbox.retry_later(entry.id, error)
        if state == "failed":
            self.counters.failed += 1
            event(log, logging.ERROR, "file.failed", "giving up on this file", id=entry.id,
                  path=display_path(entry.path), attempts=entry.attempts + 1, error=error)
        else:
            event(log, logging.WARNING, "file.retry", "will try this file again", id=entry.id,
                  path=display_path(entry.path), attempts=entry.attempts + 1, error=error,
                  retry_in=backoff_seconds(entry.attempts + 1))

    def _catalog_unavailable(self, outbox: Outbox, entry: Entry | None, exc: BaseException) -> None:
        self._db_failures += 1
        delay = backoff_seconds(self._db_failures, base=DB_BACKOFF_BASE, cap=DB_BACKOFF_CAP)
        error = _one_line(exc)
        outbox.note_error(entry.id if entry else None, error)
        event(log, logging.WARNING, "catalog.unavailable", "cannot store in the catalog",
              error=error, failures=self._db_failures, retry_in=delay,
              backlog=outbox.status().backlog)
        self._stop.wait(delay)
