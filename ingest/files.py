"""Read a file only when it is a regular file, in bounded time and memory.

A watched folder can hold anything a user or a program puts there: a FIFO
(opening it blocks until a writer appears), a link to `/dev/zero` (reads
never end), a socket, a broken link, a file nobody may read. Each is refused
with a reason a person can act on, never read blindly:

* the path is stat-ed first (following a link, and saying so when the link
  is broken or leads to something that is not a regular file);
* the open uses O_NONBLOCK, so even a file that became a FIFO between the
  stat and the open cannot block, and the opened file is checked again with
  fstat (the thing read is the thing checked);
* at most `max_bytes` + 1 bytes are read: a file larger than the limit is
  refused, whatever its size claimed.

File names need not be UTF-8 (Linux names are bytes); `display_path` shows
such a name readably, with backslash escapes, and `path_bytes` keeps the bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

# A larger file is refused before it is read; real .ibw images are a few MB.
DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024
_CHUNK = 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


@dataclass(frozen=True)
class NotRead:
    """Why a path was not read; `transient` when a later try may succeed (the file
    vanished or changed, an I/O error on a share), not for what the path *is*."""

    reason: str
    transient: bool = False


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as valid UTF-8 text: undecodable bytes appear as `\\xNN` escapes."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def path_bytes(path: str | os.PathLike[str]) -> bytes | None:
    """The path's bytes when its name is not valid UTF-8 (else None: the text says it all)."""
    raw = os.fsencode(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return None


def kind_of(mode: int) -> str:
    """'a regular file', 'a FIFO (named pipe)', ... for a stat mode."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def check_regular(path: str) -> os.stat_result | NotRead:
    """The stat of `path` (following links) when it is a regular file, else why not."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return NotRead("cannot read the file: No such file or directory", transient=True)
    except OSError as exc:
        return os_reason(exc, "cannot look at the file")
    is_link = stat.S_ISLNK(link.st_mode)
    try:
        st = os.stat(path) if is_link else link
    except FileNotFoundError:
        target = _readlink(path)
        return NotRead(f"broken symbolic link (to {target}): nothing to read")
    except OSError as exc:
        return os_reason(exc, "cannot follow the symbolic link")
    if not stat.S_ISREG(st.st_mode):
        what = kind_of(st.st_mode)
        if is_link:
            return NotRead(f"symbolic link to {_readlink(path)}, which is {what}, "
                           "not a regular file; not read")
        return NotRead(f"{what}, not a regular file; not read")
    return st


def read_regular(path: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes | NotRead:
    """The bytes of a regular file of at most `max_bytes`, or why it was not read."""
    checked = check_regular(path)
    if isinstance(checked, NotRead):
        return checked
    if checked.st_size > max_bytes:
        return _too_large(checked.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return NotRead("cannot read the file: No such file or directory", transient=True)
    except OSError as exc:
        return os_reason(exc, "cannot open the file")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            return NotRead(f"{kind_of(st.st_mode)}, not a regular file; not read")
        if st.st_size > max_bytes:
            return _too_large(st.st_size, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                return _too_large(total, max_bytes, grew=True)
        return b"".join(chunks)
    except OSError as exc:
        return os_reason(exc, "cannot read the file")
    finally:
        os.close(fd)


def _too_large(size: int, limit: int, *, grew: bool = False) -> NotRead:
    what = "grew past" if grew else f"is {size} bytes, larger than"
    return NotRead(f"file {what} the {limit}-byte limit (SYMCAT_MAX_FILE_BYTES); not read")


def os_reason(exc: OSError, doing: str) -> NotRead:
    """An OS error as a reason; permission problems are not transient (except on Windows)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        # On Windows the instrument software's lock looks the same: worth another try there.
        return NotRead(f"{doing}: permission denied (give the symcat user read access)",
                       transient=os.name == "nt")
    if exc.errno == errno.ELOOP:
        return NotRead(f"{doing}: too many levels of symbolic links")
    # Anything else (EIO on a share, EAGAIN, a locked file on Windows) may pass.
    return NotRead(f"{doing}: {exc.strerror or exc}", transient=True)


def _readlink(path: str) -> str:
    try:
        return display_path(os.readlink(path))
    except OSError:
        return "?"


@dataclass(frozen=True)
class Listing:
    """What a folder walk found: candidate files (any kind, with a wanted suffix), how
    many other files there were, and folders that could not be listed, with why."""

    files: list[str]
    others: int
    unlisted: list[tuple[str, str]]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def scan_tree(root: str, suffixes: frozenset[str]
              ) -> Iterator[tuple[str, os.DirEntry[str] | None, OSError | None]]:
    """The one folder walk of ingest and the watcher: for each entry under `root`,
    ("file", entry, None) when its name has a wanted suffix, whatever its kind;
    ("other", entry, None) for any other non-folder; ("unlisted", None, error) for a
    folder that cannot be listed (its path in `error.filename`).

    Links to folders are not followed (no loops); a link, FIFO or device named like a
    data file is a "file", so that it can be refused with a reason rather than skipped
    in silence.
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        stack.append(entry.path)
                    elif os.path.splitext(entry.name)[1].lower() in suffixes:
                        yield "file", entry, None
                    elif not _is_dir(entry):  # a link to a folder is not an "other file"
                        yield "other", entry, None
        except OSError as exc:
            exc.filename = folder
            yield "unlisted", None, exc


def walk(root: str, suffixes: frozenset[str]) -> Listing:
    """Every non-folder entry under `root` with a wanted suffix, whatever its kind
    (`scan_tree`), how many other files there were, and the folders that could not be
    listed, with why."""
    files: list[str] = []
    others = 0
    unlisted: list[tuple[str, str]] = []
    for what, entry, error in scan_tree(root, suffixes):
        if what == "file" and entry is not None:
            files.append(entry.path)
        elif what == "other":
            others += 1
        elif error is not None:
            unlisted.append((str(error.filename),
                             os_reason(error, "cannot list the folder").reason))
    return Listing(sorted(files), others, unlisted)
