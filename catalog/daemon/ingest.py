"""One outbox entry into the catalog: check the file is the version journaled, hash, store.

Unlike `symcat.pipeline.ingest_file`, a file that cannot be read *now* (locked
by the instrument software, share offline) is not refused but retried, a file
that changed since it was found is left to its newer entry, and a new version
of a path is linked to the scan it replaced, in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, select

from symcat.ingest.outbox import Entry, Outbox
from symcat.ingest.read import read_file
from symcat.ingest.site import SiteConfig
from symcat.store.load import known_status, store_result
from symcat.store.models import Refusal
from symcat.store.versions import link_previous_version


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


def _read_if_unchanged(entry: Entry) -> bytes | EntryResult:
    try:
        before = os.stat(entry.path)
    except FileNotFoundError:
        return EntryResult("gone", reason="deleted before it was ingested")
    except OSError as exc:
        raise FileProblem(f"cannot stat the file: {exc.strerror or exc}") from exc
    journaled = (entry.size, entry.mtime_ns)
    if (before.st_size, before.st_mtime_ns) != journaled:
        return EntryResult("superseded", reason="changed after it was found")
    try:
        with open(entry.path, "rb") as f:
            content = f.read()
        after = os.stat(entry.path)
    except FileNotFoundError:
        return EntryResult("gone", reason="deleted before it was ingested")
    except OSError as exc:
        raise FileProblem(f"cannot read the file: {exc.strerror or exc}") from exc
    if (after.st_size, after.st_mtime_ns) != journaled or len(content) != entry.size:
        return EntryResult("superseded", reason="changed while it was read")
    return content


def ingest_entry(engine: Engine, outbox: Outbox, entry: Entry, site: SiteConfig) -> EntryResult:
    """Ingest one journaled file version in one catalog transaction.

    Raises `FileProblem` (retry this file later) or a database error (the
    catalog is away or refuses us: retry everything later, in order).
    """
    content = _read_if_unchanged(entry)
    if isinstance(content, EntryResult):
        return content
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
        return EntryResult("done", "present", sha)
    result = read_file(entry.path, site, data=content, file_sha256=sha)
    site_name, instrument = site.site or "local", site.instrument or "unknown"
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
