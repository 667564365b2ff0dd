"""Drift along the slow scan axis: each scan line's x shift, tracked and undone.

While a probe scans, its position drifts (thermal drift, piezo creep): every scan line
(row) is shifted along the fast axis (x) by an amount that changes slowly from line to
line. A constant drift rate only shears the lattice, and the lattice estimate absorbs
it; a changing rate bends the lattice, and a few pixels of bend are enough for one
averaged cell (`motif`) to fit a scan of small cells poorly.

Here the cell is found on the scan's centre lines (a quarter of them, the full width:
they are bent least), then the shift of each band of scan lines is tracked outward from the centre:
a band is binned against the cell averaged over the bands already placed, at shifts
within ``window_px`` of the one its two inner neighbours predict, and joins them at the
best. A polynomial through the band shifts gives every line's shift; the lattice is
refined and the cell averaged over the whole scan with the lines moved back. Drift of
the line spacing (y) is not modelled beyond what the lattice absorbs.

Numpy and scipy only, never raises on bad values (as `motif`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symcat.embed.symmetry import motif
from symcat.embed.symmetry.lattice import MIN_SIDE
from symcat.embed.symmetry.motif import BINS, SAMPLE, Binner, Cell, bin_index


@dataclass(frozen=True)
class Drift:
    """How the drift is tracked (a model's setting, named in its config.json).

    ``bands``: bands of scan lines tracked; ``window_px`` and ``step_px``: the shifts
    tried around each band's predicted one; ``degree``: of the polynomial through the
    band shifts; ``min_r2``: the share of variance a drift-undone cell must explain to
    be read (None: the same as any averaged cell, `extract.MotifRule.min_r2`). Measured
    in benchmarks/RESULTS.md (symcat_symmetry.v11, v12).
    """

    bands: int = 16
    window_px: float = 1.5
    step_px: float = 0.1
    degree: int = 3
    min_r2: float | None = None

    @classmethod
    def from_config(cls, cfg: dict) -> Drift:
        bar = cfg.get("min_r2")
        return cls(int(cfg.get("bands", 16)), float(cfg.get("window_px", 1.5)),
                   float(cfg.get("step_px", 0.1)), int(cfg.get("degree", 3)),
                   None if bar is None else float(bar))


def _tracking_order(bands: int) -> list[int]:
    """The two centre bands, then outward, alternating below and above."""
    lo, hi = bands // 2 - 1, bands // 2
    order = [lo, hi]
    for k in range(1, bands):
        for b in (hi + k, lo - k):
            if 0 <= b < bands:
                order.append(b)
    return order


def band_shifts(img: np.ndarray, rec: np.ndarray, drift: Drift) -> np.ndarray:
    """Each band's x shift (px) relative to the centre bands, for the cell ``rec``."""
    h, w = img.shape
    edges = np.linspace(0, h, drift.bands + 1).round().astype(int)
    xx = np.arange(w, dtype=np.float64) + 0.5
    total = np.zeros(BINS * BINS)
    count = np.zeros(BINS * BINS)
    shifts = np.full(drift.bands, np.nan)
    order = _tracking_order(drift.bands)

    for b in order:
        r0, r1 = edges[b], edges[b + 1]  # the band's pixels, fixed while shifts are tried
        values = img[r0:r1].ravel()
        x = np.tile(xx, r1 - r0)
        y = np.repeat(np.arange(r0, r1, dtype=np.float64) + 0.5, w)
        step = 1 if b < order[0] else -1  # towards the centre
        inner = [shifts[b + step * k] for k in (1, 2) if 0 <= b + step * k < drift.bands]
        inner = [s for s in inner if not np.isnan(s)]
        if not inner:
            best = 0.0  # a centre band: the reference
        else:
            guess = 2 * inner[0] - inner[1] if len(inner) == 2 else inner[0]
            mean = total / np.maximum(count, 1)
            scores = []
            tried = np.arange(guess - drift.window_px, guess + drift.window_px + 1e-9,
                              drift.step_px)
            for s in tried:
                idx = bin_index(rec, np.stack([x - float(s), y]))
                seen = count[idx] > 0
                scores.append(float(((values[seen] - mean[idx[seen]]) ** 2).mean())
                              if seen.any() else np.inf)
            best = float(tried[int(np.argmin(scores))])
        shifts[b] = best
        idx = bin_index(rec, np.stack([x - best, y]))
        total += np.bincount(idx, values, BINS * BINS)
        count += np.bincount(idx, None, BINS * BINS)
    return shifts


def estimate(image: np.ndarray, screen_min: float = 0.2,
             search: motif.Search = motif.V9_SEARCH, drift: Drift = Drift()) -> Cell:
    """The scan's cell, averaged over the (centre square of the) scan with each line's
    drift undone; ``Cell.line_shift`` holds the shifts. Otherwise as `motif.estimate`."""
    img, reason = motif.prepared(image)
    if img is None:
        return Cell(False, reason)
    h, w = img.shape
    rows = max(h // 4, MIN_SIDE)
    top = (h - rows) // 2
    centre = motif.estimate_prepared(img[top : top + rows], screen_min, search)
    if not centre.found:
        return Cell(False, f"centre lines of the scan: {centre.reason}", r2=centre.r2)
    shifts = band_shifts(img, centre.reciprocal, drift)
    edges = np.linspace(0, h, drift.bands + 1)
    mid = (edges[:-1] + edges[1:]) / 2 - h / 2
    coef = np.polyfit(mid, shifts, min(drift.degree, drift.bands - 1))
    line_shift = np.polyval(coef, np.arange(h) + 0.5 - h / 2)
    sample = Binner(img, SAMPLE, line_shift)
    # only the exact cell of the search (v22 on) applies here: v11-v21 averaged by bins
    exact = motif.Search(fourier_max_px2=search.fourier_max_px2,
                         hexagonal_disk=search.hexagonal_disk)
    return motif.averaged(img, sample.refine(centre.reciprocal, 0.1, max(h, w)), line_shift,
                          search=exact)
