"""The outbox journal: one entry per file version, order kept, retries bounded, durable."""

from __future__ import annotations

from pathlib import Path

import pytest

from symcat.ingest.outbox import Outbox, backoff_seconds


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_seconds(n, base=1.0, cap=10.0) for n in range(6)] == [0, 1, 2, 4, 8, 10]


def test_a_version_is_journaled_once_and_a_newer_one_supersedes_it(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite3")
    first = box.journal("/d/a.ibw", 10, 1)
    assert first is not None
    assert box.journal("/d/a.ibw", 10, 1) is None  # seen again: nothing new
    second = box.journal("/d/a.ibw", 20, 2)
    other = box.journal("/d/b.ibw", 5, 1)
    states = {(e.path, e.size): e.state for e in box.entries()}
    assert states == {("/d/a.ibw", 10): "superseded", ("/d/a.ibw", 20): "pending",
                      ("/d/b.ibw", 5): "pending"}
    assert [box.next_due().id for _ in range(2)] == [second, second]  # oldest first
    box.finish(second, "done", outcome="new", sha256="ab" * 32)
    assert box.next_due().id == other
    box.close()
    reopened = Outbox(tmp_path / "outbox.sqlite3")  # durable across processes
    assert reopened.status().done == 1 and reopened.status().backlog == 1


def test_a_file_that_cannot_be_read_backs_off_then_fails(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite3", max_attempts=3)
    locked = box.journal("/d/locked.ibw", 1, 1, now=100.0)
    fine = box.journal("/d/fine.ibw", 1, 1, now=100.0)
    assert box.retry_later(locked, "locked", now=100.0) == "pending"
    assert box.next_due(now=100.5).id == fine  # the others go on meanwhile
    assert box.next_due(now=101.0).id == locked  # after 1 s backoff
    assert box.retry_later(locked, "locked", now=101.0) == "pending"
    assert box.next_due(now=102.5).id == fine  # now 2 s backoff
    assert box.retry_later(locked, "still locked", now=103.0) == "failed"
    status = box.status()
    assert status.failed == 1 and status.last_error == "still locked"


def test_catalog_errors_keep_the_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite3")
    first = box.journal("/d/1.ibw", 1, 1)
    box.journal("/d/2.ibw", 1, 1)
    box.note_error(first, "OperationalError: server closed the connection")
    entry = box.next_due()
    assert entry.id == first and entry.attempts == 1 and entry.last_error
    with pytest.raises(ValueError, match="terminal"):
        box.finish(first, "pending")  # type: ignore[arg-type]
