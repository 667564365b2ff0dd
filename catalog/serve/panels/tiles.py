"""The projection as image tiles at their coordinates (the paper's collage), beside the
dot view and sharing its pan and zoom.

Decluttering: the visible part of the map is cut into a COLUMNS x ROWS raster (cells of
about a tile's size on screen) and each cell shows the thumbnail of the point nearest its
centre. Zooming in makes cells smaller in map units, so more and more distinct scans
appear until every one has its own tile. Thumbnails are fetched by the browser from
`/thumb/<id>/<channel>.png`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from bokeh.events import RangesUpdate
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

COLUMNS, ROWS = 10, 7   # for a map about 700 x 480 px: cells of ~70 px
TILE_PX = 62


def declutter(x: np.ndarray, y: np.ndarray, view: tuple[float, float, float, float],
              columns: int = COLUMNS, rows: int = ROWS) -> np.ndarray:
    """Indices of at most columns x rows points inside `view` (x0, x1, y0, y1), one per
    cell: the one nearest the cell's centre."""
    x0, x1, y0, y1 = view
    width, height = (x1 - x0) / columns, (y1 - y0) / rows
    inside = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    if inside.size == 0 or width <= 0 or height <= 0:
        return np.zeros(0, dtype=np.int64)
    col = np.minimum(((x[inside] - x0) / width).astype(np.int64), columns - 1)
    row = np.minimum(((y[inside] - y0) / height).astype(np.int64), rows - 1)
    dx = (x[inside] - (x0 + (col + 0.5) * width)) / width
    dy = (y[inside] - (y0 + (row + 0.5) * height)) / height
    cell = row * columns + col
    order = np.lexsort((dx * dx + dy * dy, cell))
    first = np.ones(order.size, dtype=bool)
    first[1:] = cell[order][1:] != cell[order][:-1]
    return inside[order[first]]


class TilePanel:
    """Tiles of the initial map; `link(ranges)` shares pan and zoom with the dot view."""

    def __init__(self, x_range: Any, y_range: Any, *, height: int = 480) -> None:
        self.source = ColumnDataSource({"x": [], "y": [], "url": [], "id": []},
                                       name="tiles-source")
        self.dots = ColumnDataSource({"x": np.zeros(0, np.float32),
                                      "y": np.zeros(0, np.float32)}, name="tiles-dots")
        self.figure = figure(title="Tiles", name="tiles-map", tools="pan,wheel_zoom,reset",
                             active_scroll="wheel_zoom", x_range=x_range, y_range=y_range,
                             height=height, sizing_mode="stretch_width",
                             toolbar_location="above")
        self.figure.scatter("x", "y", source=self.dots, size=3, color="#999999", alpha=0.5)
        self.figure.image_url(url="url", x="x", y="y", w=TILE_PX, h=TILE_PX, w_units="screen",
                              h_units="screen", anchor="center", source=self.source)
        self.figure.xaxis.visible = self.figure.yaxis.visible = False
        self.figure.grid.visible = False
        self.frame: pd.DataFrame | None = None
        self.role = "height"
        self._view: tuple[float, float, float, float] | None = None

    def on_ranges(self, *figures: Any) -> None:
        """Re-tile after every pan or zoom of any of `figures` (they share ranges)."""
        for fig in figures:
            fig.on_event(RangesUpdate, self._ranges)

    def show(self, frame: pd.DataFrame, role: str, view: tuple[float, float, float, float]
             ) -> None:
        self.frame, self.role = frame.reset_index(drop=True), role
        self.dots.data = {"x": self.frame["x"].to_numpy(np.float32),
                          "y": self.frame["y"].to_numpy(np.float32)}
        self.retile(view)

    def set_role(self, role: str) -> None:
        self.role = role
        if self._view is not None:
            self.retile(self._view)

    def retile(self, view: tuple[float, float, float, float]) -> None:
        self._view = view
        if self.frame is None:
            return
        chosen = declutter(self.frame["x"].to_numpy(), self.frame["y"].to_numpy(), view)
        ids = [str(i) for i in self.frame["id"].to_numpy()[chosen]]
        self.source.data = {
            "x": self.frame["x"].to_numpy()[chosen], "y": self.frame["y"].to_numpy()[chosen],
            "url": [f"/thumb/{i}/{self.role}.png" for i in ids], "id": ids}
        self.figure.title.text = (f"Tiles · {len(ids)} of {len(self.frame)} scans "
                                  f"({self.role}); zoom in for more")

    def _ranges(self, event: RangesUpdate) -> None:
        if None not in (event.x0, event.x1, event.y0, event.y1):
            self.retile((float(event.x0), float(event.x1), float(event.y0), float(event.y1)))
