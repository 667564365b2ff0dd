"""The metadata viewer: a table of the selected scans, and one scan in full (its metadata
document, its channels as images, its nearest neighbours)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from bokeh.models import Column, ColumnDataSource, DataTable, Div, NumberFormatter, TableColumn

TABLE_COLUMNS = (("file_name", "file", 200), ("sample_name", "sample", 90),
                 ("material", "material", 80), ("imaging_mode", "mode", 80),
                 ("size_um", "size µm", 60), ("acquired", "acquired", 120))
TABLE_LIMIT = 5000


@dataclass(frozen=True)
class ScanView:
    """What the viewer shows for one scan (gathered off the UI thread)."""

    id: str
    document: dict[str, Any]
    channels: list[tuple[str, str]]           # (name, data URI)
    neighbours: pd.DataFrame                  # rank, id, distance, file_name, ...
    neighbour_thumbnails: dict[Any, str]


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
        self.layout = Column(self.title, self.table, sizing_mode="stretch_width")

    def show(self, data: dict[str, list[Any]], indices: list[int]) -> None:
        """Rows `indices` of a map's data source (the first `TABLE_LIMIT` of them)."""
        rows = indices[:TABLE_LIMIT]
        self.source.selected.indices = []
        self.source.data = {k: [data[k][i] for i in rows] for k in self.source.data}
        more = f" (first {TABLE_LIMIT} shown)" if len(indices) > TABLE_LIMIT else ""
        self.title.text = (f"<b>Selected scans</b>: {len(indices)}{more}; click a row to "
                           "open the scan")

    def _clicked(self, _attr: str, _old: list[int], new: list[int]) -> None:
        if new:
            self._on_open(self.source.data["id"][new[0]])


class ScanViewer:
    """One scan: its full metadata, channels as images, and its 9 nearest neighbours."""

    def __init__(self, width: int = 660) -> None:
        self.header = Div(text="<i>Open a scan from the table.</i>", name="scan-header",
                          width=width)
        self.channels = Div(text="", name="scan-channels", width=width)
        self.neighbours = Div(text="", name="scan-neighbours", width=width)
        self.document = Div(text="", name="scan-document", width=width)
        self.layout = Column(self.header, self.channels, self.neighbours, self.document,
                             width=width)

    def show(self, view: ScanView) -> None:
        doc = view.document
        sample = (doc.get("sample") or {}).get("name") or "no sample"
        self.header.text = (f'<h3 style="margin:4px 0">{html.escape(str(doc.get("file_name")))}'
                            f'</h3><code data-scan-id="{view.id}">{view.id}</code> · '
                            f'{html.escape(str(sample))} · '
                            f'{html.escape(str(doc.get("imaging_mode")))}')
        self.channels.text = "<b>Channels</b>" + _gallery(
            [(name, uri, "") for name, uri in view.channels], size=128)
        self.neighbours.text = f"<b>{len(view.neighbours)} nearest neighbours</b>" + _gallery(
            [(str(row.file_name), view.neighbour_thumbnails.get(row.id, ""),
              f"#{row.rank} · d={row.distance:.3f}") for row in view.neighbours.itertuples()],
            size=96, kind="neighbour")
        text = json.dumps(doc, indent=1, default=str, ensure_ascii=False)
        self.document.text = ('<b>Metadata</b><pre style="max-height:320px;overflow:auto;'
                              'font-size:11px;background:#f6f6f6;padding:6px;white-space:pre-wrap;'
                              'overflow-wrap:anywhere">'
                              f"{html.escape(text)}</pre>")

    def show_message(self, message: str) -> None:
        self.header.text = f"<i>{html.escape(message)}</i>"
        self.channels.text = self.neighbours.text = self.document.text = ""


def _gallery(items: list[tuple[str, str, str]], *, size: int, kind: str = "channel") -> str:
    cells = []
    for name, uri, note in items:
        image = (f'<img src="{uri}" width="{size}" height="{size}" alt="{html.escape(name)}" '
                 'style="image-rendering:pixelated">' if uri else
                 f'<div style="width:{size}px;height:{size}px;background:#eee"></div>')
        cells.append(f'<figure class="symcat-{kind}" style="margin:2px;width:{size}px">{image}'
                     f'<figcaption style="font-size:10px;overflow:hidden;text-overflow:ellipsis;'
                     f'white-space:nowrap">{html.escape(name)}<br>{html.escape(note)}'
                     "</figcaption></figure>")
    return f'<div style="display:flex;flex-wrap:wrap">{"".join(cells)}</div>'
