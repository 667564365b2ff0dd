"""File versions: a file replaced at the same path by new content is a new scan, linked back.

A version is recognised in the catalog itself (same instrument, same source
path, different content), not in a daemon's local state, so the link is right
even after the daemon's outbox was lost or another PC catalogued the old file.

`path_versions` records which content each path held, in order, also when a
path returns to an older content (A, B, A: the scan of A is not stored twice,
one scan per sha256). A new content's previous version is the content the path
held just before it (A, B, A, C: C follows A, not B).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select, update

from symcat.store.models import PathVersion, Scan


def record_path_version(
    conn: Connection, scan_id: uuid.UUID, source_path: str, instrument: str
) -> bool:
    """Note that `source_path` now holds `scan_id`'s file; False when it already did."""
    latest = _latest_at(conn, source_path, instrument)
    if latest == scan_id:
        return False
    conn.execute(insert(PathVersion).values(scan_id=scan_id, source_path=source_path,
                                            instrument=instrument))
    return True


def _latest_at(conn: Connection, source_path: str, instrument: str) -> uuid.UUID | None:
    return conn.execute(
        select(PathVersion.scan_id)
        .where(PathVersion.instrument == instrument, PathVersion.source_path == source_path)
        .order_by(PathVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def link_previous_version(conn: Connection, scan_id: uuid.UUID) -> uuid.UUID | None:
    """Point `scan_id` at the content its path held before; returns that scan's id.

    Runs in the caller's transaction (the one that stored the scan), so a scan
    is never visible without its link. Leaves an existing link alone. The
    path's history decides; a catalog from before it (no history for this
    path) falls back to the latest other scan of the path and instrument.
    """
    this = conn.execute(
        select(Scan.source_path, Scan.instrument, Scan.file_name, Scan.previous_version_id)
        .where(Scan.id == scan_id)
    ).one()
    previous = this.previous_version_id
    if previous is None:
        previous = _latest_at(conn, this.source_path, this.instrument)
    if previous is None:
        previous = conn.execute(
            select(Scan.id)
            .where(
                Scan.file_name == this.file_name,  # indexed; narrows before the path compare
                Scan.source_path == this.source_path,
                Scan.instrument == this.instrument,
                Scan.id != scan_id,
            )
            .order_by(Scan.ingested_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    if previous == scan_id:
        previous = None
    if previous is not None and this.previous_version_id is None:
        conn.execute(update(Scan).where(Scan.id == scan_id).values(previous_version_id=previous))
    record_path_version(conn, scan_id, this.source_path, this.instrument)
    return previous
