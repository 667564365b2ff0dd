"""One outbox entry into the catalog: check the file is the version journaled, hash, store.

Only regular files are read (`ingest.files`): a FIFO, a device, a broken link,
an unreadable file or folder is refused, with its reason, in the catalog and
the outbox. Unlike `symcat.pipeline.ingest_file`, a file that cannot be read
*now* (locked by the instrument software, share offline) is not refused but
retried, a file
that changed since it was found is left to its newer entry, and a new version
of a path is linked to the scan it replaced, in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, select

from symcat.ingest.files import (
    DEFAULT_MAX_FILE_BYTES,
    NotRead,
    check_regular,
    display_path,
    os_reason,
    path_bytes,
    read_regular,
)
from symcat.ingest.outbox import Entry, Outbox
from symcat.ingest.read import read_file
from symcat.ingest.records import Refused
from symcat.ingest.site import SiteConfig
from symcat.store.load import known_status, store_refusal, store_result
from symcat.store.models import Refusal, Scan
from symcat.store.versions import link_previous_version, record_path_version


class FileProblem(Exception):
    """The file cannot be read at the moment; worth another try later."""


@dataclass(frozen=True)
class EntryResult:
    """What became of an entry: the outbox state and, for 'done', new or present."""

    state: Literal["done", "refused", "superseded", "gone"]
    outcome: str | None = None
    sha256: str | None = None
    scan_id: str | None = None
    previous_version_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Refuse:
    """The path is not something to read (a FIFO, a broken link, no permission...)."""

    reason: str


def _not_read(entry: Entry, problem: NotRead) -> EntryResult | _Refuse:
    if not os.path.lexists(entry.path):
        return EntryResult("gone", reason="deleted before it was ingested")
    # The watcher hands over real folders it cannot list (a link to a folder named like
    # a data file is refused like any other link to something that is not a file).
    if os.path.isdir(entry.path) and not os.path.islink(entry.path):
        try:
            with os.scandir(entry.path):
                pass
        except OSError as exc:
            return _Refuse(os_reason(exc, "cannot list the folder").reason)
        return EntryResult("superseded", reason="the folder can be listed again")
    if problem.transient:
        raise FileProblem(problem.reason)
    return _Refuse(problem.reason)


def _read_if_unchanged(entry: Entry, max_bytes: int) -> bytes | EntryResult | _Refuse:
    """The journaled version's bytes; never blocks, never reads more than `max_bytes`."""
    checked = check_regular(entry.path)
    if isinstance(checked, NotRead):
        return _not_read(entry, checked)
    journaled = (entry.size, entry.mtime_ns)
    if (checked.st_size, checked.st_mtime_ns) != journaled:
        return EntryResult("superseded", reason="changed after it was found")
    content = read_regular(entry.path, max_bytes)
    if isinstance(content, NotRead):
        return _not_read(entry, content)
    try:
        after = os.stat(entry.path)
    except FileNotFoundError:
        return EntryResult("gone", reason="deleted before it was ingested")
    except OSError as exc:
        raise FileProblem(f"cannot stat the file: {exc.strerror or exc}") from exc
    if (after.st_size, after.st_mtime_ns) != journaled or len(content) != entry.size:
        return EntryResult("superseded", reason="changed while it was read")
    return content


def ingest_entry(
    engine: Engine, outbox: Outbox, entry: Entry, site: SiteConfig,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> EntryResult:
    """Ingest one journaled file version in one catalog transaction.

    Raises `FileProblem` (retry this file later) or a database error (the
    catalog is away or refuses us: retry everything later, in order).
    """
    content = _read_if_unchanged(entry, max_bytes)
    if isinstance(content, EntryResult):
        return content
    site_name, instrument = site.site or "local", site.instrument or "unknown"
    if isinstance(content, _Refuse):
        refused = Refused(display_path(entry.path), None, content.reason, None,
                          path_bytes(entry.path))
        with engine.begin() as conn:
            store_refusal(conn, refused, site=site_name, instrument=instrument)
        return EntryResult("refused", "refused", None, reason=content.reason)
    sha = hashlib.sha256(content).hexdigest()
    if entry.sha256 != sha:
        outbox.set_sha256(entry.id, sha)
    with engine.connect() as conn:
        status = known_status(conn, sha)
        if status == "refused":
            reason = conn.execute(
                select(Refusal.reason).where(Refusal.file_sha256 == sha)
            ).scalar_one_or_none()
            return EntryResult("refused", "refused", sha, reason=reason)
    if status == "present":
        with engine.begin() as conn:  # the path may hold an older content again (A, B, A)
            scan_id = conn.execute(select(Scan.id).where(Scan.file_sha256 == sha)).scalar_one()
            record_path_version(conn, scan_id, display_path(entry.path), instrument)
        return EntryResult("done", "present", sha)
    result = read_file(entry.path, site, data=content, file_sha256=sha)
    with engine.begin() as conn:
        outcome = store_result(conn, result, content, site=site_name, instrument=instrument)
        if outcome.status == "refused":
            return EntryResult("refused", "refused", sha, reason=outcome.reason)
        if outcome.status != "new" or outcome.scan_id is None:
            return EntryResult("done", outcome.status, sha)
        previous = link_previous_version(conn, outcome.scan_id)
    return EntryResult(
        "done", "new", sha, scan_id=str(outcome.scan_id),
        previous_version_id=str(previous) if previous else None,
    )
