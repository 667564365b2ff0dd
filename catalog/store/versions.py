"""File versions: a file replaced at the same path by new content is a new scan, linked back.

A version is recognised in the catalog itself (same instrument, same source
path, different content), not in a daemon's local state, so the link is right
even after the daemon's outbox was lost or another PC catalogued the old file.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, select, update

from symcat.store.models import Scan


def link_previous_version(conn: Connection, scan_id: uuid.UUID) -> uuid.UUID | None:
    """Point `scan_id` at the latest other scan of its path and instrument; returns that id.

    Runs in the caller's transaction (the one that stored the scan), so a scan
    is never visible without its link. Leaves an existing link alone.
    """
    this = conn.execute(
        select(Scan.source_path, Scan.instrument, Scan.file_name, Scan.previous_version_id)
        .where(Scan.id == scan_id)
    ).one()
    if this.previous_version_id is not None:
        return this.previous_version_id
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
    if previous is not None:
        conn.execute(update(Scan).where(Scan.id == scan_id).values(previous_version_id=previous))
    return previous
