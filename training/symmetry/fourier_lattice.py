"""Experiment: the lattice from the Fourier transform's peaks, for many small cells.

With many cells the spectrum of a periodic image is a lattice of sharp peaks, far from
the origin and well resolved, while the autocorrelation's peaks are a pixel or two wide
and fall between pixels (the estimate then picks a supercell on whole-pixel lags). The
reciprocal basis is the coarsest lattice that indexes (nearly) all the spectral power of
the strong peaks; a false sub-cell made by a glide or mirror leaves real reflections
unindexed and is refused by the same test. Aliased harmonics (cells of 3-5 px) are
indexed after folding back by a whole cycle per pixel, with a tight tolerance.

Not shipped (RESULTS.md, "Symmetry model"): beside the autocorrelation estimate of
symcat_symmetry.v3 it finds the right cell about as often where cells are large, and
rarely turns v3's supercells at 16-50 cells into right cells: the images there have
cells of 3-5 px, whose spectra are mostly folded harmonics, or distortions that smear
the peaks. Compare on the evaluation's images:

    python -m training.symmetry.fourier_lattice --n-per-bin 34 --domains 60
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

from symcat.embed.symmetry.lattice import Lattice, as_grey, none, reduced

MAX_PEAKS = 24
INDEX_TOL = 0.12  # a peak is indexed when its lattice coordinates are this near integers
INDEXED_POWER = 0.95  # share of the strong peaks' power the basis must index
PEAK_SHARE = 0.25  # strong peaks must hold this share of the spectrum's power (off DC)


def _spectrum(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    x = img - img.mean()
    win = np.outer(np.hanning(h), np.hanning(w))
    return np.abs(np.fft.fftshift(np.fft.fft2(x * win))) ** 2


def _peaks(power: np.ndarray, min_radius: float) -> list[tuple[float, np.ndarray]]:
    """Strong local maxima of the power, one of each +-k pair, sub-bin positions in
    cycles per pixel (x = column, y = row)."""
    h, w = power.shape
    cy, cx = h // 2, w // 2
    ys, xs = np.mgrid[0:h, 0:w]
    rad = np.hypot((xs - cx) / w, (ys - cy) / h)
    local = (ndimage.maximum_filter(power, size=3) == power) & (rad >= min_radius)
    upper = (ys < cy) | ((ys == cy) & (xs > cx))
    rows, cols = np.nonzero(local & upper)
    if rows.size == 0:
        return []
    order = np.argsort(-power[rows, cols])[:MAX_PEAKS]
    lp = np.log(power + 1e-30)
    out = []
    for r, c in zip(rows[order], cols[order], strict=True):
        def off(m: float, z: float, p: float) -> float:
            d = m - 2 * z + p
            return 0.0 if d >= 0 else 0.5 * (m - p) / d
        dy = off(lp[r - 1, c], lp[r, c], lp[r + 1, c]) if 0 < r < h - 1 else 0.0
        dx = off(lp[r, c - 1], lp[r, c], lp[r, c + 1]) if 0 < c < w - 1 else 0.0
        k = np.array([(c + dx - cx) / w, (r + dy - cy) / h])
        out.append((float(power[r, c]), k))
    return out


_WRAPS = np.array([(x, y) for x in (-1, 0, 1) for y in (-1, 0, 1)], dtype=float)
WRAP_TOL = 0.04  # a folded harmonic must index this closely (chance matches otherwise)


def _indexed(basis: np.ndarray, ks: np.ndarray, weights: np.ndarray
             ) -> tuple[float, np.ndarray, np.ndarray]:
    """Share of the weight whose peaks have near-integer coordinates in `basis` (rows b1,
    b2), allowing for aliasing (a harmonic past the Nyquist frequency folds back by a
    whole cycle per pixel); the integer coordinates and the unfolded peak positions."""
    inv = np.linalg.inv(basis.T)
    best_err = np.full(len(ks), np.inf)
    hk = np.full((len(ks), 2), np.nan)
    unfolded = ks.copy()
    for wrap in _WRAPS:
        k = ks + wrap
        coords = (inv @ k.T).T
        r = np.round(coords)
        err = np.abs(coords - r).max(1)
        if wrap.any():  # a folded harmonic: only a close match, and not past 0.9 cycles/px
            err = np.where((err < WRAP_TOL) & (np.hypot(*k.T) < 0.9), err, np.inf)
        better = err < best_err
        best_err[better] = err[better]
        hk[better] = r[better]
        unfolded[better] = k[better]
    ok = best_err < INDEX_TOL
    hk[~ok] = np.nan
    return float(weights[ok].sum() / weights.sum()), hk, unfolded


def estimate_fourier(image: np.ndarray, max_period_fraction: float = 0.4) -> Lattice:
    """The primitive cell from the spectrum, or why there is none."""
    img = as_grey(image)
    if not np.isfinite(img).all():
        img = np.where(np.isfinite(img), img, float(np.nanmean(img)))
    h, w = img.shape
    power = _spectrum(img)
    min_radius = 1.0 / (max_period_fraction * min(h, w))  # at least 2.5 cells
    peaks = _peaks(power, min_radius)
    if len(peaks) < 2:
        return none("no lattice: fewer than two spectral peaks")
    weights = np.array([p for p, _ in peaks])
    ks = np.array([k for _, k in peaks])
    off_dc = power.sum() - power[h // 2 - 1 : h // 2 + 2, w // 2 - 1 : w // 2 + 2].sum()
    if 2 * weights.sum() < PEAK_SHARE * off_dc:
        return none("no lattice: the spectrum has no strong peaks")
    strong = [i for i in range(len(ks)) if weights[i] >= 0.02 * weights.max()]
    cands = [ks[i] for i in strong[:12]]
    best: tuple[float, np.ndarray] | None = None
    for u, v in itertools.combinations(cands, 2):
        for a, b in ((u, v), (u, v - u), (u, v + u)):
            if abs(a[0] * b[1] - a[1] * b[0]) < 0.3 * np.hypot(*a) * np.hypot(*b):
                continue
            b1, b2 = reduced(np.asarray(a), np.asarray(b))
            basis = np.array([b1, b2])
            share, _, _ = _indexed(basis, ks[strong], weights[strong])
            area = abs(np.linalg.det(basis))
            if share >= INDEXED_POWER and (best is None or area > best[0] * 1.02):
                best = (area, basis)
    if best is None:
        return none("no lattice: no reciprocal basis indexes the spectral peaks")
    basis = best[1]
    _, hk, unfolded = _indexed(basis, ks, weights)
    ok = np.isfinite(hk[:, 0])
    if ok.sum() >= 3:  # least squares over every indexed peak
        fit, *_ = np.linalg.lstsq(hk[ok], unfolded[ok], rcond=None)
        if abs(np.linalg.det(fit)) > 0:
            basis = fit
    real = np.linalg.inv(basis).T  # rows a1, a2 with a_i . b_j = delta_ij
    a1, a2 = reduced(real[0], real[1])
    if max(np.hypot(*a1), np.hypot(*a2)) > max_period_fraction * min(h, w):
        return none("too few cells")
    return Lattice(True, "", (float(a1[0]), float(a1[1])), (float(a2[0]), float(a2[1])),
                   share_of(basis, ks, weights))


def share_of(basis: np.ndarray, ks: np.ndarray, weights: np.ndarray) -> float:
    return _indexed(basis, ks, weights)[0]


def supercell_index(coarse: Lattice, fine: Lattice, tol: float = 0.08) -> int:
    """m >= 2 when `coarse`'s cell is m times `fine`'s and its vectors are whole
    combinations of `fine`'s (a supercell); 0 otherwise."""
    f = np.array([fine.a1, fine.a2]).T
    c = np.array([coarse.a1, coarse.a2]).T
    coords = np.linalg.solve(f, c)
    if np.abs(coords - np.round(coords)).max() > tol:
        return 0
    m = int(round(abs(np.linalg.det(np.round(coords)))))
    return m if m >= 2 else 0


def combined(image: np.ndarray, acf_lattice: Lattice) -> Lattice:
    """The autocorrelation's lattice, unless the spectrum shows it is a supercell."""
    if not acf_lattice.found:
        return acf_lattice
    f = estimate_fourier(image)
    if f.found and supercell_index(acf_lattice, f):
        return f
    return acf_lattice


def _glyph_job(item: dict) -> list[str]:
    import heldout_wallpaper as heldout  # type: ignore[import-not-found]

    from symcat.embed.symmetry.lattice import estimate
    from training.symmetry.lattice_ablation import V3, judge, true_periods

    image = heldout.make(item)
    want = true_periods(item)
    acf = estimate(image, 3.0, V3)
    return [judge(lat, want) for lat in (acf, estimate_fourier(image), combined(image, acf))]


def _domain_job(image: np.ndarray) -> list[bool]:
    from symcat.embed.symmetry.lattice import estimate
    from training.symmetry.lattice_ablation import V3

    acf = estimate(image, 3.0, V3)
    return [acf.found, estimate_fourier(image).found, combined(image, acf).found]


def main() -> None:
    import argparse
    import multiprocessing as mp
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import heldout_wallpaper as heldout  # type: ignore[import-not-found]
    import symmetry_eval as evaluation  # type: ignore[import-not-found]

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-per-bin", type=int, default=34)
    p.add_argument("--domains", type=int, default=60)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args()
    items = heldout.dataset(a.n_per_bin, 20261130, evaluation.BINS)
    domains = evaluation.domain_images(a.domains, 20261130 + 2)
    with mp.get_context("fork").Pool(a.workers) as pool:
        glyphs = pool.map(_glyph_job, items, chunksize=2)
        found = pool.map(_domain_job, [im for _, im in domains], chunksize=2)
    names = ("v3 (autocorrelation)", "spectrum", "v3 unless the spectrum finds a sub-cell")
    head = " | ".join(f"{lo}-{hi} right / wrong / none" for lo, hi in evaluation.BINS)
    print(f"| estimate | {head} | false lattice on domains |")
    print("|---" * (len(evaluation.BINS) + 2) + "|")
    for j, name in enumerate(names):
        cells = []
        for lo, hi in evaluation.BINS:
            rows = [g[j] for g, it in zip(glyphs, items, strict=True) if it["bin"] == f"{lo}-{hi}"]
            cells.append(" / ".join(f"{sum(r == k for r in rows) / len(rows):.0%}"
                                    for k in ("right", "wrong", "none")))
        false = float(np.mean([f[j] for f in found]))
        print(f"| {name} | " + " | ".join(cells) + f" | {false:.1%} |")


if __name__ == "__main__":
    main()
