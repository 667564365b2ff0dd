"""HTTP routes beside the Bokeh app: lazily fetched thumbnails (per scan, or per point of
a registered map), a point's metadata card for tooltips, and the original file of a scan.

They answer only what the dashboard page may see: when the server requires a token, the
same token (query argument or cookie) is required here.
"""

from __future__ import annotations

import hmac
import html
import uuid
from functools import lru_cache
from typing import Any

import pandas as pd
from tornado.web import HTTPError, RequestHandler

from symcat.client import Catalog, ScanNotFound
from symcat.lengths import known_cell
from symcat.query.listing import SYMMETRY_COLUMNS
from symcat.render.channels import ROLES, role_needle
from symcat.serve.registry import MAPS

COOKIE = "symcat_token"
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


class _Base(RequestHandler):
    def initialize(self, catalog: Catalog, token: str | None) -> None:
        self.catalog, self.token = catalog, token

    def prepare(self) -> None:
        if self.token is None:
            return
        given = self.get_argument("token", None) or self.get_cookie(COOKIE)
        if given is None or not hmac.compare_digest(given, self.token):
            raise HTTPError(403, reason="symcat dashboard: token required")

    def _png(self, png: bytes | None) -> None:
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, max-age=3600")
        self.finish(png or BLANK_PNG)

    def thumbnail(self, scan_id: uuid.UUID, role: str) -> bytes | None:
        if role not in ROLES:
            raise HTTPError(404, reason=f"unknown channel {role!r}; one of {', '.join(ROLES)}")
        return _thumbnail(self.catalog, scan_id, role)


@lru_cache(maxsize=20_000)
def _thumbnail(catalog: Catalog, scan_id: uuid.UUID, role: str) -> bytes | None:
    return catalog.thumbnails([scan_id], role_needle(role)).get(scan_id)


def _scan_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise HTTPError(404, reason="not a scan id") from exc


class ThumbnailHandler(_Base):
    """GET /thumb/<scan id>/<role>.png"""

    def get(self, scan_id: str, role: str) -> None:
        self._png(self.thumbnail(_scan_id(scan_id), role))


class PointThumbnailHandler(_Base):
    """GET /map/<key>/<index>/<role>.png: the thumbnail of point `index` of a map."""

    def get(self, key: str, index: str, role: str) -> None:
        row = MAPS.row(key, int(index))
        self._png(None if row is None else self.thumbnail(row["id"], role))


class PointCardHandler(_Base):
    """GET /map/<key>/<index>.svg: a point's metadata as a small picture (tooltips)."""

    def get(self, key: str, index: str) -> None:
        row = MAPS.row(key, int(index))
        lines = [] if row is None else card_lines(row, self.get_argument("colour", None))
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "private, max-age=600")
        self.finish(card_svg(lines))


class OriginalHandler(_Base):
    """GET /original/<scan id>: the original file, byte for byte, as a download."""

    def get(self, scan_id: str) -> None:
        key = _scan_id(scan_id)
        try:
            content = self.catalog.original_bytes(key)
            name = self.catalog.scans(id=[key])["file_name"].iloc[0]
        except (ScanNotFound, LookupError, IndexError) as exc:
            raise HTTPError(404, reason="no such scan") from exc
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(name)) or "scan"
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{safe}"')
        self.finish(content)


def card_lines(row: pd.Series, colour: str | None) -> list[str]:
    size = row.get("scan_size_x_m")
    acquired = pd.to_datetime(row.get("acquired_at"), errors="coerce", utc=True)
    lines = [str(row.get("file_name") or ""),
             f"sample: {_text(row.get('sample_name'))} · {_text(row.get('material'))}",
             f"mode: {_text(row.get('imaging_mode'))} · site: {_text(row.get('site'))}",
             f"size: {size * 1e6:.2f} µm" if isinstance(size, float) and size == size else
             "size: ?",
             "acquired: " + ("" if pd.isna(acquired) else acquired.strftime("%Y-%m-%d %H:%M"))]
    group = row.get("symmetry")
    if isinstance(group, str):
        p = row.get("symmetry_p")
        lines.append(f"plane group: {group}" + ("" if group == "none" or pd.isna(p)
                                                 else f" (p {p:.2f})"))
    if (cell := known_cell(row.get("lattice_a_m"), row.get("lattice_b_m"))) is not None:
        lines.append(f"cell: {cell}")
    if colour and colour in row.index and colour not in SYMMETRY_COLUMNS:
        lines.append(f"{colour}: {_text(row.get(colour))}")
    return lines


def card_svg(lines: list[str]) -> str:
    height = 8 + 15 * max(len(lines), 1)
    texts = "".join(
        f'<text x="4" y="{15 * (i + 1)}" font-weight="{"bold" if i == 0 else "normal"}">'
        f"{html.escape(line[:60])}</text>" for i, line in enumerate(lines))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="250" height="{height}" '
            f'font-family="sans-serif" font-size="11">{texts}</svg>')


def _text(value: Any) -> str:
    return "?" if value is None or (isinstance(value, float) and value != value) else str(value)


def patterns(catalog: Catalog, token: str | None) -> list[tuple[str, type, dict[str, Any]]]:
    """Tornado routes for `bokeh.server.server.Server(extra_patterns=...)`."""
    args = {"catalog": catalog, "token": token}
    hexid = r"([0-9a-fA-F-]{36})"
    return [
        (rf"/thumb/{hexid}/(\w+)\.png", ThumbnailHandler, args),
        (r"/map/([\w-]+)/(\d+)/(\w+)\.png", PointThumbnailHandler, args),
        (r"/map/([\w-]+)/(\d+)\.svg", PointCardHandler, args),
        (rf"/original/{hexid}", OriginalHandler, args),
    ]
