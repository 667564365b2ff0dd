"""Scan lines offset from each other, found and levelled before the lattice search.

A probe scans an image line by line, and the feedback drifts between lines: each row
sits at its own offset. An offset is constant along its row, so in the image's spectrum
it lies on the column of no horizontal frequency alone, and there it is white noise: every
vertical frequency gets its share. A periodic pattern puts only sharp peaks there (its
lattice's reciprocal vectors that are vertical, where the lattice has any), or nothing
but the mean. So the row means are split in two: the frequencies standing ``peak`` times
above the median amplitude are the pattern's and stay, the rest are the offsets and are
subtracted, where their standard deviation is at least ``min_offset`` of the image's range
(smaller ones stay: a pattern's own row means wobble where its cell does not divide the
rows, and a lattice along the rows loses a turn or a diagonal mirror with them).

symcat_symmetry.v34 read seed 89's held-out glyphs at 8 cells or more 94.6% right as drawn
and 76.5% with every row offset by a tenth of the range; v35 94.6% (benchmarks/RESULTS.md,
"symcat_symmetry.v35"). Numpy only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from symcat.embed.symmetry.spread import pattern_range


@dataclass(frozen=True)
class LineOffsets:
    """Level rows offset from each other (see the module)."""

    peak: float = 5.0
    min_offset: float = 0.05
    min_rows: int = 16

    @classmethod
    def from_config(cls, cfg: dict) -> LineOffsets:
        return cls(peak=float(cfg.get("peak", 5.0)),
                   min_offset=float(cfg.get("min_offset", 0.05)),
                   min_rows=int(cfg.get("min_rows", 16)))

    def offsets(self, grey: np.ndarray) -> np.ndarray | None:
        """Each row's offset (0 for rows with no finite value), or None where the rows
        carry none worth levelling (or there are too few to tell)."""
        a = np.asarray(grey, dtype=np.float64)
        if a.ndim != 2:
            return None
        finite = np.isfinite(a)
        if not finite.all():  # infinite pixels are left out of the means, as NaN ones are
            a = np.where(finite, a, np.nan)
        rows = np.flatnonzero(finite.any(axis=1))
        if rows.size < self.min_rows:
            return None
        values = a[finite]
        spread = pattern_range(values)
        if spread is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(a[rows] / spread, axis=1)  # (scaled: no overflow)
        means -= means.mean()
        spectrum = np.fft.rfft(means)
        amplitude = np.abs(spectrum)
        floor = float(np.median(amplitude[1:])) if amplitude.size > 1 else 0.0
        keep = amplitude > self.peak * floor
        keep[0] = True
        wobble = means - np.fft.irfft(spectrum * keep, means.size)
        if float(wobble.std()) < self.min_offset:
            return None
        out = np.zeros(a.shape[0])
        out[rows] = wobble * spread
        return out

    def level(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` with its rows' offsets subtracted (the same array where they carry
        none worth levelling)."""
        found = self.offsets(grey)
        if found is None:
            return grey
        return np.asarray(grey, dtype=np.float64) - found[:, None]
