"""How scans and neighbour results show themselves in Jupyter (and any IPython display):
short text reprs, and HTML with every channel in its colour map with a colour bar and a
scale bar. No magic command is needed; nothing here runs unless something is displayed."""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd

from symcat.render.channels import ROLES, pick_channel
from symcat.render.image import panel_png
from symcat.render.scan import role_image, scan_panels

NEIGHBOUR_PANEL = 96


def img_tag(png: bytes, alt: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def scan_repr(scan: Any) -> str:
    """One line: id, file, mode, sample and channel names with their shapes."""
    doc = scan.document
    shapes = ", ".join(f"{name} {'x'.join(map(str, a.shape))}"
                       for name, a in list(scan.channels.items())[:8])
    more = f", +{len(scan.channels) - 8} more" if len(scan.channels) > 8 else ""
    sample = (doc.get("sample") or {}).get("name")
    return (f"ScanData({str(scan.id)[:8]}, {doc.get('file_name')!r}, "
            f"mode={doc.get('imaging_mode')!r}, sample={sample!r}, channels=[{shapes}{more}])")


def scan_html(scan: Any) -> str:
    """The scan's header and one captioned panel per image channel (plus A·cos φ)."""
    doc = scan.document
    sample = (doc.get("sample") or {}).get("name") or "no sample"
    size = (doc.get("scan") or {}).get("size_x_m")
    size_text = f" · {size * 1e6:.3g} µm" if size else ""
    panels = "".join(img_tag(p.png, p.name) for p in scan_panels(doc, scan.channels))
    return (f'<div class="symcat-scan"><b>{html.escape(str(doc.get("file_name")))}</b> '
            f'<code>{scan.id}</code><br>{html.escape(str(doc.get("imaging_mode")))} · '
            f'{html.escape(str(sample))}{size_text}'
            f'<div style="display:flex;flex-wrap:wrap;gap:4px">{panels}</div></div>')


class NeighborFrame(pd.DataFrame):
    """`Catalog.neighbors`'s result: a DataFrame (rank, id, distance, metadata) that
    displays itself as the query and its neighbours, channel by channel."""

    _metadata = ["catalog", "query_id"]

    @property
    def _constructor(self) -> type[NeighborFrame]:
        return NeighborFrame

    def _repr_html_(self) -> str | None:
        table = super()._repr_html_()
        catalog, query = getattr(self, "catalog", None), getattr(self, "query_id", None)
        if catalog is None or "id" not in self.columns:
            return table
        try:
            gallery = neighbours_html(catalog, query, list(self["id"]),
                                      list(self.get("distance", [])))
        except Exception as exc:  # noqa: BLE001 - a display must never hide the table
            gallery = f"<i>images not shown: {html.escape(str(exc))}</i>"
        return gallery + (table or "")


def neighbours_html(catalog: Any, query: Any, ids: list[Any], distances: list[float]) -> str:
    """A grid: one column per scan (the query first), one row per channel role."""
    keys = ([query] if query is not None else []) + ids
    labels = (["query"] if query is not None else []) + [
        f"#{i + 1} d={d:.3f}" for i, d in enumerate(distances)]
    scans = [catalog.scan(k) for k in keys]
    roles = [r for r in ROLES[:3]
             if any(pick_channel([n for n, a in s.channels.items() if a.ndim == 2], r)
                    for s in scans[:1])] or list(ROLES[:1])
    rows = []
    for role in roles:
        cells = [f'<td style="font-size:11px">{role}</td>']
        for scan, label in zip(scans, labels, strict=True):
            drawn = role_image(scan.document, scan.channels, role)
            size = (scan.document.get("scan") or {}).get("size_x_m")
            picture = "" if drawn is None else img_tag(panel_png(
                drawn[1], kind=drawn[2], unit=drawn[3], scan_size_m=size,
                title=label if role == roles[0] else None, size=NEIGHBOUR_PANEL), label)
            cells.append(f"<td>{picture}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="symcat-neighbours">{"".join(rows)}</table>'
