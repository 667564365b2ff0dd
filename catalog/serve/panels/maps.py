"""A projection map: WebGL scatter with pan, zoom, box/lasso select, tap and hover.

Hover shows the scan's stored thumbnail (a data URI) and key metadata. Ranges are set
from the data on every new map, so "reset" returns to the whole map.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Range1d
from bokeh.plotting import figure

from symcat.serve.colors import colour_column

BLANK = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
TOOLTIP = """
<div style="display:flex;gap:8px;max-width:360px">
  <img src="@thumb" style="width:96px;height:96px;image-rendering:pixelated" alt="">
  <div style="font-size:11px;line-height:1.35">
    <b>@file_name</b><br>
    sample: @sample_name<br>material: @material<br>mode: @imaging_mode<br>
    size: @size_um{0.00} µm<br>acquired: @acquired<br>@colour_label: @colour_value
  </div>
</div>
"""
TOOLS = "pan,wheel_zoom,box_select,lasso_select,tap,reset,save"


class MapPanel:
    """One map; `show(frame, ...)` replaces its points, `on_select` reports index lists."""

    def __init__(self, name: str, title: str, *, height: int = 480) -> None:
        self.name = name
        self.source = ColumnDataSource(data=_empty(), name=f"{name}-source")
        self.figure = figure(
            title=title, name=f"{name}-map", tools=TOOLS, active_drag="box_select",
            active_scroll="wheel_zoom", output_backend="webgl", height=height,
            sizing_mode="stretch_width", x_range=Range1d(0, 1), y_range=Range1d(0, 1),
            toolbar_location="above",
        )
        self.figure.scatter("x", "y", source=self.source, size=7, fill_color="color",
                            line_color="color", fill_alpha=0.75, line_alpha=0.9,
                            nonselection_fill_alpha=0.12, nonselection_line_alpha=0.12,
                            selection_fill_alpha=1.0, selection_line_color="black")
        self.figure.add_tools(HoverTool(tooltips=TOOLTIP))
        self.figure.xaxis.visible = self.figure.yaxis.visible = False
        self.figure.grid.visible = False
        self.frame: pd.DataFrame | None = None
        self.reference: pd.DataFrame | None = None

    def show(self, frame: pd.DataFrame, title: str, colour_by: str | None,
             thumbnails: dict[Any, str], reference: pd.DataFrame | None = None) -> None:
        """Draw `frame` (id, x, y, metadata) and fit the view to it; colours follow
        `reference` (the initial map), so a recursive map keeps them."""
        self.frame = frame.reset_index(drop=True)
        self.reference = reference
        data = _columns(self.frame, thumbnails)
        data.update(_colours(self.frame, colour_by, reference))
        self.source.selected.indices = []
        self.source.data = data
        self.figure.title.text = title
        for axis, values in (("x", self.frame["x"]), ("y", self.frame["y"])):
            low, high = (float(values.min()), float(values.max())) if len(values) else (0, 1)
            pad = max((high - low) * 0.06, 1e-3)
            rng = self.figure.x_range if axis == "x" else self.figure.y_range
            rng.update(start=low - pad, end=high + pad, reset_start=low - pad,
                       reset_end=high + pad)

    def recolour(self, colour_by: str | None) -> None:
        if self.frame is not None and len(self.frame):
            patch = _colours(self.frame, colour_by, self.reference)
            self.source.data = {**dict(self.source.data), **patch}

    def clear(self, title: str) -> None:
        self.frame = None
        self.source.data = _empty()
        self.figure.title.text = title

    def on_select(self, callback: Callable[[list[int]], None]) -> None:
        self.source.selected.on_change("indices", lambda _a, _o, new: callback(list(new)))

    @property
    def selected(self) -> list[int]:
        return list(self.source.selected.indices)


def _empty() -> dict[str, list[Any]]:
    keys = ("id", "x", "y", "file_name", "sample_name", "material", "imaging_mode", "size_um",
            "acquired", "thumb", "color", "colour_label", "colour_value")
    return {k: [] for k in keys}


def _text(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in values]


def _columns(frame: pd.DataFrame, thumbnails: dict[Any, str]) -> dict[str, Any]:
    acquired = pd.to_datetime(frame["acquired_at"], errors="coerce", utc=True)
    return {
        "id": [str(i) for i in frame["id"]],
        "x": frame["x"].to_numpy(np.float64), "y": frame["y"].to_numpy(np.float64),
        "file_name": _text(frame["file_name"]), "sample_name": _text(frame["sample_name"]),
        "material": _text(frame["material"]), "imaging_mode": _text(frame["imaging_mode"]),
        "size_um": pd.to_numeric(frame["scan_size_x_m"], errors="coerce").to_numpy() * 1e6,
        "acquired": [t.strftime("%Y-%m-%d %H:%M") if not pd.isna(t) else "" for t in acquired],
        "thumb": [thumbnails.get(i) or BLANK for i in frame["id"]],
    }


def _colours(frame: pd.DataFrame, colour_by: str | None,
             reference: pd.DataFrame | None = None) -> dict[str, Any]:
    if colour_by is None or colour_by not in frame.columns:
        return {"color": ["#1f77b4"] * len(frame), "colour_label": [""] * len(frame),
                "colour_value": [""] * len(frame)}
    scale = reference[colour_by] if reference is not None else None
    return {"color": colour_column(frame[colour_by], scale),
            "colour_label": [colour_by] * len(frame), "colour_value": _text(frame[colour_by])}
