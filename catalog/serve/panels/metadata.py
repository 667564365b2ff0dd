"""The metadata viewer: a table of the selected scans, and one scan in full (its metadata
document, every channel drawn in its colour map with colour and scale bars, a download of
the original file, and its nearest neighbours as clickable amplitude/phase panels)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import Column, ColumnDataSource, DataTable, Div, NumberFormatter, TableColumn

from symcat.lengths import known_cell

TABLE_COLUMNS = (("file_name", "file", 200), ("sample_name", "sample", 90),
                 ("material", "material", 80), ("imaging_mode", "mode", 80),
                 ("site", "site", 70), ("size_um", "size µm", 60), ("acquired", "acquired", 120),
                 ("symmetry", "plane group", 80), ("cell", "cell", 110))
TABLE_LIMIT = 5000
# A click on a neighbour asks the server to open it through this hidden model's value.
OPEN_JS = ("Bokeh.documents[0].get_model_by_name('open-request').value="
           "this.dataset.scanId+'|'+Date.now()")


@dataclass(frozen=True)
class ScanView:
    """What the viewer shows for one scan (gathered off the UI thread)."""

    id: str
    document: dict[str, Any]
    channels: list[tuple[str, str]]           # (name, data URI of the captioned panel)
    neighbours: pd.DataFrame                  # rank, id, distance, file_name, ...
    neighbour_panels: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


class SelectionTable:
    """The selected scans; clicking a row calls `on_open(scan_id)`."""

    def __init__(self, on_open: Callable[[str], None]) -> None:
        self.source = ColumnDataSource({k: [] for k, _, _ in TABLE_COLUMNS} | {"id": []},
                                       name="selection-table-source")
        columns = [TableColumn(field=f, title=t, width=w,
                               formatter=NumberFormatter(format="0.00") if f == "size_um"
                               else TableColumn().formatter)
                   for f, t, w in TABLE_COLUMNS]
        self.table = DataTable(source=self.source, columns=columns, height=260,
                               sizing_mode="stretch_width", name="selection-table",
                               index_position=None)
        self.title = Div(text="<b>Selected scans</b>: none", name="selection-title")
        self.source.selected.on_change("indices", self._clicked)
        self._on_open = on_open
        self._shown: list[str] = []  # the ids of the rows the page holds, in order
        self.layout = Column(self.title, self.table, sizing_mode="stretch_width")

    def show(self, frame: pd.DataFrame | None, indices: list[int], what: str = "Selected scans"
             ) -> None:
        """Rows `indices` of a map's frame (the first `TABLE_LIMIT` of them, in the map's
        order). Rows the page already holds are not sent again: re-projecting a selection
        shows the same scans, and 5,000 rows are ~450 KB of JSON that Bokeh encodes value
        by value (0.1-0.2 s before the page has them)."""
        rows = (frame.iloc[sorted(indices)[:TABLE_LIMIT]] if frame is not None
                else pd.DataFrame(columns=["id"]))
        ids = [str(i) for i in rows["id"]]
        self.source.selected.indices = []
        if ids != self._shown:
            self.source.data = table_columns(rows)
            self._shown = ids
        more = f" (first {TABLE_LIMIT} shown)" if len(indices) > TABLE_LIMIT else ""
        self.title.text = (f"<b>{html.escape(what)}</b>: {len(indices)}{more}; click a row to "
                           "open the scan")

    def _clicked(self, _attr: str, _old: list[int], new: list[int]) -> None:
        if new:
            self._on_open(self.source.data["id"][new[0]])


def table_columns(rows: pd.DataFrame) -> dict[str, list[Any]]:
    def text(column: str) -> list[str]:
        if column not in rows.columns:
            return [""] * len(rows)
        return ["" if pd.isna(v) else str(v) for v in rows[column]]

    acquired = pd.to_datetime(rows.get("acquired_at", pd.Series([None] * len(rows))),
                              errors="coerce", utc=True)
    sizes = pd.to_numeric(rows.get("scan_size_x_m", pd.Series([None] * len(rows))),
                          errors="coerce").to_numpy(dtype=np.float64) * 1e6
    return {"file_name": text("file_name"), "sample_name": text("sample_name"),
            "material": text("material"), "imaging_mode": text("imaging_mode"),
            "site": text("site"), "size_um": list(sizes), "symmetry": text("symmetry"),
            "acquired": [t.strftime("%Y-%m-%d %H:%M") if not pd.isna(t) else ""
                         for t in acquired],
            "cell": _cells(rows),
            "id": [str(i) for i in rows["id"]] if "id" in rows.columns else []}


def _cells(rows: pd.DataFrame) -> list[str]:
    """Each row's stored cell as "1.21 x 1.51 um", or "" where none was found."""
    if "lattice_a_m" not in rows.columns or "lattice_b_m" not in rows.columns:
        return [""] * len(rows)
    return [known_cell(a, b) or ""
            for a, b in zip(rows["lattice_a_m"], rows["lattice_b_m"], strict=True)]


class ScanViewer:
    """One scan: its metadata, channels, a download of its original, and its neighbours."""

    def __init__(self, width: int = 760) -> None:
        self.header = Div(text="<i>Click a point, a table row or a neighbour to open a scan."
                               "</i>", name="scan-header", width=width)
        self.channels = Div(text="", name="scan-channels", width=width)
        self.neighbours = Div(text="", name="scan-neighbours", width=width)
        self.document = Div(text="", name="scan-document", width=width)
        self.layout = Column(self.header, self.channels, self.neighbours, self.document,
                             width=width)

    def show(self, view: ScanView) -> None:
        doc = view.document
        sample = (doc.get("sample") or {}).get("name") or "no sample"
        size = (doc.get("scan") or {}).get("size_x_m")
        size_text = f" · {size * 1e6:.3g} µm" if size else ""
        self.header.text = (
            f'<h3 style="margin:4px 0">{html.escape(str(doc.get("file_name")))}</h3>'
            f'<code data-scan-id="{view.id}">{view.id}</code> · {html.escape(str(sample))} · '
            f'{html.escape(str(doc.get("imaging_mode")))} · site '
            f'{html.escape(str(doc.get("site") or "?"))}{size_text} · '
            f'<a href="/original/{view.id}" download name="download-original" '
            f'class="symcat-download">download the original</a>')
        self.channels.text = ("<div><b>Channels</b></div>"
                              '<div style="display:flex;flex-wrap:wrap">' + "".join(
            f'<img class="symcat-channel" src="{uri}" alt="{html.escape(name)}" '
            f'title="{html.escape(name)}" style="margin:2px">' for name, uri in view.channels)
                              + "</div>")
        self.neighbours.text = (f"<b>{len(view.neighbours)} nearest neighbours</b> "
                                "<small>(click one to open it)</small>"
                                + _neighbours(view))
        text = json.dumps(doc, indent=1, default=str, ensure_ascii=False)
        self.document.text = ('<b>Metadata</b><pre style="max-height:320px;overflow:auto;'
                              'font-size:11px;background:#f6f6f6;padding:6px;white-space:pre-wrap;'
                              'overflow-wrap:anywhere">'
                              f"{html.escape(text)}</pre>")

    def show_message(self, message: str) -> None:
        self.header.text = f"<i>{html.escape(message)}</i>"
        self.channels.text = self.neighbours.text = self.document.text = ""


def _neighbours(view: ScanView) -> str:
    cells = []
    for row in view.neighbours.itertuples():
        key = str(row.id)
        images = "".join(f'<img src="{uri}" alt="{html.escape(role)}" style="display:block">'
                         for role, uri in view.neighbour_panels.get(key, []))
        cells.append(
            f'<figure class="symcat-neighbour" data-scan-id="{key}" onclick="{OPEN_JS}" '
            'style="margin:2px;cursor:pointer;border:1px solid #ddd;padding:2px">'
            f'{images}<figcaption style="font-size:10px;max-width:150px;overflow:hidden;'
            f'text-overflow:ellipsis;white-space:nowrap">#{row.rank} · d={row.distance:.3f}'
            f"<br>{html.escape(str(row.file_name))}</figcaption></figure>")
    return f'<div style="display:flex;flex-wrap:wrap">{"".join(cells)}</div>'
