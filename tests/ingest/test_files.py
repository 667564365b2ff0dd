"""Only regular files are read, in bounded time and memory; names need not be UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

from symcat.ingest.files import NotRead, display_path, path_bytes, read_regular, walk
from symcat.ingest.read import read_file
from symcat.ingest.records import Refused


def test_special_paths_are_refused_without_blocking_or_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.ibw")  # opening it for reading would block forever
    os.symlink("/dev/zero", tmp_path / "zero.ibw")  # reading it would never end
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.ibw")
    os.symlink(tmp_path / "fifo.ibw", tmp_path / "to-fifo.ibw")
    expected = {
        "fifo.ibw": "a FIFO (named pipe), not a regular file",
        "zero.ibw": "symbolic link to /dev/zero, which is a character device",
        "broken.ibw": f"broken symbolic link (to {tmp_path / 'nowhere'})",
        "to-fifo.ibw": "which is a FIFO (named pipe), not a regular file",
    }
    for name, words in expected.items():
        got = read_regular(str(tmp_path / name))
        assert isinstance(got, NotRead) and words in got.reason and not got.transient, got


def test_size_limit_refuses_before_reading(tmp_path: Path) -> None:
    (tmp_path / "big.ibw").write_bytes(b"x" * 101)
    (tmp_path / "ok.ibw").write_bytes(b"x" * 100)
    got = read_regular(str(tmp_path / "big.ibw"), max_bytes=100)
    assert isinstance(got, NotRead) and "larger than the 100-byte limit" in got.reason
    assert read_regular(str(tmp_path / "ok.ibw"), max_bytes=100) == b"x" * 100
    refused = read_file(tmp_path / "big.ibw", max_bytes=100)
    assert isinstance(refused, Refused) and "SYMCAT_MAX_FILE_BYTES" in refused.reason


def test_non_utf8_names_are_shown_with_escapes_and_kept_as_bytes(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.ibw"
    name = os.fsdecode(raw)
    with open(raw, "wb") as f:
        f.write(b"not igor")
    assert display_path(name) == f"{tmp_path}/caf\\xe9.ibw"
    assert path_bytes(name) == raw and path_bytes(str(tmp_path)) is None
    refused = read_file(name)
    assert isinstance(refused, Refused)
    assert refused.path == f"{tmp_path}/caf\\xe9.ibw" and refused.path_bytes == raw
    assert walk(str(tmp_path), frozenset({".ibw"})).files == [name]
