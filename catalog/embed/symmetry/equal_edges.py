"""Square and hexagonal plane groups need a lattice whose cell has two equal edges.

A 4-, 3- or 6-fold turn maps one cell edge onto the other, so a lattice whose reduced
cell is clearly longer than it is wide admits none of them, and the groups that need one
(p4, p4m, p4g; p3, p3m1, p31m, p6, p6m) cannot be its answer, whatever the network read.
v31 read two c/a twin checkerboards of the demo, with cells 19 x 24 and 44 x 52 px, as
p4m (p 0.56-0.59): their averaged cells explained 75-78% of the scans, under the cell
check's bar, so nothing measured overruled the network.

The edges are compared in physical units where the scan's pixel sizes are known (a
square lattice scanned with pixels 1.2 times as tall as wide is 1.2 times longer in
pixels along x), in pixels otherwise. Only a band of ratios is refused (`EqualEdges`):
below it, drift, shear and non-square pixels leave a square or hexagonal lattice's edges
(at most 1.13 on 1,958 held-out square and hexagonal scans); above it lie the supercells
an autocorrelation sometimes finds instead (2 x 1 of a square lattice, the sqrt 3 cell of
a hexagonal one), on which the network still reads those groups right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symcat.embed.symmetry.groups import GROUPS, LATTICE
from symcat.embed.symmetry.lattice import Lattice, reduced

# the groups whose lattice must have two equal edges
EQUAL_EDGED = tuple(g for g in GROUPS if LATTICE[g] in ("square", "hexagonal"))


def edge_ratio(lat: Lattice, aspect: float | None = None) -> float:
    """The reduced cell's longer edge over its shorter (1 for a square or hexagonal
    lattice), its vectors scaled to physical units by ``aspect`` (a pixel's height over
    its width: `symcat.ingest.pictures.pixel_aspect`); NaN
    where no lattice was found."""
    if not lat.found:
        return math.nan
    scale = np.array([1.0, aspect or 1.0])
    a, b = np.array(lat.a1, float) * scale, np.array(lat.a2, float) * scale
    if not (a @ a > 0 and b @ b > 0):
        return math.nan
    a, b = reduced(a, b)  # the two shortest vectors of the lattice
    return float(math.sqrt((b @ b) / (a @ a)))


@dataclass(frozen=True)
class EqualEdges:
    """Rule out the square and hexagonal groups where the cell's edge ratio lies in
    ``[low, high)``."""

    low: float = 1.15
    high: float = 1.5

    @classmethod
    def from_config(cls, cfg: dict) -> EqualEdges:
        return cls(low=float(cfg.get("low", 1.15)), high=float(cfg.get("high", 1.5)))

    def refuses(self, lat: Lattice, aspect: float | None = None) -> bool:
        """Whether ``lat`` (scaled by ``aspect``) admits no group of `EQUAL_EDGED`."""
        return self.low <= edge_ratio(lat, aspect) < self.high  # NaN: False

    def adjust(self, probs: np.ndarray, lat: Lattice, aspect: float | None = None,
               ) -> np.ndarray:
        """``probs`` (17 groups, then "none" where the model has it) without the groups
        of `EQUAL_EDGED` where the lattice refuses them, renormalised; unchanged
        otherwise, or where nothing would be left."""
        if not self.refuses(lat, aspect):
            return probs
        out = probs.copy()
        out[[GROUPS.index(g) for g in EQUAL_EDGED]] = 0.0
        return out / out.sum() if out.sum() > 0 else probs


__all__ = ["EQUAL_EDGED", "EqualEdges", "edge_ratio"]
