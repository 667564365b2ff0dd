"""Stored channel thumbnails of many scans in one query (maps, tooltips, figures)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Engine, any_, bindparam, case, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, distinct_on

from symcat.store.models import Channel


def thumbnails(
    engine: Engine, ids: Sequence[uuid.UUID], channel: str | None = None
) -> dict[uuid.UUID, bytes]:
    """One PNG per scan: the channel whose name contains `channel` (case-insensitive),
    else the scan's first channel (height in Asylum files). Scans without one are absent."""
    if not ids:
        return {}
    wanted = bindparam("ids", list(ids), type_=ARRAY(UUID(as_uuid=True)))
    order = [Channel.scan_id]
    if channel:
        named = Channel.name.ilike(f"%{_escape(channel)}%", escape="\\")
        order.append(case((named, 0), else_=1))
    query = (
        select(Channel.scan_id, Channel.thumbnail_png)
        .where(Channel.scan_id == any_(wanted), Channel.thumbnail_png.is_not(None))
        .order_by(*order, Channel.index)
        .ext(distinct_on(Channel.scan_id))
    )
    with engine.connect() as conn:
        return {scan_id: png for scan_id, png in conn.execute(query)}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
