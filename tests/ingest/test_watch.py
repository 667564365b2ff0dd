"""The watcher: complete files only, each version once, with and without filesystem events."""

from __future__ import annotations

import contextlib
import queue
import time
from pathlib import Path

import pytest

from symcat.ingest.watch import FoundFile, Watcher


def _collect(folder: Path, *, events: bool, stable: float = 0.4, **kwargs):
    found: queue.Queue[FoundFile] = queue.Queue()
    watcher = Watcher([folder, *kwargs.pop("also", [])], found.put, stable_seconds=stable,
                      poll_seconds=0.1, use_events=events, **kwargs)
    watcher.start()
    return watcher, found


def _drain(found: queue.Queue[FoundFile], wait: float) -> list[FoundFile]:
    out = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            out.append(found.get(timeout=0.05))
    return out


@pytest.mark.parametrize("events", [True, False], ids=["events", "polling"])
def test_a_growing_file_is_handed_over_once_when_complete(tmp_path: Path, events: bool) -> None:
    watcher, found = _collect(tmp_path, events=events, stable=0.8)
    try:
        target = tmp_path / "sub" / "growing.IBW"
        target.parent.mkdir()
        with open(target, "wb") as f:
            for _ in range(8):  # pauses shorter than the stability period
                f.write(b"x" * 1000)
                f.flush()
                time.sleep(0.1)
        (tmp_path / "notes.txt").write_text("not an ibw")
        first = found.get(timeout=10)
        assert (first.path, first.size) == (str(target), 8000)
        assert _drain(found, 1.0) == []  # once
        target.write_bytes(b"y" * 100)  # a new version of the same path
        second = found.get(timeout=10)
        assert (second.path, second.size) == (str(target), 100)
    finally:
        watcher.stop()


def test_files_present_at_start_are_found_and_overlapping_folders_count_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").mkdir()
    for i in range(3):
        (tmp_path / "a" / f"{i}.ibw").write_bytes(b"z")
    watcher, found = _collect(tmp_path, events=True, stable=0.1, also=[tmp_path / "a"])
    try:
        got = _drain(found, 1.5)
    finally:
        watcher.stop()
    assert sorted(f.path for f in got) == [str(tmp_path / "a" / f"{i}.ibw") for i in range(3)]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    watcher = Watcher([tmp_path / "nope"], lambda f: None)
    with pytest.raises(FileNotFoundError, match="watched folder does not exist"):
        watcher.start()
