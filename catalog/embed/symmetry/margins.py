"""Flat margins around a pattern, found and trimmed before the lattice search.

A picture from another program often holds the pattern inside a flat surround: a figure
saved with its white border, a pattern padded to a square, a scan stopped early whose
unscanned lines are zeros or NaN. The margin's step dominates the autocorrelation, so
the lattice search finds nothing: symcat_symmetry.v32 read seed 101's held-out glyphs at
8 cells or more 90.0% right as drawn and 30.0% inside a 10% white margin, most of them
abstaining with "no lattice" (benchmarks/RESULTS.md, "A flat margin around the pattern").

A line (row or column) is flat where the standard deviation of its values is at most
``tol`` of the range of the image's central half (0.5th to 99.5th percentile, or all of
it where those are equal; the whole image's where the centre is constant), or where none
of its values is finite. The centre's range is the pattern's: a faint two-tone pattern
inside a white surround varies by far less than the surround's step. A JPEG's white is
white within a level or two.

A margin is a run of flat lines at one edge, all at one level (or empty). It is trimmed
only where it is wider than any run of flat lines inside the pattern by ``excess`` lines
or more: a pattern with flat gaps of its own (glyphs on a blank ground, cut by the edge)
keeps its edges, so an image without a margin is read exactly as before. Rows are
trimmed first, then columns of the rows kept, and again on what is left (a frame line of
2 px or more inside a white surround goes with its second pass); nothing is trimmed
where less than ``min_side`` pixels would be left. Numpy only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from symcat.embed.symmetry.lattice import MIN_SIDE


@dataclass(frozen=True)
class MarginTrim:
    """Trim flat margins wider than the pattern's own flat gaps (see the module)."""

    tol: float = 0.02
    excess: int = 2
    min_side: int = MIN_SIDE
    passes: int = 4

    @classmethod
    def from_config(cls, cfg: dict) -> MarginTrim:
        return cls(tol=float(cfg.get("tol", 0.02)), excess=int(cfg.get("excess", 2)),
                   min_side=int(cfg.get("min_side", MIN_SIDE)),
                   passes=int(cfg.get("passes", 4)))

    def window(self, grey: np.ndarray) -> tuple[slice, slice]:
        """The rows and columns of a 2-D ``grey`` image to keep (all where it has no
        margin, or is constant, empty or too small to judge)."""
        a = np.asarray(grey, dtype=np.float64)
        h, w = a.shape
        spread = _spread(a[h // 4 : h - h // 4, w // 4 : w - w // 4]) or _spread(a)
        if not np.isfinite(spread) or spread <= 0:  # (also where no value is finite)
            return slice(0, h), slice(0, w)
        a = np.where(np.isfinite(a), a, np.nan)
        tol = spread * self.tol
        top, bottom, left, right = 0, h, 0, w
        for _ in range(self.passes):  # a margin, then a frame line inside it, ...
            before = (top, bottom, left, right)
            t, b = self._keep(a[top:bottom, left:right], tol)
            top, bottom = top + t, top + b
            c0, c1 = self._keep(a[top:bottom, left:right].T, tol)
            left, right = left + c0, left + c1
            if (top, bottom, left, right) == before:
                break
        return slice(top, bottom), slice(left, right)

    def trim(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` without its flat margins (the same array where it has none)."""
        rows, cols = self.window(grey)
        if rows == slice(0, grey.shape[0]) and cols == slice(0, grey.shape[1]):
            return grey
        return grey[rows, cols]

    def _keep(self, a: np.ndarray, tol: float) -> tuple[int, int]:
        """First and past-last row of ``a`` (NaN where not finite) left after trimming."""
        n = a.shape[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            std = np.nanstd(a, axis=1)
            level = np.nanmedian(a, axis=1)
        empty = np.isnan(level)
        flat = empty | (std <= tol)
        start = _edge_run(flat, empty, level, tol)
        end = n - _edge_run(flat[::-1], empty[::-1], level[::-1], tol)
        if start >= end:
            return 0, n  # flat throughout: constant, left to the lattice search's refusal
        inner = _longest_run(flat[start:end])
        start = start if start >= inner + self.excess else 0
        end = end if n - end >= inner + self.excess else n
        return (start, end) if end - start >= self.min_side else (0, n)


def _spread(a: np.ndarray) -> float:
    """The 0.5th to 99.5th percentile range of the finite values of ``a`` (all of them
    where those are equal; 0 where there are none)."""
    values = a[np.isfinite(a)]
    if values.size == 0:
        return 0.0
    lo, hi = np.percentile(values[:: max(1, values.size >> 20)], [0.5, 99.5])
    return float(hi - lo) or float(values.max() - values.min())


def _edge_run(flat: np.ndarray, empty: np.ndarray, level: np.ndarray, tol: float) -> int:
    """How many lines from the start are flat, at the level of the first that has one."""
    ref = None
    for i, (f, e, v) in enumerate(zip(flat, empty, level, strict=True)):
        if not f:
            return i
        if e:
            continue
        if ref is None:
            ref = v
        elif abs(v - ref) > tol:
            return i
    return len(flat)


def _longest_run(flags: np.ndarray) -> int:
    """Longest run of True in a 1-D boolean array."""
    if not flags.any():
        return 0
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
