"""A durable local queue of found files on the instrument PC (SQLite, WAL).

Every complete file the watcher finds is written here, and committed to disk,
before anything else happens to it; ingest then works from this journal. So a
daemon killed at any moment, or a catalog database that is away for a day,
loses nothing: after a restart the pending entries are simply taken up again,
oldest first. Exactly-once in the catalog comes from the catalog's sha256
unique key: re-ingesting an entry that was stored just before a crash finds
the file already present.

A path is stored as text when it is valid UTF-8, else as its bytes (a BLOB:
file names on Linux are bytes, and need not be UTF-8); `Entry.path` is always
the `str` Python uses for that path (undecodable bytes as surrogates).

One entry per version of a file: (path, size, mtime_ns) is unique, so a file
replaced by new content at the same path becomes a new entry. States:

    pending -> done        catalogued (new) or found already in the catalog (present)
            -> refused     the reader will not catalogue it; terminal, with the reason
            -> superseded  changed or replaced before it was ingested; its newer
                           version has (or will get) an entry of its own
            -> gone        deleted before it could be ingested
            -> failed      could not be read after `max_attempts` tries; terminal
No Postgres here.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

State = Literal["pending", "done", "refused", "superseded", "gone", "failed"]
TERMINAL: tuple[str, ...] = ("done", "refused", "superseded", "gone", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    path            TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    sha256          TEXT,
    state           TEXT    NOT NULL DEFAULT 'pending',
    outcome         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL    NOT NULL,
    last_error      TEXT,
    found_at        REAL    NOT NULL,
    finished_at     REAL,
    UNIQUE (path, size, mtime_ns)
);
CREATE INDEX IF NOT EXISTS entries_pending ON entries (id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS entries_path ON entries (path);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True)
class Entry:
    """One journaled version of one file."""

    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    outcome: str | None = None  # for 'done': 'new' (stored by us) or 'present'


@dataclass(frozen=True)
class OutboxStatus:
    """What `symcat daemon status` shows about the queue."""

    backlog: int
    done: int
    refused: int
    failed: int
    superseded: int
    gone: int
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    oldest_pending_at: float | None


def backoff_seconds(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff: base, 2*base, 4*base, ... never more than `cap`."""
    if attempts <= 0:
        return 0.0
    return min(cap, base * 2.0 ** min(attempts - 1, 30))


class Outbox:
    """The journal; safe to use from several threads of one process."""

    def __init__(self, path: str | os.PathLike[str], *, max_attempts: int = 8) -> None:
        self.path = Path(path)
        self.max_attempts = max_attempts
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so each call is one
        # transaction that is on disk when the call returns.
        self._conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an entry survives a power cut of the instrument PC, not only a crash.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------

    def journal(
        self, path: str, size: int, mtime_ns: int, *, now: float | None = None
    ) -> int | None:
        """Record a found file version; returns its new id, or None if it was already known.

        Older pending entries of the same path are superseded: only the newest
        version of a path is worth ingesting.
        """
        now = time.time() if now is None else now
        with self._tx() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO entries (path, size, mtime_ns, next_attempt_at, found_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (_stored(path), size, mtime_ns, now, now),
            )
            if cursor.rowcount == 0:
                return None
            new_id = int(cursor.lastrowid or 0)
            conn.execute(
                "UPDATE entries SET state = 'superseded', finished_at = ? "
                "WHERE path = ? AND state = 'pending' AND id < ?",
                (now, _stored(path), new_id),
            )
            return new_id

    def set_sha256(self, entry_id: int, sha256: str) -> None:
        """Remember the content hash before the catalog is asked about it."""
        with self._tx() as conn:
            conn.execute("UPDATE entries SET sha256 = ? WHERE id = ?", (sha256, entry_id))

    def finish(
        self,
        entry_id: int,
        state: State,
        *,
        outcome: str | None = None,
        sha256: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Move an entry to a terminal state (for 'refused', `reason` says why)."""
        if state not in TERMINAL:
            raise ValueError(f"expected a terminal state {TERMINAL}, got {state!r}")
        with self._tx() as conn:
            conn.execute(
                "UPDATE entries SET state = ?, outcome = ?, sha256 = coalesce(?, sha256), "
                "last_error = coalesce(?, last_error), attempts = attempts + 1, "
                "finished_at = ? WHERE id = ?",
                (state, outcome, sha256, reason, time.time(), entry_id),
            )

    def supersede_refused(self, path: str, before_id: int) -> int:
        """A later version of `path` was catalogued: its earlier refused versions (a slow
        writer's half-written file) are superseded, not refusals any more."""
        with self._tx() as conn:
            return conn.execute(
                "UPDATE entries SET state = 'superseded' "
                "WHERE path = ? AND state = 'refused' AND id < ?",
                (_stored(path), before_id),
            ).rowcount

    def retry_later(self, entry_id: int, error: str, *, now: float | None = None) -> State:
        """A problem with this file (e.g. locked by the instrument software): back off.

        Returns the entry's new state: 'pending', or 'failed' after `max_attempts`.
        """
        now = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute("SELECT attempts FROM entries WHERE id = ?", (entry_id,)).fetchone()
            attempts = (row[0] if row else 0) + 1
            state: State = "failed" if attempts >= self.max_attempts else "pending"
            conn.execute(
                "UPDATE entries SET attempts = ?, last_error = ?, state = ?, "
                "next_attempt_at = ?, finished_at = ? WHERE id = ?",
                (attempts, error, state, now + backoff_seconds(attempts),
                 now if state == "failed" else None, entry_id),
            )
            self._set_meta(conn, "last_error", error)
            self._set_meta(conn, "last_error_at", repr(now))
            return state

    def note_error(self, entry_id: int | None, error: str) -> None:
        """A problem that is not the file's (the catalog is away): count it, keep the order."""
        now = time.time()
        with self._tx() as conn:
            if entry_id is not None:
                conn.execute(
                    "UPDATE entries SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                    (error, entry_id),
                )
            self._set_meta(conn, "last_error", error)
            self._set_meta(conn, "last_error_at", repr(now))

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            self._set_meta(conn, key, value)

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- reading ---------------------------------------------------------------------------

    def next_due(self, *, now: float | None = None) -> Entry | None:
        """The oldest pending entry whose retry time has come."""
        now = time.time() if now is None else now
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE state = 'pending' "
                "AND next_attempt_at <= ? ORDER BY id LIMIT 1",
                (now,),
            ).fetchone()
        return _entry(row) if row else None

    def next_attempt_at(self) -> float | None:
        """When the earliest pending entry may be tried, or None if nothing is pending."""
        with self._lock:
            row = self._conn.execute(
                "SELECT min(next_attempt_at) FROM entries WHERE state = 'pending'"
            ).fetchone()
        return row[0] if row else None

    def entries(self, *, state: str | None = None) -> list[Entry]:
        query = f"SELECT {_COLUMNS} FROM entries"
        args: tuple[object, ...] = ()
        if state is not None:
            query += " WHERE state = ?"
            args = (state,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY id", args).fetchall()
        return [_entry(row) for row in rows]

    def recent_refusals(self, limit: int = 20) -> list[tuple[str, str | None]]:
        """The latest refused entries: (path, reason), newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, last_error FROM entries WHERE state = 'refused' "
                "ORDER BY finished_at DESC, id DESC LIMIT ?", (limit,),
            ).fetchall()
        return [(_loaded(path), reason) for path, reason in rows]

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def status(self) -> OutboxStatus:
        with self._lock:
            counts = dict(
                self._conn.execute("SELECT state, count(*) FROM entries GROUP BY state").fetchall()
            )
            last_success = self._conn.execute(
                "SELECT max(finished_at) FROM entries WHERE state = 'done'"
            ).fetchone()[0]
            oldest = self._conn.execute(
                "SELECT min(found_at) FROM entries WHERE state = 'pending'"
            ).fetchone()[0]
        error_at = self.get_meta("last_error_at")
        return OutboxStatus(
            backlog=counts.get("pending", 0),
            done=counts.get("done", 0),
            refused=counts.get("refused", 0),
            failed=counts.get("failed", 0),
            superseded=counts.get("superseded", 0),
            gone=counts.get("gone", 0),
            last_success_at=last_success,
            last_error=self.get_meta("last_error"),
            last_error_at=float(error_at) if error_at else None,
            oldest_pending_at=oldest,
        )


def _stored(path: str) -> str | bytes:
    """The path as SQLite can hold it: text if it is valid UTF-8, else its bytes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def _loaded(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _entry(row: tuple[object, ...]) -> Entry:
    return Entry(row[0], _loaded(row[1]), *row[2:])  # type: ignore[arg-type]


_COLUMNS = (
    "id, path, size, mtime_ns, sha256, state, attempts, next_attempt_at, last_error, outcome"
)
