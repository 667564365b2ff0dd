"""Colour maps as 256-entry lookup tables, defined here so that drawing needs no matplotlib.

Each channel kind has the map its community reads: height an afmhot-like ramp (black, red,
yellow, white, as Asylum and Gwyddion show topography), amplitude a perceptually uniform
sequential map (viridis-like), phase a diverging map whose two ends are the two domain
populations (or, when it wraps round the circle, a cyclic twilight-like map), frequency
shift and surface potential diverging maps centred on their middle, and the PFM
composite (amplitude x cos phase) a diverging blue-white-red map centred on zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _ramp(points: list[tuple[float, tuple[int, int, int]]]) -> np.ndarray:
    """A (256, 3) uint8 table interpolated linearly between (position, rgb) points."""
    where = np.array([p for p, _ in points])
    rgb = np.array([c for _, c in points], dtype=np.float64)
    x = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(x, where, rgb[:, k]) for k in range(3)], axis=1).round().astype(
        np.uint8)


def _afmhot() -> np.ndarray:
    x = np.linspace(0.0, 1.0, 256)
    rgb = np.stack([2 * x, 2 * x - 0.5, 2 * x - 1.0], axis=1)
    return (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)


@dataclass(frozen=True)
class Colormap:
    """A named lookup table; `centred` maps are drawn symmetric about a centre value,
    `cyclic` ones wrap (their ends are the same colour)."""

    name: str
    lut: np.ndarray = field(repr=False)
    centred: bool = False
    cyclic: bool = False

    def hex(self, count: int = 256) -> list[str]:
        """`count` colours spread along the map, as CSS hex strings (Bokeh palettes)."""
        index = np.linspace(0, 255, count).round().astype(int)
        return ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in self.lut[i])) for i in index]

    def to_matplotlib(self) -> Any:
        from matplotlib.colors import ListedColormap

        return ListedColormap(self.lut / 255.0, name=f"symcat-{self.name}")


COLORMAPS: dict[str, Colormap] = {
    "height": Colormap("height", _afmhot()),
    "amplitude": Colormap("amplitude", _ramp([
        (0.0, (68, 1, 84)), (0.13, (71, 44, 122)), (0.25, (59, 82, 139)),
        (0.38, (44, 114, 142)), (0.5, (33, 145, 140)), (0.63, (40, 174, 128)),
        (0.75, (94, 201, 98)), (0.88, (173, 220, 48)), (1.0, (253, 231, 37))])),
    # PFM phase is mostly two populations (up and down domains) 180° apart: a diverging
    # map with a dark middle draws them blue and orange and the walls between them dark.
    "phase": Colormap("phase", _ramp([
        (0.0, (24, 90, 190)), (0.25, (70, 150, 225)), (0.5, (25, 20, 35)),
        (0.75, (240, 150, 40)), (1.0, (255, 225, 120))])),
    # For phase that wraps round the whole circle (range >= 300°): twilight-like, cyclic.
    "phase_cyclic": Colormap("phase_cyclic", _ramp([
        (0.0, (226, 217, 226)), (0.125, (155, 175, 204)), (0.25, (95, 118, 192)),
        (0.375, (89, 61, 155)), (0.5, (47, 20, 55)), (0.625, (122, 35, 80)),
        (0.75, (178, 79, 64)), (0.875, (204, 159, 135)), (1.0, (226, 217, 226))]),
        cyclic=True),
    "frequency": Colormap("frequency", _ramp([
        (0.0, (5, 48, 97)), (0.25, (67, 147, 195)), (0.5, (247, 247, 247)),
        (0.75, (244, 165, 130)), (1.0, (103, 0, 31))]), centred=True),
    "potential": Colormap("potential", _ramp([
        (0.0, (45, 0, 75)), (0.25, (128, 115, 172)), (0.5, (247, 247, 247)),
        (0.75, (224, 130, 20)), (1.0, (127, 59, 8))]), centred=True),
    "composite": Colormap("composite", _ramp([
        (0.0, (59, 76, 192)), (0.5, (221, 221, 221)), (1.0, (180, 4, 38))]), centred=True),
    "current": Colormap("current", _ramp([
        (0.0, (0, 0, 4)), (0.25, (81, 18, 124)), (0.5, (183, 55, 121)),
        (0.75, (252, 137, 97)), (1.0, (252, 253, 191))])),
    "grey": Colormap("grey", _ramp([(0.0, (0, 0, 0)), (1.0, (255, 255, 255))])),
}


def colormap_for(kind: str) -> Colormap:
    """The map of a channel kind (`symcat.render.channels.channel_kind`); grey if unknown."""
    return COLORMAPS.get(kind, COLORMAPS["grey"])
