"""Find complete new files under watched folders and hand each one over, once per version.

Instrument software writes files progressively, and network shares do not
deliver filesystem events reliably, so:

* every folder is re-scanned every `poll_seconds` (works everywhere, shares included);
* filesystem events (watchdog, where the platform has them) only make a file
  be looked at sooner; they are never trusted to be complete;
* a file counts as complete once its size and mtime have not changed for
  `stable_seconds` (whether it also *parses* is the ingest step's business).

A file that changes after it was handed over (same path, new size or mtime)
is handed over again: that is a new version. No database here.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from symcat.ingest.files import scan_tree

log = logging.getLogger(__name__)

DEFAULT_STABLE_SECONDS = 2.0
DEFAULT_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class FoundFile:
    """A complete file as the watcher last saw it."""

    path: str
    size: int
    mtime_ns: int


OnFile = Callable[[FoundFile], None]


@dataclass
class _Candidate:
    size: int
    mtime_ns: int
    changed_at: float  # monotonic time when (size, mtime) last changed or was first seen


def _walk(root: str, suffixes: frozenset[str]) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry under `root` with a wanted suffix, with its stat, whatever its kind.

    FIFOs, devices, sockets and links (broken ones with their own lstat) are
    handed over too (`symcat.ingest.files.scan_tree`), so that ingest refuses them
    with a reason instead of skipping them in silence; so is a folder below the root
    that cannot be listed (its own stat), for the same reason. Reading is the ingest
    step's business.
    """
    for what, entry, error in scan_tree(root, suffixes):
        if what == "file" and entry is not None:
            try:
                yield entry.path, _stat(entry)
            except OSError:
                continue  # vanished between listing and stat
        elif what == "unlisted" and error is not None:
            folder = str(error.filename)
            if folder == root:
                log.debug("cannot list %s: %s", folder, error)
                continue
            try:
                yield folder, os.lstat(folder)
            except OSError:
                continue


def _stat(entry: os.DirEntry[str]) -> os.stat_result:
    try:
        return entry.stat()
    except FileNotFoundError:  # a broken link: its own stat
        return entry.stat(follow_symlinks=False)


class Watcher:
    """Calls `on_file` from its own thread for each complete new file (or new version).

    `on_file` must be quick and must not fail for an ordinary file: the caller
    journals the file and returns (if it raises, the file is offered again on
    the next pass).
    """

    def __init__(
        self,
        folders: Iterable[str | os.PathLike[str]],
        on_file: OnFile,
        *,
        suffixes: Iterable[str] = (".ibw",),
        stable_seconds: float = DEFAULT_STABLE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        use_events: bool = True,
    ) -> None:
        self.folders = folders
        self.on_file = on_file
        self.suffixes = suffixes
        self.stable_seconds = stable_seconds
        self.poll_seconds = poll_seconds
        self.use_events = use_events
        self._roots: list[str] = []
        self._suffixes: frozenset[str] = frozenset()
        self._candidates: dict[str, _Candidate] = {}
        self._handed: dict[str, tuple[int, int]] = {}
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: object | None = None
        self.events_active = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Check the folders, start filesystem events if available, and start the thread."""
        if self.stable_seconds < 0:
            raise ValueError(f"stable_seconds must be >= 0, got {self.stable_seconds}")
        if self.poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be > 0, got {self.poll_seconds}")
        roots = []
        for folder in self.folders:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise FileNotFoundError(f"{path}: watched folder does not exist")
            roots.append(str(path.resolve()))
        # A folder inside another watched folder adds nothing but a second walk.
        self._roots = [r for r in roots if not any(_inside(r, o) for o in roots if o != r)]
        self._roots = list(dict.fromkeys(self._roots))
        self._suffixes = frozenset(s.lower() for s in self.suffixes)
        if self.use_events:
            self._start_events()
        self._thread = threading.Thread(target=self._run, name="symcat-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            try:
                self._observer.stop()  # type: ignore[attr-defined]
                self._observer.join(timeout)  # type: ignore[attr-defined]
            except Exception as exc:  # never let shutdown fail on the events thread
                log.debug("stopping filesystem events: %s", exc)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def roots(self) -> list[str]:
        return list(self._roots)

    # -- events ------------------------------------------------------------------------------

    def _start_events(self) -> None:
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            log.info("watchdog is not installed; finding files by polling only")
            return

        watcher = self

        class _Handler(FileSystemEventHandler):  # type: ignore[misc]
            def on_any_event(self, event: object) -> None:
                for attr in ("src_path", "dest_path"):
                    path = getattr(event, attr, None)
                    if path:
                        watcher.poke(os.fsdecode(path))

        try:
            observer = Observer()
            for root in self._roots:
                observer.schedule(_Handler(), root, recursive=True)
            observer.daemon = True
            observer.start()
        except Exception as exc:  # e.g. inotify limits, unsupported share: polling still works
            log.warning("filesystem events unavailable (%s); finding files by polling only", exc)
            return
        self._observer = observer
        self.events_active = True

    def poke(self, path: str) -> None:
        """Look at `path` soon (called for filesystem events; safe from any thread)."""
        if os.path.splitext(path)[1].lower() not in self._suffixes:
            return
        with self._dirty_lock:
            self._dirty.add(path)
        self._wake.set()

    # -- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_scan:
                    self._full_scan()
                    next_scan = time.monotonic() + self.poll_seconds
                self._look_at_dirty()
                self._hand_over_stable()
            except Exception:  # a bug here must not stop finding files
                log.exception("watcher pass failed; trying again")
            wait = next_scan - time.monotonic()
            if self._candidates:
                soonest = min(c.changed_at for c in self._candidates.values())
                wait = min(wait, soonest + self.stable_seconds - time.monotonic())
            self._wake.wait(max(0.01, wait))
            self._wake.clear()

    def _observe(self, path: str, size: int, mtime_ns: int, now: float) -> None:
        if self._handed.get(path) == (size, mtime_ns):
            self._candidates.pop(path, None)
            return
        seen = self._candidates.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
            self._candidates[path] = _Candidate(size, mtime_ns, now)

    def _full_scan(self) -> None:
        now = time.monotonic()
        present: set[str] = set()
        for root in self._roots:
            for path, st in _walk(root, self._suffixes):
                present.add(path)
                self._observe(path, st.st_size, st.st_mtime_ns, now)
        for gone in [p for p in self._candidates if p not in present]:
            del self._candidates[gone]
        for gone in [p for p in self._handed if p not in present]:
            del self._handed[gone]  # if it comes back, it is found again

    def _look_at_dirty(self) -> None:
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, set()
        now = time.monotonic()
        for path in dirty:
            if not any(_inside(path, root) for root in self._roots):
                continue
            try:
                st = _stat_path(path)
            except OSError:
                self._candidates.pop(path, None)
                continue
            self._observe(path, st.st_size, st.st_mtime_ns, now)

    def _hand_over_stable(self) -> None:
        now = time.monotonic()
        due = sorted(
            (c.changed_at, p) for p, c in self._candidates.items()
            if now - c.changed_at >= self.stable_seconds
        )
        for _, path in due:
            if self._stop.is_set():
                return
            seen = self._candidates[path]
            try:
                st = _stat_path(path)
            except OSError:
                del self._candidates[path]
                continue
            if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                self._candidates[path] = _Candidate(st.st_size, st.st_mtime_ns, now)
                continue
            found = FoundFile(path, st.st_size, st.st_mtime_ns)
            try:
                self.on_file(found)
            except Exception:
                log.exception("could not hand over %s; it is offered again later",
                              os.fsencode(path).decode("utf-8", "backslashreplace"))
                seen.changed_at = now  # again after another stability period, not in a tight loop
                continue
            del self._candidates[path]
            self._handed[path] = (st.st_size, st.st_mtime_ns)


def _stat_path(path: str) -> os.stat_result:
    """The stat of what a path names; for a broken link, of the link itself."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return os.lstat(path)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
