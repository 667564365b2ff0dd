"""Stored PNG thumbnails as data URIs, for hover tooltips and the scan viewer.

`Catalog.scan` returns a scan's thumbnails but also de-quantizes all its pixels; hover
tooltips need one small image for each of thousands of points, so this reads the stored
PNGs in one query through the catalog's engine. (A `Catalog.thumbnails(ids)` method would
be the better home for that query.)
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from symcat.client import Catalog

# Above this many points, tooltips show metadata only: a data URI per point would make
# the page tens of megabytes.
TOOLTIP_LIMIT = 3000

_FIRST_THUMBNAIL = text(
    "SELECT DISTINCT ON (scan_id) scan_id, thumbnail_png FROM channels "
    "WHERE scan_id = ANY(:ids) AND thumbnail_png IS NOT NULL "
    "ORDER BY scan_id, (name ILIKE 'height%') DESC, index"
).bindparams(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


def data_uri(png: bytes | None) -> str:
    """An `<img src>` value for PNG bytes ('' when there is none)."""
    return "" if not png else "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def height_thumbnails(catalog: Catalog, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """One thumbnail per scan (height channel first) as data URIs; empty above the limit."""
    if not ids or len(ids) > TOOLTIP_LIMIT:
        return {}
    with catalog.engine.connect() as conn:
        rows = conn.execute(_FIRST_THUMBNAIL, {"ids": list(ids)}).all()
    return {row.scan_id: data_uri(row.thumbnail_png) for row in rows}
