"""`symcat daemon status`: what this PC's daemon is doing, read from its outbox alone.

Reads only local files, so it answers while the catalog database is away,
which is exactly when people ask.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from symcat.config import Settings
from symcat.daemon.lock import holder
from symcat.daemon.service import daemon_dir, outbox_path
from symcat.ingest.files import display_path
from symcat.ingest.outbox import Outbox


def daemon_status(settings: Settings) -> dict[str, Any]:
    """Running or not, backlog, last success, last error, refused and failed counts, and
    the latest refused files with their reasons."""
    path = outbox_path(settings)
    pid = holder(daemon_dir(settings) / "daemon.lock")
    if not path.exists():
        return {"outbox": str(path), "running": pid is not None, "pid": pid, "journaled": 0}
    outbox = Outbox(path)
    try:
        status = asdict(outbox.status())
        watch = outbox.get_meta("watch")
        started = outbox.get_meta("started_at")
        refusals = [{"path": display_path(path), "reason": reason}
                    for path, reason in outbox.recent_refusals()]
    finally:
        outbox.close()
    for key in ("last_success_at", "last_error_at", "oldest_pending_at"):
        status[key] = _iso(status[key])
    return {
        "outbox": str(path),
        "running": pid is not None,
        "pid": pid,
        "watch": watch.split(os.pathsep) if watch else [],
        "started_at": _iso(float(started)) if started else None,
        **status,
        "recent_refusals": refusals,
    }



def _iso(value: float | None) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds") if value else None
