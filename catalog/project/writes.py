"""Projections stored after the answer: the map goes to the user while its row and points
are written, in one transaction, by one background thread.

A re-projection in the dashboard is interactive: its 5,000 points take ~0.1 s to write
(COPY, index entries, commit), time the user would spend waiting for a map that is
already computed. `submit` queues the write; `wait` blocks until this process's queued
writes are done, and every reader of stored projections in this process
(`symcat.project.run`) calls it first, so a stored id is always readable here and a
child's parent row always exists before the child's. Writes finish before the
interpreter exits (the thread is joined at exit; `symcat serve`, which ends with
`os._exit`, waits for them first); one that fails is logged.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

log = logging.getLogger(__name__)
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="symcat-projection-store")
_pending: dict[uuid.UUID, Future[None]] = {}
_lock = threading.Lock()


def submit(key: uuid.UUID, write: Callable[[], None]) -> Future[None]:
    """Run `write` (which stores projection `key`) in the background."""

    def run() -> None:
        try:
            write()
        except Exception:
            log.exception("projection %s could not be stored", key)
            raise
        finally:
            with _lock:
                _pending.pop(key, None)

    with _lock:
        future = _executor.submit(run)
        _pending[key] = future
    return future


def wait(timeout: float | None = None) -> bool:
    """Return when every write queued so far by this process has finished (True), or
    after `timeout` seconds with some still running (False). A failure was logged by
    the writer; the map it held is simply not stored."""
    with _lock:
        futures = list(_pending.values())
    _done, running = futures_wait(futures, timeout=timeout)
    return not running


def pending() -> int:
    with _lock:
        return len(_pending)
