"""Static figures (matplotlib, the `project` extra): the map with thumbnails (the paper's
Fig. 3) and an image with its nearest neighbours, channel by channel (its Fig. 4).

Figures are built on `matplotlib.figure.Figure` directly (no pyplot, no global state),
so they render headless and from worker threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symcat.query.thumbnails import thumbnails as load_thumbnails
from symcat.render.channels import default_role, role_needle
from symcat.render.scan import role_image

INSTALL_HINT = "pip install 'symcat[project]'"
# Channel roles of Fig. 4 (symcat.render.channels finds each in a scan's channel names).
ROLES = ("height", "amplitude", "phase")


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure that shows itself in Jupyter as a PNG, with no magic command."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"plots need matplotlib: {INSTALL_HINT}") from exc

    class ShownFigure(Figure):
        def _repr_png_(self) -> bytes:
            return figure_png(self)

    return ShownFigure(figsize=(width, height), layout="constrained")


def figure_png(figure: Any, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_png(figure: Any, path: str | Path, dpi: int = 150) -> Path:
    Path(path).write_bytes(figure_png(figure, dpi=dpi))
    return Path(path)


def _colours(values: pd.Series) -> dict[str, Any]:
    """Scatter keyword arguments colouring by a numeric, date or categorical column."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.astype("int64").where(values.notna())
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 12:
        return {"c": values.astype(float).to_numpy(), "cmap": "viridis", "colorbar": True}
    labels = values.astype(str).fillna("unknown")
    categories = sorted(labels.unique())
    cmap = _cmap("tab10" if len(categories) <= 10 else "tab20")
    lookup = {c: cmap(i % cmap.N) for i, c in enumerate(categories)}
    return {"color": [lookup[v] for v in labels], "legend": lookup}


def _cmap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]


def map_figure(projection: Any, *, color_by: str | None = None, thumbnails: int = 40,
               channel: str | None = None, seed: int = 0, size: float = 8.0,
               title: str | None = None) -> Any:
    """All points, coloured by `color_by`, with the stored thumbnails (of the `channel`
    role: height, amplitude, phase; default by the scans' imaging mode) of a random subset
    of `thumbnails` scans drawn at their positions."""
    frame = projection.frame
    if channel is None:
        modes = frame["imaging_mode"].mode() if "imaging_mode" in frame.columns else []
        channel = default_role(modes.iloc[0] if len(modes) else None)
    figure = _figure(size, size)
    ax = figure.add_subplot()
    style: dict[str, Any] = {"color": "0.3"}
    if color_by is not None:
        if color_by not in frame.columns:
            raise KeyError(f"no column {color_by!r}; choose one of {list(frame.columns)}")
        style = _colours(frame[color_by])
    legend = style.pop("legend", None)
    colorbar = style.pop("colorbar", False)
    marker = max(2.0, min(30.0, 3000.0 / max(len(frame), 1)))
    points = ax.scatter(frame["x"], frame["y"], s=marker, linewidths=0, alpha=0.8, **style)
    if colorbar:
        figure.colorbar(points, ax=ax, shrink=0.6, label=color_by)
    if legend and len(legend) <= 20:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", ls="", color=c, label=str(k))
                   for k, c in legend.items()]
        ax.legend(handles=handles, title=color_by, fontsize=8, loc="best", framealpha=0.8)
    if thumbnails:
        _draw_thumbnails(ax, projection, int(thumbnails), channel, seed)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"{len(frame)} scans, {projection.model}", fontsize=10)
    return figure


def _draw_thumbnails(ax: Any, projection: Any, count: int, channel: str | None,
                     seed: int) -> None:
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage
    from PIL import Image

    frame = projection.frame
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(frame), size=min(count, len(frame)), replace=False)
    ids = [frame["id"].iloc[i] for i in chosen]
    pngs = load_thumbnails(projection.engine, ids, role_needle(channel) if channel else None)
    width = 0.3 if len(chosen) > 20 else 0.45
    for i, scan_id in zip(chosen, ids, strict=True):
        if scan_id not in pngs:
            continue
        image = np.asarray(Image.open(io.BytesIO(pngs[scan_id])).convert("RGB"))
        zoom = 72.0 * width / max(image.shape[:2])
        box = AnnotationBbox(OffsetImage(image, zoom=zoom), (frame["x"].iloc[i],
                             frame["y"].iloc[i]), frameon=True, pad=0.05,
                             bboxprops={"linewidth": 0.4, "edgecolor": "0.4"})
        ax.add_artist(box)


def neighbors_figure(catalog: Any, scan_id: Any, k: int = 9, *, where: str | None = None,
                     model: str | None = None, size: float = 1.6,
                     roles: Sequence[str] = ROLES) -> Any:
    """A scan and its k nearest neighbours (rows), with height, amplitude and phase
    (columns; `roles` may add "composite"), each in its colour map with a colour bar and a
    scale bar, and each row labelled with its correlation distance. `catalog` is a
    `Catalog`."""
    from symcat.render.figures import draw_channel

    found = catalog.neighbors(scan_id, k=k, model=model,
                              **({"where": where} if where else {}))
    rows = [(scan_id, 0.0, "query")] + [
        (r.id, float(r.distance), f"#{r.rank}") for r in found.itertuples()]
    figure = _figure(size * 1.3 * len(roles) + 0.6, size * len(rows) * 0.95)
    axes = figure.subplots(len(rows), len(roles), squeeze=False)
    for r, (key, distance, label) in enumerate(rows):
        data = catalog.scan(key)
        scan_size = (data.document.get("scan") or {}).get("size_x_m")
        for c, role in enumerate(roles):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            drawn = role_image(data.document, data.channels, role)
            if drawn is not None:
                _name, image, kind, unit = drawn
                draw_channel(ax, image, kind=kind, unit=unit, scan_size_m=scan_size,
                             scale_bar=c == 0)
            if r == 0:
                ax.set_title(role, fontsize=9)
            if c == 0:
                text = label if r == 0 else f"{label}  d={distance:.3f}"
                ax.set_ylabel(f"{text}\n{str(key)[:8]}", fontsize=7)
    return figure
