"""A projection map: scatter with pan, zoom, box/lasso select, tap and hover.

Drawn on a 2-D canvas with level of detail: while the map is panned or zoomed, only
every `lod_factor`-th point is drawn (at most ~LOD_POINTS of them), and the whole map
once the gesture ends. Measured in headless Chromium without a GPU (software WebGL) at
100,000 points, this pans several times more smoothly than WebGL, which Bokeh draws
without level of detail (benchmarks/dashboard.py --frames, RESULTS.md).

The page receives coordinates and colour codes as binary arrays (float32, int32) and
nothing per point beyond them for large maps; the hover tooltip fetches the point's
thumbnail and metadata card lazily over HTTP (`symcat.serve.routes`), so tooltips work on
maps of any size. The open scan and its neighbours are ringed; a legend explains the
colours. Ranges are set from the data on every new map, so "reset" returns to it all.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    Div,
    HoverTool,
    LinearColorMapper,
    Range1d,
    TapTool,
)
from bokeh.plotting import figure

from symcat.serve.colors import MISSING, Colouring, colour_codes
from symcat.serve.registry import MAPS

TOOLS = "pan,wheel_zoom,box_select,lasso_select,tap,reset,save"
LOD_POINTS = 4000  # points drawn per frame while panning or zooming
ID_LIMIT = 20_000  # above this many points the page gets no id strings (binary arrays only)
TOOLTIP = """
<div style="display:flex;gap:6px;align-items:flex-start">
  <img src="{base}/$index/{role}.png" width="96" height="96" alt=""
       style="image-rendering:pixelated;background:#eee">
  <img src="{base}/$index.svg?colour={colour}" alt="" style="max-width:250px">
</div>
"""
# A click on points drawn over each other selects them all, and a selection of several
# points opens none; the tap keeps only the one nearest the pointer (in screen pixels), so
# a click always opens the point under it.
NEAREST_ON_TAP = """
const source = cb_data.source, picked = source.selected.indices;
if (source !== points || picked.length < 2) return;
const g = cb_data.geometries;
const kx = plot.inner_width / (plot.x_range.end - plot.x_range.start);
const ky = plot.inner_height / (plot.y_range.end - plot.y_range.start);
const xs = source.data.x, ys = source.data.y;
let best = picked[0], least = Infinity;
for (const i of picked) {
    const dx = (xs[i] - g.x) * kx, dy = (ys[i] - g.y) * ky;
    if (dx * dx + dy * dy < least) { least = dx * dx + dy * dy; best = i; }
}
source.selected.indices = [best];
"""


class MapPanel:
    """One map; `show(frame, ...)` replaces its points, `on_select` reports index lists."""

    def __init__(self, name: str, title: str, *, height: int = 480) -> None:
        self.name = name
        self.source = ColumnDataSource(data=_empty(), name=f"{name}-source")
        self.marks = ColumnDataSource(data={"x": [], "y": [], "kind": [], "colour": []},
                                      name=f"{name}-marks")
        self.mapper = LinearColorMapper(palette=[MISSING], low=-0.5, high=0.5,
                                        low_color=MISSING, high_color=MISSING)
        self.figure = figure(
            title=title, name=f"{name}-map", tools=TOOLS, active_drag="box_select",
            active_scroll="wheel_zoom", output_backend="canvas", height=height,
            sizing_mode="stretch_width", x_range=Range1d(0, 1), y_range=Range1d(0, 1),
            toolbar_location="above", lod_threshold=LOD_POINTS, lod_factor=10,
        )
        colour = {"field": "code", "transform": self.mapper}
        self.points = points = self.figure.scatter(
            "x", "y", source=self.source, size=7, fill_color=colour, line_color=colour,
            fill_alpha=0.75, line_alpha=0.9, nonselection_fill_alpha=0.12,
            nonselection_line_alpha=0.12, selection_fill_alpha=1.0, selection_line_color="black")
        self.figure.scatter("x", "y", source=self.marks, size=16, fill_alpha=0.0,
                            line_color="colour", line_width=3, name=f"{name}-rings")
        self.hover = HoverTool(tooltips=None, renderers=[points])
        self.figure.select_one(TapTool).callback = CustomJS(
            args={"plot": self.figure, "points": self.source}, code=NEAREST_ON_TAP)
        self.figure.add_tools(self.hover)
        self.figure.xaxis.visible = self.figure.yaxis.visible = False
        self.figure.grid.visible = False
        self.legend = Div(text="", name=f"{name}-legend", sizing_mode="stretch_width")
        self.frame: pd.DataFrame | None = None
        self.reference: pd.DataFrame | None = None
        self.key = ""
        self.colour_by: str | None = None
        self.role = "height"

    def show(self, frame: pd.DataFrame, title: str, colour_by: str | None, role: str,
             reference: pd.DataFrame | None = None) -> None:
        """Draw `frame` (id, x, y, metadata) and fit the view to it; colours follow
        `reference` (the initial map), so a recursive map keeps them."""
        self.frame = frame.reset_index(drop=True)
        self.reference = reference
        self.key = MAPS.add(self.frame)
        self.role = role
        self.colour_by = colour_by
        colouring = self._colouring(colour_by)
        # One assignment of the whole data: the colour codes go with the coordinates, so
        # the page receives the map once, not once more for its colours.
        data: dict[str, Any] = {"x": self.frame["x"].to_numpy(np.float32),
                                "y": self.frame["y"].to_numpy(np.float32),
                                "code": colouring.codes}
        if len(self.frame) <= ID_LIMIT:
            data["id"] = [str(i) for i in self.frame["id"]]
        self.figure.lod_factor = max(10, -(-len(self.frame) // LOD_POINTS))
        large = len(self.frame) > ID_LIMIT  # smaller dots without outlines: half the drawing
        self.points.glyph.update(size=4 if large else 7, line_alpha=0.0 if large else 0.9)
        self.source.selected.indices = []
        self.source.data = data
        self.marks.data = {"x": [], "y": [], "kind": [], "colour": []}
        self._show_colouring(colour_by, colouring)
        self.figure.title.text = title
        for axis, values in (("x", self.frame["x"]), ("y", self.frame["y"])):
            low, high = (float(values.min()), float(values.max())) if len(values) else (0, 1)
            pad = max((high - low) * 0.06, 1e-3)
            rng = self.figure.x_range if axis == "x" else self.figure.y_range
            rng.update(start=low - pad, end=high + pad, reset_start=low - pad,
                       reset_end=high + pad)

    def recolour(self, colour_by: str | None) -> None:
        self.colour_by = colour_by
        if self.frame is None:
            return
        colouring = self._colouring(colour_by)
        self._show_colouring(colour_by, colouring)
        self.source.data.update(code=colouring.codes)  # sends the one column that changed

    def _colouring(self, colour_by: str | None) -> Colouring:
        assert self.frame is not None
        if colour_by is None or colour_by not in self.frame.columns:
            return Colouring(np.zeros(len(self.frame), dtype=np.int32), ["#1f77b4"])
        scale = self.reference[colour_by] if self.reference is not None else None
        return colour_codes(self.frame[colour_by], scale)

    def _show_colouring(self, colour_by: str | None, colouring: Colouring) -> None:
        self.mapper.update(palette=colouring.palette, low=-0.5,
                           high=len(colouring.palette) - 0.5)
        self.legend.text = legend_html(colour_by, colouring)
        self._tooltip()

    def set_role(self, role: str) -> None:
        self.role = role
        self._tooltip()

    def mark(self, open_id: Any | None, neighbour_ids: Sequence[Any]) -> None:
        """Ring the open scan (black) and its neighbours (orange) where they are on this map."""
        if self.frame is None:
            return
        where = {str(i): n for n, i in enumerate(self.frame["id"])}
        rows = [(str(i), "neighbour", "#ff7f0e") for i in neighbour_ids]
        if open_id is not None:
            rows.append((str(open_id), "open", "#000000"))
        shown = [(where[i], kind, colour) for i, kind, colour in rows if i in where]
        self.marks.data = {
            "x": [float(self.frame["x"].iloc[n]) for n, _, _ in shown],
            "y": [float(self.frame["y"].iloc[n]) for n, _, _ in shown],
            "kind": [k for _, k, _ in shown], "colour": [c for _, _, c in shown]}

    def clear(self, title: str) -> None:
        self.frame = None
        self.source.data = _empty()
        self.marks.data = {"x": [], "y": [], "kind": [], "colour": []}
        self.legend.text = ""
        self.figure.title.text = title

    def on_select(self, callback: Callable[[list[int]], None]) -> None:
        self.source.selected.on_change("indices", lambda _a, _o, new: callback(list(new)))

    @property
    def selected(self) -> list[int]:
        return list(self.source.selected.indices)

    def _tooltip(self) -> None:
        if not self.key:
            return
        self.hover.tooltips = TOOLTIP.format(base=f"/map/{self.key}", role=self.role,
                                             colour=html.escape(self.colour_by or ""))


def legend_html(column: str | None, colouring: Colouring) -> str:
    """What the colours mean: swatches per category, or the ramp with its two ends."""
    if column is None:
        return ""
    title = f'<b style="font-size:12px">Colour: {html.escape(column)}</b> '
    if colouring.categories is not None:
        items = [f'<span class="symcat-legend-item" style="margin-right:8px;white-space:nowrap">'
                 f'<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                 f'background:{colour};margin-right:3px"></span>{html.escape(label)}</span>'
                 for label, colour in zip(colouring.categories[:40], colouring.palette,
                                          strict=False)]
        more = (f" … +{len(colouring.categories) - 40} more"
                if len(colouring.categories) > 40 else "")
        unknown = (f'<span class="symcat-legend-item"><span style="display:inline-block;'
                   f'width:10px;height:10px;border-radius:5px;background:{MISSING};'
                   f'margin-right:3px"></span>unknown</span>'
                   if (colouring.codes < 0).any() else "")
        return f'<div style="font-size:11px">{title}{"".join(items)}{unknown}{more}</div>'
    if colouring.value_range is None:
        return f'<div style="font-size:11px">{title} no values</div>'
    low, high = colouring.value_range
    if colouring.dates:
        low_text, high_text = (str(pd.Timestamp(int(v)).date()) for v in (low, high))
    else:
        low_text, high_text = f"{low:.4g}", f"{high:.4g}"
    stops = ", ".join(colouring.palette[::32] + [colouring.palette[-1]])
    return (f'<div style="font-size:11px" class="symcat-legend-ramp">{title}'
            f'<span>{html.escape(low_text)}</span> <span style="display:inline-block;width:160px;'
            f'height:10px;vertical-align:middle;background:linear-gradient(to right,{stops})">'
            f'</span> <span>{html.escape(high_text)}</span></div>')


def _empty() -> dict[str, Any]:
    return {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32),
            "code": np.zeros(0, np.int32), "id": []}
