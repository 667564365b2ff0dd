"""Stored PNG thumbnails as data URIs, for hover tooltips and the scan viewer.

`Catalog.scan` returns a scan's thumbnails but also de-quantizes all its pixels; hover
tooltips need one small image for each of thousands of points: `Catalog.thumbnails`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence

from symcat.client import Catalog

# Above this many points, tooltips show metadata only: a data URI per point would make
# the page tens of megabytes.
TOOLTIP_LIMIT = 3000



def data_uri(png: bytes | None) -> str:
    """An `<img src>` value for PNG bytes ('' when there is none)."""
    return "" if not png else "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def height_thumbnails(catalog: Catalog, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """One thumbnail per scan (height channel first) as data URIs; empty above the limit."""
    if not ids or len(ids) > TOOLTIP_LIMIT:
        return {}
    return {scan_id: data_uri(png) for scan_id, png in catalog.thumbnails(ids).items()}
