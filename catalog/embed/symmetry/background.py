"""A scan's tilt and bow, found and levelled before the lattice search.

A probe's height image is rarely level: the sample sits at a tilt, and the scanner's arc
bows the image. Asylum's software saves the raw heights and flattens them only for
display, so a catalog holds the tilt. The tilt is a ramp many times the pattern's own
height; every view the network reads and every averaged cell then carries a slope, which
no mirror or turn maps onto itself. symcat_symmetry.v33 read seed 89's held-out glyphs at
8 cells or more 94.6% right as drawn and 2.0% on a tilt of 20 times the pattern's range
with a bow of twice it, most of them abstaining (benchmarks/RESULTS.md,
"symcat_symmetry.v34").

The background is a polynomial of degree ``degree`` in x and y (a plane and a bow at 2),
fitted by least squares to the finite pixels (on a grid of at most ``max_points``). It is
subtracted only where its range over the image is at least ``ratio`` times the range (0.5th
to 99.5th percentile) of what is left: a pattern of a few cells fits a faint slope of its
own, which stays, so an image without a background is read exactly as before. Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Background:
    """Level a polynomial background far larger than the pattern (see the module)."""

    degree: int = 2
    ratio: float = 0.5
    max_points: int = 1 << 16

    @classmethod
    def from_config(cls, cfg: dict) -> Background:
        return cls(degree=int(cfg.get("degree", 2)), ratio=float(cfg.get("ratio", 0.5)),
                   max_points=int(cfg.get("max_points", 1 << 16)))

    def fit(self, grey: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The fitted background of a 2-D ``grey`` image on its full grid, and its range
        over the pattern's (what is left's) range; None where nothing can be fitted (too
        few finite pixels, or nothing but the background)."""
        a = np.asarray(grey, dtype=np.float64)
        h, w = a.shape
        step = max(1, int(np.ceil(np.sqrt(h * w / self.max_points))))
        sub = a[::step, ::step]
        ys, xs = np.nonzero(np.isfinite(sub))
        terms = (self.degree + 1) * (self.degree + 2) // 2
        if ys.size < 4 * terms:
            return None
        scale = float(np.abs(sub[ys, xs]).max()) or 1.0  # no overflow for huge values
        values = sub[ys, xs] / scale
        design = self._design(ys * step, xs * step, h, w)
        coef, *_ = np.linalg.lstsq(design, values, rcond=None)
        residual = values - design @ coef
        lo, hi = np.percentile(residual, [0.5, 99.5])
        if not hi - lo > 1e-9:  # (values scaled to at most 1): all background, or constant
            return None
        surface = self._surface(coef, h, w)
        return surface * scale, float(np.ptp(surface) / (hi - lo))

    def level(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` less its background where that is ``ratio`` times the pattern's range
        or more (the same array otherwise)."""
        if self.degree < 1 or np.ndim(grey) != 2:
            return grey
        fitted = self.fit(grey)
        if fitted is None or fitted[1] < self.ratio:
            return grey
        return np.asarray(grey, dtype=np.float64) - fitted[0]

    def _powers(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.degree + 1) for j in range(self.degree + 1 - i)]

    def _design(self, y: np.ndarray, x: np.ndarray, h: int, w: int) -> np.ndarray:
        """Monomials x^i y^j, i + j <= degree, of coordinates scaled to [-1, 1]."""
        u, v = _unit(x, w), _unit(y, h)
        return np.stack([u**i * v**j for i, j in self._powers()], axis=-1)

    def _surface(self, coef: np.ndarray, h: int, w: int) -> np.ndarray:
        """The polynomial on the full ``h`` x ``w`` grid, as a sum of outer products (no
        design matrix of every pixel)."""
        u, v = _unit(np.arange(w), w), _unit(np.arange(h), h)
        out = np.zeros((h, w))
        for c, (i, j) in zip(coef, self._powers(), strict=True):
            out += c * np.outer(v**j, u**i)
        return out


def _unit(index: np.ndarray, n: int) -> np.ndarray:
    """Pixel indices 0..n-1 scaled to [-1, 1]."""
    return 2.0 * np.asarray(index, dtype=np.float64) / max(n - 1, 1) - 1.0
