"""Pictures enlarged by repeating pixels, found and brought back to their own pixels.

Pictures from papers, slides and other programs' generators are often enlarged for show by
repeating each pixel k times along both axes (nearest-neighbour scaling): every k x k
block holds one value. Read as they are, a cell of 8 pixels becomes one of 24 blocky ones,
whose sharp block edges are not the pattern's; symcat_symmetry.v36 reads such pictures'
groups worse, and v37 reads them also at their own pixels (benchmarks/RESULTS.md,
"symcat_symmetry.v37").

A picture is taken as enlarged k times when, along each axis, the mean step between
neighbouring lines inside a block is at most ``max_ratio`` of the mean step across a
block's edge (at one of the k phases), for the same k along both axes; then each block is
averaged (which also averages noise added after the enlargement away). The steps between
rows are measured on rows less their own median, so rows offset from each other (a scan's
line offsets) do not hide the blocks. Where several k fit, the largest that fits about as
well as the best is taken (a picture enlarged 4 times also fits 2).

A lattice found on the reduced picture is reported in the picture's own pixel widths, as
every lattice is (`extract.SymmetryExtractor.analyse`). Pictures under ``min_side``
blocks a side, constant ones and those over ``max_pixels`` are left as they are. Numpy
only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Blocks(NamedTuple):
    """How a picture was enlarged: ``factor`` pixels a block along both axes, the first
    whole block starting at row ``row`` and column ``column``; ``ratio``: the larger of the
    two axes' inside-to-edge step ratios (0 for exact repeats)."""

    factor: int
    row: int
    column: int
    ratio: float


@dataclass(frozen=True)
class PixelBlocks:
    """Find pictures enlarged by repeating pixels and reduce them (see the module)."""

    max_factor: int = 8
    max_ratio: float = 0.35
    min_side: int = 32
    max_pixels: int = 1 << 24  # 4096 x 4096: the steps' arrays stay under 130 MB
    tie: float = 0.02  # a larger factor fitting within this of the best is preferred

    @classmethod
    def from_config(cls, cfg: dict) -> PixelBlocks:
        return cls(max_factor=int(cfg.get("max_factor", 8)),
                   max_ratio=float(cfg.get("max_ratio", 0.35)),
                   min_side=int(cfg.get("min_side", 32)),
                   max_pixels=int(cfg.get("max_pixels", 1 << 24)))

    def find(self, grey: np.ndarray) -> Blocks | None:
        """The enlargement of ``grey`` (2-D), or None where it shows none."""
        a = np.asarray(grey, dtype=np.float32)
        if a.ndim != 2 or a.size > self.max_pixels or min(a.shape) < 2 * self.min_side:
            return None
        finite = np.isfinite(a)
        if not finite.any():
            return None
        # the same medians; nanmedian takes 3 times as long, on every picture read
        median = np.median if finite.all() else np.nanmedian
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lines: skipped
            rows = self._axis(a - median(a, axis=1, keepdims=True), 0)
            columns = self._axis(a, 1)
        if rows is None or columns is None or rows[0] != columns[0]:
            return None
        k = rows[0]
        if min((a.shape[0] - rows[1]) // k, (a.shape[1] - columns[1]) // k) < self.min_side:
            return None
        return Blocks(k, rows[1], columns[1], max(rows[2], columns[2]))

    def reduce(self, grey: np.ndarray) -> tuple[np.ndarray, int]:
        """``grey`` with each block averaged into one pixel, and the factor; the same
        array and 1 where it shows no enlargement. Blocks cut by the edges are left out."""
        found = self.find(grey)
        if found is None:
            return grey, 1
        k, y, x = found.factor, found.row, found.column
        a = np.asarray(grey, dtype=np.float64)
        h, w = (a.shape[0] - y) // k, (a.shape[1] - x) // k
        blocks = a[y : y + h * k, x : x + w * k].reshape(h, k, w, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block stays NaN
            return np.nanmean(blocks, axis=(1, 3)), k

    def _axis(self, a: np.ndarray, axis: int) -> tuple[int, int, float] | None:
        """(factor, phase, ratio) of the best fitting enlargement along ``axis``, or None
        where none fits under ``max_ratio``."""
        steps = np.nanmean(np.abs(np.diff(a, axis=axis)), axis=1 - axis)
        steps = np.where(np.isfinite(steps), steps, np.nan)
        index = np.arange(steps.size)
        fits = []
        for k in range(2, self.max_factor + 1):
            if steps.size + 1 < 8 * k:
                break
            for phase in range(k):
                edge = (index + 1 - phase) % k == 0
                across, inside = np.nanmean(steps[edge]), np.nanmean(steps[~edge])
                if across > 0 and np.isfinite(inside):
                    fits.append((float(inside / across), k, phase))
        if not fits:
            return None
        best = min(r for r, _, _ in fits)
        if best > self.max_ratio:
            return None
        ratio, k, phase = max((f for f in fits if f[0] <= best + self.tie),
                              key=lambda f: f[1])
        return k, phase, ratio

