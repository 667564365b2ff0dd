"""Channels in matplotlib figures, drawn like `symcat.render.image` draws them: the same
colour maps and contrast, a colour bar with range and unit, and a scale bar in µm.
Needs matplotlib (the `project` extra)."""

from __future__ import annotations

from typing import Any

import numpy as np

from symcat.render.colormaps import colormap_for
from symcat.render.image import (
    _prefix,
    contrast_range,
    format_range,
    format_value,
    nice_length,
)


def draw_channel(ax: Any, image: np.ndarray, *, kind: str, unit: str | None = None,
                 scan_size_m: float | None = None, colour_bar: bool = True,
                 scale_bar: bool = True) -> Any:
    """imshow `image` on `ax` (first row at the bottom) with its kind's colour map; adds a
    colour bar labelled with the unit and a scale bar when the scan's width is known."""
    low, high = contrast_range(image, kind)
    width = float(scan_size_m) if scan_size_m else None
    extent = (0, width, 0, width * image.shape[0] / image.shape[1]) if width else None
    shown = ax.imshow(image, cmap=colormap_for(kind).to_matplotlib(), vmin=low, vmax=high,
                      origin="lower", extent=extent, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if colour_bar:
        _high, _low, unit_text = format_range(low, high, unit)
        factor = _prefix(max(abs(low), abs(high)), unit)[0]
        bar = ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
        bar.ax.tick_params(labelsize=6)
        bar.ax.yaxis.set_major_formatter(_scaled_ticks(factor, (high - low) / factor))
        bar.set_label(unit_text, fontsize=7, labelpad=1)
    if scale_bar and width:
        _scale_bar(ax, width)
    return shown


def _scale_bar(ax: Any, width: float) -> None:
    from matplotlib.patches import Rectangle

    length = nice_length(width * 0.3)
    x0, y0 = width * 0.05, width * 0.05
    ax.add_patch(Rectangle((x0, y0), length, width * 0.025, facecolor="white",
                           edgecolor="black", linewidth=0.6))
    ax.text(x0, y0 + width * 0.04, format_value(length, "m"), color="white", fontsize=6,
            fontweight="bold", va="bottom",
            path_effects=_outline())


def _outline() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=1.5, foreground="black")]


def _scaled_ticks(factor: float, span: float) -> Any:
    """Tick labels in the colour bar's prefixed unit, with as many decimals as the range
    needs (a 2 nm range at 1.2 µm is labelled 1221, 1222..., not -1.22 five times)."""
    from matplotlib.ticker import FuncFormatter

    decimals = max(0, -int(np.floor(np.log10(span / 5)))) if span > 0 else 0
    return FuncFormatter(lambda value, _pos: f"{value / factor:.{decimals}f}")
