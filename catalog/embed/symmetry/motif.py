"""Unit-cell averaging: a scan's many small cells folded into one, sharp, cell.

A scan of cells under ~12 px is hard to read: the network needs cells of 20-60 px, and
enlarging the scan enlarges its aliasing too (a point-sampled motif finer than the
pixels turns into a moire). But every pixel sees the motif at its own position in the
cell, and with tens of cells per side those positions cover the cell densely. With the
lattice known to a small fraction of a pixel over the whole scan, averaging the pixels
by their position in the cell gives the motif at a resolution finer than the pixels
(the unit-cell averaging of crystallographic image processing, or shift-and-add). The
network then reads views drawn from that averaged cell at the size it was trained on.

The lattice is found as the pair of spectrum peaks whose averaged cell explains most of
the scan's variance (R^2, with a fixed number of bins per cell), refined by the same
measure. Two ambiguities are settled on the way:

* aliases: lattices that differ by whole cycles per pixel bin the pixels alike; the one
  kept has frequencies under the Nyquist limit (cells of more than ~2 px) and, of
  those, bins the scan best;
* extinctions: glide lines and centring cancel the lowest peaks, so the strongest
  peaks may span a subcell; a supercell that explains more is taken instead (how
  much more: `Search`, a model's setting).

A scan whose lattice bends (drift along the slow axis) fits one averaged cell poorly
(low R^2): `symcat.embed.symmetry.drift` tracks the bend and undoes it (from
symcat_symmetry.v11 on). Averaging such a scan band by band of scan lines, each band
with its own cell, was tried and was right as often as it was wrong
(benchmarks/RESULTS.md).

Numpy and scipy only (no torch): it runs in forked worker processes. Never raises on
bad values: the outcome then is a `Cell` with ``found=False`` and a reason.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, optimize

from symcat.embed.symmetry.lattice import MIN_SIDE, as_grey, clean

BINS = 24  # bins per cell edge for the averaged cell
MAX_SIDE = 512  # larger scans are read from their centre square (small cells: plenty)
SAMPLE = 40_000  # pixels used to choose and refine the lattice (all pixels for the cell)
PEAKS = 12  # spectrum peaks paired as lattice candidates
AGREEMENT_BANDS = 4  # bands of scan lines whose averaged cells `Binner.agreement` compares
PAIR_SLACK = 0.05  # of the best pairs' R^2: the smallest cell within this
# reciprocal bases of the index-2 and -3 supercells tried (rows: combinations of the rows)
SUPERCELLS = tuple(np.array(m, dtype=float) for m in (
    [[0.5, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.5]], [[0.5, 0.5], [0.0, 1.0]],
    [[1.0, 0.0], [0.5, 0.5]], [[1 / 3, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1 / 3]],
    [[0.5, 0.5], [0.5, -0.5]]))
# the two index-3 supercells SUPERCELLS lacks (a cell has four; e.g. a hexagonal cell's
# sqrt(3) x sqrt(3) R30 supercell)
SUPERCELLS_ALL_INDEX_3 = (*SUPERCELLS, *(np.array(m, dtype=float) for m in (
    [[1 / 3, 1 / 3], [0.0, 1.0]], [[1 / 3, 2 / 3], [0.0, 1.0]])))


@dataclass(frozen=True)
class Search:
    """How `estimate` settles extinctions (which supercell of a found cell is the scan's
    own); the defaults are symcat_symmetry.v9's (a model version's numbers never change:
    a new model names its own in its config.json).

    ``supercell_gain``: the share of variance a supercell must explain beyond its subcell.
    With the same number of bins a supercell has coarser bins, so a true cell's supercells
    explain *less* (measured: by 0.008 or more wherever v9 found the true cell and read
    it, five seeds of the evaluation), and a gain means structure the subcell misses (a
    glide, a centring); v9's 0.05 left half cells of glide groups in place.
    ``all_index_3``: try all four index-3 supercells (v9 tries two).
    ``max_q``: the aliases `_unalias` may choose have reduced reciprocal vectors at most
    this long (cycles per pixel); None: each component at most 0.5 (v9-v12), which lets
    through cells with an edge of 1.4-2 px (frequencies up to 0.71), past the Nyquist
    limit, whose binning can tie with the scan's own cell and then wins as the smaller.
    ``harmonic_index``: before the index-2/3 search, also try every supercell of index
    up to this of the refined pair's cell (before and after unaliasing), taken where it
    explains ``supercell_gain`` more: a smooth motif's strongest waves can be harmonics
    (orders (1,2), (2,1) of a square cell: index 5; of a hexagonal one: index 7) whose
    pair spans a subcell the index-2/3 supercells do not reach. 0: not tried (v9-v12).
    ``harmonic_min_r2``: ... and only where that supercell explains at least this share
    of the scan: on bent scans of tiny cells, whose own cell explains little, some long
    supercell explains a little more than the cell and is no lattice of the pattern.
    ``whole_pixels``: the cell found is tried with its vectors rounded to whole pixels
    (`_whole_pixels`), and kept so where that explains the scan at least as well: a scan
    tiled from a cell of whole pixels ties R^2 with lattices a few thousandths of a pixel
    off, which drift by a pixel over a large scan and smear the averaged cell (an exact
    cm mirror measured 0.81). ``fill_all``: every empty bin of the averaged cell is
    filled (`filled`, ``every``): such a scan holds only as many positions in its cell as
    the cell has pixels (30 for a 10 x 6 px centred cell: 44 of 576 bins), and one pass of
    neighbours' means leaves most bins at 0, a cell of spikes that no mirror maps onto
    itself (the exact cm mirror measured 0.88; 0.99 filled).
    ``fourier_max_px2``: cells of at most this many square pixels take their averaged
    cell from `exact_cell` (the scan's Fourier coefficients at the lattice's frequencies,
    read at each pixel's exact position in the cell, and the bins only for what is left);
    0: the bins alone (v9-v21). A bin's mean is the motif at where its pixels happen to
    lie, not at its centre: on a lattice nearly commensurate with the pixels a 192 px
    scan of 8 px cells puts only ~7 distinct positions in a bin, and an exact p4's
    quarter turn measured 0.89 on its true lattice (1.00 from its Fourier coefficients).
    ``hexagonal_disk``: a hexagonal cell made exact whose pixels sample it along a few
    lines only (`sampled_lines`: an edge a whole number of pixels along a scan axis, as a
    hexagonal scan drawn pixel by pixel has) is the lattice's Fourier coefficients inside
    a disk of this radius (cycles per pixel) alone. Along that edge the pixels fold the
    motif's finer waves onto the lattice's own frequencies (a cycle per pixel is then a
    lattice vector) unevenly around the turn, most near the Nyquist limit, and the bins
    hold the folded values only along the lines: an exact p6 of 8 px measured 3-fold
    0.34 binned, 0.90 exact, 0.96 in a disk of 0.45. 0: off (v9-v24).
    """

    supercell_gain: float = 0.05
    all_index_3: bool = False
    max_q: float | None = None
    harmonic_index: int = 0
    harmonic_min_r2: float = 0.0
    whole_pixels: bool = False
    fill_all: bool = False
    fourier_max_px2: float = 0.0
    hexagonal_disk: float = 0.0

    @classmethod
    def from_config(cls, cfg: dict) -> Search:
        q = cfg.get("max_q")
        return cls(float(cfg.get("supercell_gain", 0.05)), bool(cfg.get("all_index_3", False)),
                   None if q is None else float(q), int(cfg.get("harmonic_index", 0)),
                   float(cfg.get("harmonic_min_r2", 0.0)),
                   bool(cfg.get("whole_pixels", False)), bool(cfg.get("fill_all", False)),
                   float(cfg.get("fourier_max_px2", 0.0)),
                   float(cfg.get("hexagonal_disk", 0.0)))

    @property
    def supercells(self) -> tuple[np.ndarray, ...]:
        """The reciprocal bases of the supercells tried."""
        return SUPERCELLS_ALL_INDEX_3 if self.all_index_3 else SUPERCELLS


V9_SEARCH = Search()


@dataclass(frozen=True)
class Cell:
    """A scan's lattice as frequencies and its averaged cell, or why there is none.

    ``reciprocal`` rows are the two reciprocal basis vectors in cycles per pixel
    (x = column, y = row); a pixel centre at (x, y) lies at ``reciprocal @ (x, y)`` in
    cell coordinates. ``r2``: the share of the scan's variance the averaged cell
    explains.
    """

    found: bool
    reason: str = ""
    reciprocal: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)))
    r2: float = 0.0
    average: np.ndarray | None = None  # (BINS, BINS)
    # per scan line (row), the x shift undone before averaging (`drift`); None: none
    line_shift: np.ndarray | None = None
    # the pixels it was averaged from, for `agreement` (None: not averaged)
    binner: Binner | None = field(default=None, repr=False, compare=False)
    # `fourier_r2` of the lattice, where the cell was made exact (`exact_cell`: its
    # coefficients give it); NaN otherwise
    resolved: float = math.nan

    @property
    def vectors(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The two real-space cell vectors in pixels (columns of the inverse)."""
        a = np.linalg.inv(self.reciprocal)
        return (float(a[0, 0]), float(a[1, 0])), (float(a[0, 1]), float(a[1, 1]))

    @property
    def period(self) -> float:
        """The longer cell edge in pixels."""
        return max(math.hypot(*v) for v in self.vectors)

    @property
    def agreement(self) -> float:
        """The least correlation of one band of scan lines' averaged cell with the other
        bands' (`Binner.agreement`): near 1 where every band repeats the same cell, however
        noisy the pixels; lower where the lattice bends or drifts across the scan. Computed
        when asked, so only for the cells a model measures, of the several it averages."""
        return self.binner.agreement(self.reciprocal) if self.binner is not None else math.nan


def _none(reason: str, r2: float = 0.0) -> Cell:
    return Cell(False, reason, r2=r2)


def bin_index(reciprocal: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """The averaged cell's bin (flat, of BINS x BINS) of each point ``xy`` (2, N), px."""
    u = reciprocal @ xy
    f = u - np.floor(u)
    i = np.minimum((f * BINS).astype(np.int64), BINS - 1)
    return i[0] * BINS + i[1]


class Binner:
    """Pixel values and centres, binned by their position in a candidate cell."""

    def __init__(self, img: np.ndarray, most: int | None = None,
                 line_shift: np.ndarray | None = None) -> None:
        h, w = img.shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
        if line_shift is not None:  # each scan line moved back by its drift (`drift`)
            xx = xx - line_shift[:, None]
        self.xy = np.stack([xx.ravel(), yy.ravel()])
        self.values = img.ravel()
        self.n_pixels = self.values.size  # before any sampling
        if most is not None and self.values.size > most:
            keep = np.random.default_rng(0).choice(self.values.size, most, replace=False)
            self.xy, self.values = self.xy[:, keep], self.values[keep]
        self.var = float(self.values.var())

    def fit(self, reciprocal: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(R^2, mean per bin, pixels per bin) of the averaged cell."""
        idx = bin_index(reciprocal, self.xy)
        total = np.bincount(idx, self.values, BINS * BINS)
        count = np.bincount(idx, None, BINS * BINS)
        mean = total / np.maximum(count, 1)
        r2 = 1.0 - float(((self.values - mean[idx]) ** 2).mean()) / max(self.var, 1e-30)
        return r2, mean.reshape(BINS, BINS), count.reshape(BINS, BINS)

    def agreement(self, reciprocal: np.ndarray, bands: int = AGREEMENT_BANDS) -> float:
        """The least correlation, over ``bands`` bands of scan lines, between a band's
        averaged cell and the other bands' together (bins both fill). Noise averages out
        of both (many cells a bin), so unlike R^2 this is not lowered by noisy pixels:
        only by a cell that differs across the scan (drift, bends, a wrong lattice)."""
        idx = bin_index(reciprocal, self.xy)
        y = self.xy[1]
        edges = np.quantile(y, np.linspace(0, 1, bands + 1))
        band = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, bands - 1)
        total = np.bincount(idx, self.values, BINS * BINS)
        count = np.bincount(idx, None, BINS * BINS)
        worst = 1.0
        for b in range(bands):
            inside = band == b
            t = np.bincount(idx[inside], self.values[inside], BINS * BINS)
            c = np.bincount(idx[inside], None, BINS * BINS)
            ok = (c > 0) & (count - c > 0)
            if ok.sum() < BINS:
                return math.nan
            one = t[ok] / c[ok]
            rest = (total - t)[ok] / (count - c)[ok]
            one, rest = one - one.mean(), rest - rest.mean()
            den = math.sqrt(float((one**2).sum() * (rest**2).sum()))
            worst = min(worst, float((one * rest).sum()) / den if den > 0 else 0.0)
        return worst

    def refine(self, reciprocal: np.ndarray, step: float, side: int) -> np.ndarray:
        """Nelder-Mead on the four frequencies, maximising R^2."""
        x0 = reciprocal.ravel()
        simplex = np.vstack([x0] + [x0 + e * step / side for e in np.eye(4)])
        res = optimize.minimize(lambda p: -self.fit(p.reshape(2, 2))[0], x0,
                                method="Nelder-Mead",
                                options={"initial_simplex": simplex, "xatol": 0.002 / side,
                                         "fatol": 1e-5, "maxiter": 400})
        return res.x.reshape(2, 2)


@functools.cache
def supercells_up_to(index: int) -> tuple[np.ndarray, ...]:
    """The reciprocal bases (as matrices M: ``M @ rec``) of every supercell of index 2 to
    ``index`` of a cell, one per distinct lattice (sigma(n) of index n): M is the inverse
    of an integer matrix H of determinant n, the rows of M spanning a lattice that
    contains the cell's own reciprocal lattice (Z^2) with index n."""
    out = []
    for n in range(2, index + 1):
        seen: set[frozenset[tuple[int, int]]] = set()
        for a, b in itertools.product(range(1, n + 1), range(n)):
            if n % a:
                continue
            m = np.linalg.inv(np.array([[a, b], [0, n // a]], dtype=float))
            # the lattice of the rows of m, modulo Z^2: n points with denominator n
            key = frozenset(tuple(int(x) for x in np.round((i * m[0] + j * m[1]) * n) % n)
                            for i in range(n) for j in range(n))
            if key not in seen:
                seen.add(key)
                out.append(m)
    return tuple(out)


def _peaks(img: np.ndarray) -> list[np.ndarray]:
    """The strongest local maxima of the windowed power spectrum (one of each +-q pair),
    in cycles per pixel, refined between bins."""
    h, w = img.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.fft.fftshift(np.abs(np.fft.fft2(img * window, (2 * h, 2 * w))) ** 2)
    hh, ww = power.shape
    fy = (np.arange(hh) - hh // 2) / hh
    fx = (np.arange(ww) - ww // 2) / ww
    gx, gy = np.meshgrid(fx, fy)
    local = (ndimage.maximum_filter(power, size=5) == power) & \
        (np.hypot(gx, gy) >= 2.5 / min(h, w)) & ((gy > 0) | ((gy == 0) & (gx > 0)))
    rows, cols = np.nonzero(local)
    logp = np.log(power + 1e-30)
    out = []
    for k in np.argsort(-power[rows, cols])[:PEAKS]:
        r, c = rows[k], cols[k]
        dy = _vertex(logp[r - 1, c], logp[r, c], logp[r + 1, c]) if 0 < r < hh - 1 else 0.0
        dx = _vertex(logp[r, c - 1], logp[r, c], logp[r, c + 1]) if 0 < c < ww - 1 else 0.0
        out.append(np.array([fx[c] + dx / ww, fy[r] + dy / hh]))
    return out


def _collinear(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two spectrum peaks are too nearly collinear to span a lattice."""
    return abs(a[0] * b[1] - a[1] * b[0]) < 0.3 * math.hypot(*a) * math.hypot(*b)


def _vertex(m: float, z: float, p: float) -> float:
    d = m - 2 * z + p
    return 0.0 if d >= 0 else 0.5 * (m - p) / d


def gauss_reduced(rec: np.ndarray) -> np.ndarray:
    """Gauss reduction of the two rows (the same lattice, shortest basis)."""
    a, b = rec[0].copy(), rec[1].copy()
    if a @ a > b @ b:
        a, b = b, a
    for _ in range(20):
        m = round(float(a @ b / (a @ a)))
        if m == 0:
            break
        b = b - m * a
        if b @ b < a @ a:
            a, b = b, a
    return np.stack([a, b])


def _unalias(rec: np.ndarray, binner: Binner, max_q: float | None = None) -> np.ndarray:
    """Of the lattices that bin the pixels alike (rows shifted by whole cycles per
    pixel), the one under the Nyquist limit that bins the scan best (ties: the smaller
    cell). ``max_q``: see `Search`."""
    found = []
    for k in np.ndindex(3, 3, 3, 3):
        cand = gauss_reduced(rec - np.round(rec) + (np.array(k, dtype=float).reshape(2, 2) - 1))
        det = abs(float(np.linalg.det(cand)))
        if det < 1e-9 or np.abs(cand).max() > 0.5:
            continue  # cells under ~2 px cannot be the scan's own
        if max_q is not None and float(np.hypot(cand[:, 0], cand[:, 1]).max()) > max_q:
            continue
        found.append((binner.fit(cand)[0], det, cand))
    if not found:
        return gauss_reduced(rec - np.round(rec))
    top = max(f[0] for f in found)
    return max((f for f in found if f[0] >= top - 0.01), key=lambda f: f[1])[2]


def filled(mean: np.ndarray, count: np.ndarray, every: bool = False) -> np.ndarray:
    """Empty bins (few pixels) take the mean of their neighbours; with ``every``, again
    and again from the bins filled so far, until none is empty (`Search.fill_all`)."""
    if every and (count > 0).any():
        known, out = count > 0, np.where(count > 0, mean, 0.0)
        while not known.all():
            have = ndimage.uniform_filter(known.astype(float), 3, mode="wrap")
            fill = ndimage.uniform_filter(np.where(known, out, 0.0), 3, mode="wrap")
            new = ~known & (have > 0.5 / 9)  # a known neighbour (not rounding's 1e-17)
            out = np.where(new, fill / np.maximum(have, 1e-9), out)
            known |= new
        return out
    if not (count == 0).any():
        return mean
    have = ndimage.uniform_filter((count > 0).astype(float), 3, mode="wrap")
    fill = ndimage.uniform_filter(np.where(count > 0, mean, 0.0), 3, mode="wrap")
    return np.where(count > 0, mean, fill / np.maximum(have, 1e-9))


def prepared(image: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The centre square of at most MAX_SIDE, finite and background-free, or why not."""
    try:
        img = as_grey(image)
    except ValueError as exc:
        return None, str(exc)
    h, w = img.shape
    if min(h, w) < MIN_SIDE:
        return None, f"image too small for a lattice estimate ({h}x{w} px, need {MIN_SIDE})"
    s = min(h, w, MAX_SIDE)
    img = img[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    return clean(img)


def estimate(image: np.ndarray, screen_min: float = 0.2, search: Search = V9_SEARCH) -> Cell:
    """The scan's cell, averaged over the whole (centre square of the) scan.

    Stops early, without refining, when no pair of peaks explains ``screen_min`` of the
    variance (no lattice: most domain images). A pair that looks like a large cell is
    refined all the same: the moire of small aliased cells has strong peaks of a large
    cell, which `_unalias` undoes. ``search``: see `Search`.
    """
    img, reason = prepared(image)
    if img is None:
        return _none(reason)
    return estimate_prepared(img, screen_min, search)


def estimate_prepared(img: np.ndarray, screen_min: float = 0.2,
                      search: Search = V9_SEARCH) -> Cell:
    """`estimate` of an image already `prepared` (any rectangle: `drift` passes a band of
    scan lines)."""
    side = max(img.shape)
    sample = Binner(img, SAMPLE)
    qs = _peaks(img)
    pairs = []
    for i, a in enumerate(qs):
        for b in qs[i + 1 :]:
            if _collinear(a, b):
                continue
            rec = np.stack([a, b])
            pairs.append((sample.fit(rec)[0], abs(float(np.linalg.det(rec))), rec))
    if not pairs:
        return _none("no lattice: fewer than two independent spectrum peaks")
    top = max(p[0] for p in pairs)
    if top < screen_min:
        return _none(f"no lattice: no cell explains the scan (R^2 {top:.2f})", top)
    _, _, rec = max((p for p in pairs if p[0] >= top - PAIR_SLACK), key=lambda p: p[1])
    refined = sample.refine(rec, 0.3, side)
    rec = _unalias(refined, sample, search.max_q)
    r2 = sample.fit(rec)[0]
    if search.harmonic_index > 1:  # harmonics: supercells of any index up to harmonic_index
        bases = (refined,) if np.array_equal(refined, rec) else (refined, rec)  # fit once
        tries = [(sample.fit(c)[0], c) for c in
                 (gauss_reduced(m @ base) for base in bases
                  for m in supercells_up_to(search.harmonic_index))]
        gain, better = max(tries, key=lambda t: t[0])
        if gain >= max(r2 + search.supercell_gain, search.harmonic_min_r2):
            rec = _unalias(sample.refine(better, 0.1, side), sample, search.max_q)
            r2 = sample.fit(rec)[0]
    return averaged(img, _extinctions(sample, rec, r2, search, side), search=search)


def _extinctions(sample: Binner, rec: np.ndarray, r2: float, search: Search,
                 side: int) -> np.ndarray:
    """``rec`` or the supercell of it that explains ``search.supercell_gain`` more (twice:
    a supercell's own supercell), refined: the scan's own cell where ``rec`` spans a
    subcell (extinctions, or a pseudo-translation the pattern nearly has)."""
    for _ in range(2):
        tries = [(sample.fit(c)[0], c) for c in
                 (_unalias(s @ rec, sample, search.max_q) for s in search.supercells)]
        gain, better = max(tries, key=lambda t: t[0])
        if gain < r2 + search.supercell_gain:
            break
        rec = _unalias(sample.refine(better, 0.1, side), sample, search.max_q)
        r2 = sample.fit(rec)[0]
    return rec


def averaged(img: np.ndarray, reciprocal: np.ndarray,
             line_shift: np.ndarray | None = None, search: Search | None = None) -> Cell:
    """The `Cell` of ``reciprocal`` averaged over every pixel of a `prepared` image (each
    scan line moved back by ``line_shift``: `drift`); with ``search``, its `whole_pixels`
    and `fill_all`, and for cells of at most its `fourier_max_px2` the lattice refined on
    the scan's Fourier peaks (`fourier_lattice`) and the cell made exact (`exact_cell`)."""
    exact = search is not None and 0 < _cell_area(reciprocal) <= search.fourier_max_px2
    binner = Binner(img, None, line_shift)
    r2, mean, count = binner.fit(reciprocal)
    if exact:  # the coefficients of this lattice serve the cell too if it is kept
        coefficients, at = _coefficients(img, reciprocal, line_shift), reciprocal
        if _resolved_share(img, coefficients[1]) >= FOURIER_LATTICE_MIN_R2:
            peaks = fourier_lattice(img, reciprocal, line_shift)
            fit = binner.fit(peaks)
            if fit[0] >= r2 - FOURIER_LATTICE_LOSS:
                reciprocal, (r2, mean, count) = peaks, fit
    if search is not None and search.whole_pixels:
        whole = _whole_pixels(binner, reciprocal, r2)
        if whole is not reciprocal:
            reciprocal = whole
            r2, mean, count = binner.fit(reciprocal)
    if not exact:
        fill_all = search is not None and search.fill_all
        return Cell(True, "", reciprocal, r2, filled(mean, count, fill_all), line_shift,
                    binner)
    if reciprocal is not at:
        coefficients = _coefficients(img, reciprocal, line_shift)
    disk = search.hexagonal_disk if search.hexagonal_disk > 0 and \
        is_hexagonal(reciprocal) else 0.0
    return Cell(True, "", reciprocal, r2,
                exact_cell(img, reciprocal, line_shift, binner, coefficients, disk),
                line_shift, binner, _resolved_share(img, coefficients[1]))


def _cell_area(reciprocal: np.ndarray) -> float:
    """The cell's area in square pixels (0 for a degenerate basis)."""
    det = abs(float(np.linalg.det(reciprocal)))
    return 1.0 / det if det > 0 else 0.0


def _dft(weighted: np.ndarray, q: np.ndarray, line_shift: np.ndarray | None,
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Fourier coefficients of ``weighted`` (an image times its window) at the
    frequencies ``q`` (K, 2; cycles per pixel along x, y), and the two factors they are
    built from (along x per column, per row), pixels at their `Binner` positions."""
    h, w = weighted.shape
    ys, xs = np.arange(h) + 0.5, np.arange(w) + 0.5
    along_x = np.exp(-2j * math.pi * np.outer(xs, q[:, 0]))  # (w, K)
    per_row = np.exp(-2j * math.pi * np.outer(ys, q[:, 1]))  # (h, K)
    if line_shift is not None:  # a line's pixels lie at x - shift
        per_row = per_row * np.exp(2j * math.pi * np.outer(line_shift, q[:, 0]))
    return (weighted @ along_x * per_row).sum(0), along_x, per_row


def _resolved_orders(reciprocal: np.ndarray) -> np.ndarray:
    """The orders (m, n) of the lattice's frequencies inside the pixels' Nyquist square
    (each alias class once; not (0, 0))."""
    vectors = np.linalg.inv(reciprocal)  # columns: the cell vectors (px)
    # a frequency q = m r0 + n r1 has m = q . a0, n = q . a1: |q| <= 0.71 bounds them
    reach = np.ceil(np.linalg.norm(vectors, axis=0) * 0.5 * math.sqrt(2)).astype(int)
    mn = np.array([(m, n) for m in range(-reach[0], reach[0] + 1)
                   for n in range(-reach[1], reach[1] + 1) if (m, n) != (0, 0)], dtype=float)
    q = mn @ reciprocal
    return mn[((q >= -0.5) & (q < 0.5)).all(axis=1)]


def _hann(shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    return np.hanning(h + 2)[1:-1][:, None] * np.hanning(w + 2)[1:-1][None, :]


def _coefficients(img: np.ndarray, reciprocal: np.ndarray, line_shift: np.ndarray | None,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The orders (`_resolved_orders`), their Fourier coefficients in the Hann-windowed
    scan (mean taken off; a pure wave of amplitude a gives a / 2 at +-q) and `_dft`'s
    two factors."""
    window = _hann(img.shape)
    mn = _resolved_orders(reciprocal)
    coeff, along_x, per_row = _dft((img - img.mean()) * window, mn @ reciprocal, line_shift)
    return mn, coeff / window.sum(), along_x, per_row


FOURIER_PEAKS = 16  # strongest lattice frequencies `fourier_lattice` locates
FOURIER_ROUNDS = 2
FOURIER_PEAK_SHARE = 0.01  # ... those with at least this of the strongest one's power
# a cell's lattice is refined on its Fourier peaks (`fourier_lattice`) where those peaks
# hold this share of the scan (a lattice that explains the scan through aliasing has no
# peaks to refine on), and kept where it loses at most this of R^2 to the lattice binned
# best (that lattice's R^2 is biased up: by 0.004 for `fourier_lattice`'s p4)
FOURIER_LATTICE_MIN_R2 = 0.5
FOURIER_LATTICE_LOSS = 0.01


def fourier_lattice(img: np.ndarray, reciprocal: np.ndarray,
                    line_shift: np.ndarray | None = None) -> np.ndarray:
    """``reciprocal`` refined on the scan's Fourier peaks: each of the strongest lattice
    frequencies located where the Hann-windowed spectrum peaks near it (a parabola
    through log power half a frequency step either side), and the lattice fitted to them
    by least squares, weighted by power; twice. R^2 of binned means favours lattices that
    bin a few pixel positions together (nearly commensurate with the pixels, or an
    alias): an exact p4 of 8.05 px cells on a 192 px scan was refined to 8.06 x 8.08 px
    (R^2 0.997 against its true lattice's 0.993), its averaged cell's quarter turn 0.78.
    ``reciprocal`` unchanged where the peaks do not fix a lattice (all on one line:
    stripes)."""
    weighted = (img - img.mean()) * _hann(img.shape)
    mn = _resolved_orders(reciprocal)
    mn = mn[(mn[:, 0] > 0) | ((mn[:, 0] == 0) & (mn[:, 1] > 0))]  # one of each +-q pair
    if len(mn) < 2:
        return reciprocal
    power = np.abs(_dft(weighted, mn @ reciprocal, line_shift)[0]) ** 2
    order = np.argsort(power)[::-1][:FOURIER_PEAKS]
    mn = mn[order[power[order] >= FOURIER_PEAK_SHARE * power[order[0]]]]
    if np.linalg.matrix_rank(mn) < 2:
        return reciprocal
    step = 0.5 / max(img.shape)
    offsets = np.array([(0, 0), (-step, 0), (step, 0), (0, -step), (0, step)])
    rec = np.asarray(reciprocal, dtype=float)
    for _ in range(FOURIER_ROUNDS):
        q = mn @ rec
        p = np.abs(_dft(weighted, (q[:, None, :] + offsets).reshape(-1, 2),
                        line_shift)[0]).reshape(len(mn), 5) ** 2
        logp = np.log(np.maximum(p, 1e-300))
        found = q.copy()
        for axis in (0, 1):
            lo, mid, hi = logp[:, 1 + 2 * axis], logp[:, 0], logp[:, 2 + 2 * axis]
            curve = lo - 2 * mid + hi
            shift = np.where(curve < 0, 0.5 * (lo - hi) / np.where(curve < 0, curve, -1.0), 0.0)
            found[:, axis] += step * np.clip(shift, -1.0, 1.0)
        weight = np.sqrt(p[:, 0])[:, None]
        rec = np.linalg.lstsq(mn * weight, found * weight, rcond=None)[0]
        if not np.isfinite(rec).all() or _cell_area(rec) == 0:
            return reciprocal  # no power where the peaks were (nothing to fit)
    return rec


def fourier_r2(img: np.ndarray, reciprocal: np.ndarray,
               line_shift: np.ndarray | None = None) -> float:
    """The share of the scan's (Hann-windowed) variance at the lattice's frequencies the
    pixels resolve: how much of the scan the lattice explains without any motif finer
    than the pixels. An alias of a larger cell bins the pixels as well as that cell does
    (R^2 0.997 against 0.993 for an exact p4 of 8 px cells and its 2.85 px alias) but
    explains them only through content above the Nyquist limit (here 0.41 against
    1.00)."""
    return _resolved_share(img, _coefficients(img, reciprocal, line_shift)[1])


PEAK_ORDER_TOL = 0.1  # of a cycle: a spectrum peak lies on a lattice's frequency this near
PEAK_LATTICE_SLACK = 0.02  # of the most peak power a lattice holds: the smallest cell within


def peak_lattice(img: np.ndarray) -> np.ndarray | None:
    """The lattice of the scan's strongest spectrum peaks (`_peaks`), all inside the
    pixels' Nyquist square: of the lattices two of them span, the smallest cell on whose
    frequencies lies nearly the most of their power (within PEAK_LATTICE_SLACK of it).
    Binned R^2 cannot tell a scan's cell from an alias of it that bins each pixel value
    apart (a tiled 8 x 6 px pmm is binned exactly by a 2.8 px cell, whose frequencies
    hold 0.01 of the scan in band); its peaks can: every one lies on the true lattice.
    None where no two peaks span a lattice (a flat scan)."""
    qs = _peaks(img)
    if len(qs) < 2:
        return None
    q = np.array(qs)
    weighted = (img - img.mean()) * _hann(img.shape)
    power = np.abs(_dft(weighted, q, None)[0]) ** 2
    if not power.sum() > 0:
        return None
    held = []
    for i, j in itertools.combinations(range(len(q)), 2):
        if _collinear(q[i], q[j]):
            continue
        rec = gauss_reduced(np.stack([q[i], q[j]]))
        orders = q @ np.linalg.inv(rec)  # each peak in the lattice's orders
        on = (np.abs(orders - np.round(orders)) <= PEAK_ORDER_TOL).all(axis=1)
        held.append((float(power[on].sum()), abs(float(np.linalg.det(rec))), rec))
    if not held:
        return None
    top = max(h[0] for h in held)
    return max((h for h in held if h[0] >= (1 - PEAK_LATTICE_SLACK) * top),
               key=lambda h: h[1])[2]


def is_supercell(reciprocal: np.ndarray, of: np.ndarray, tol: float = 0.05) -> bool:
    """Whether the lattice of ``reciprocal`` is a supercell (index 2 or more) of the
    lattice of ``of``: each of ``of``'s frequencies is a whole combination of its own
    (within ``tol`` of an order)."""
    try:
        orders = of @ np.linalg.inv(reciprocal)
    except np.linalg.LinAlgError:
        return False
    return bool(np.abs(orders - np.round(orders)).max() <= tol) and \
        _cell_area(reciprocal) >= 1.5 * _cell_area(of)


PIXEL_CYCLES = 4  # whole cycles per pixel `pixel_equivalent` adds to a frequency, each way
# of the spectrum's bin (1 / side cycles per pixel): a frequency on a lattice's (development
# scans' peaks: within 0.15 of a bin at 192 px, 0.04 at 384-512 px)
PIXEL_EQUIVALENT_BINS = 0.25


def pixel_equivalent(reciprocal: np.ndarray, of: np.ndarray, side: int) -> bool:
    """Whether each frequency of ``reciprocal`` is one of ``of``'s plus whole cycles per
    pixel (up to PIXEL_CYCLES each way, within PIXEL_EQUIVALENT_BINS of a bin of a scan
    of ``side`` px): where ``reciprocal`` is a supercell of ``of`` (`is_supercell`), the
    two lattices then hold the same frequencies modulo the pixels, and a pattern periodic
    on one is, sampled at the pixel centres, periodic on the other. Binned R^2 cannot
    tell them apart (only their bins' sizes differ: BINS a cell edge); which frequencies
    the pixels resolve can.

    A hexagonal lattice with one edge a whole number of pixels along a scan axis (a
    `tiled` generator's, or a crystal lattice aligned so) is such a supercell of some of
    its subcells: 6 px along x, the index-4 subcell of 2.6-3.0 px holds its frequencies
    once x shifts by one or two cycles per pixel. A lattice turned off the axes, or of
    fractional edges, is one by chance only (random lattices and their subcells under
    12 px, index 2-9: 0.4% at 192 px, 0.04% at 512 px)."""
    try:
        inv = np.linalg.inv(of)
    except np.linalg.LinAlgError:
        return False
    tol = PIXEL_EQUIVALENT_BINS / max(side, 1)
    reach = np.arange(-PIXEL_CYCLES, PIXEL_CYCLES + 1, dtype=float)
    shifts = np.stack(np.meshgrid(reach, reach), -1).reshape(-1, 2)
    for row in reciprocal:
        moved = row + shifts
        off = moved - np.round(moved @ inv) @ of
        if not (np.hypot(off[:, 0], off[:, 1]) <= tol).any():
            return False
    return True


def in_band(img: np.ndarray, cell: Cell) -> float:
    """The share of the scan ``cell``'s lattice resolves (`fourier_r2`, on its scan lines):
    ``cell.resolved`` where the cell was made exact, computed otherwise."""
    if not math.isnan(cell.resolved):
        return cell.resolved
    return fourier_r2(img, cell.reciprocal, cell.line_shift)


def _resolved_share(img: np.ndarray, coeff: np.ndarray) -> float:
    """`fourier_r2` from the lattice's coefficients (`_coefficients`)."""
    window = _hann(img.shape)
    total = float(((img - img.mean()) ** 2 * window).sum())
    if total <= 0:
        return 0.0
    return float((np.abs(coeff) ** 2).sum()) * float(window.sum()) / total


def exact_cell(img: np.ndarray, reciprocal: np.ndarray, line_shift: np.ndarray | None,
               binner: Binner, coefficients: tuple[np.ndarray, ...] | None = None,
               disk: float = 0.0) -> np.ndarray:
    """The averaged cell of ``reciprocal`` with each pixel at its exact position in it.

    The part of the motif the pixels resolve (frequencies of the lattice inside the
    pixels' Nyquist square, each alias class once) comes from the scan's Fourier
    coefficients at those frequencies, Hann-windowed (a lattice frequency's neighbours
    then leak nothing into it), and is evaluated at the bin centres. Only what that part
    leaves at each pixel (the motif finer than the pixels, which the positions of many
    cells resolve, and noise) is binned and added, empty bins adding nothing. A bin's
    plain mean would place its pixels' values at its centre. ``coefficients``:
    `_coefficients` of this lattice, where the caller has them. ``disk`` > 0, where the
    pixels sample the cell along lines (`sampled_lines`): only the coefficients of
    frequencies inside that radius (cycles per pixel), and nothing binned
    (`Search.hexagonal_disk`)."""
    if coefficients is None:
        coefficients = _coefficients(img, reciprocal, line_shift)
    mn, coeff, along_x, per_row = coefficients
    idx = bin_index(reciprocal, binner.xy)
    count = np.bincount(idx, None, BINS * BINS)
    centres = (np.arange(BINS) + 0.5) / BINS
    u = np.stack(np.meshgrid(centres, centres, indexing="ij"))
    lines = disk > 0 and sampled_lines(count)
    keep = np.hypot(*(mn @ reciprocal).T) < disk if lines else slice(None)
    cell = (np.exp(2j * math.pi * np.einsum("kc,chw->khw", mn[keep], u))
            * coeff[keep][:, None, None]).sum(0).real
    if lines:
        return cell + img.mean()
    resolved = ((per_row.conj() * coeff) @ along_x.conj().T).real  # (h, w)
    left = np.bincount(idx, (img - img.mean() - resolved).ravel(), BINS * BINS)
    return cell + (left / np.maximum(count, 1)).reshape(BINS, BINS) + img.mean()


LINES_MAX_FILLED = 0.9  # `sampled_lines`: under this share of a cell's bins hold a pixel
HEXAGONAL_TOL = 0.05  # `is_hexagonal`: edges within 5%, their cosine within 0.05 of 1/2


def sampled_lines(count: np.ndarray) -> bool:
    """Whether the pixels leave bins of the cell empty (``count``: pixels per bin): they
    lie on a few lines through it, not all over it, as where a cell edge is a whole
    number of pixels along a scan axis."""
    return float((count > 0).mean()) < LINES_MAX_FILLED


def is_hexagonal(reciprocal: np.ndarray, tol: float = HEXAGONAL_TOL) -> bool:
    """Whether the lattice is hexagonal: its shortest two vectors alike in length, at 60
    or 120 degrees."""
    r = gauss_reduced(reciprocal)
    la, lb = float(np.hypot(*r[0])), float(np.hypot(*r[1]))
    if la <= 0 or lb <= 0:
        return False
    return abs(la / lb - 1) < tol and abs(abs(float(r[0] @ r[1])) / (la * lb) - 0.5) < tol


def hexagonal_vectors(a1: tuple[float, float], a2: tuple[float, float]) -> bool:
    """`is_hexagonal` of the lattice the cell vectors ``a1``, ``a2`` (px) span; False
    where they are degenerate."""
    rec = _reciprocal(a1, a2)
    return rec is not None and is_hexagonal(rec)


def average_on(image: np.ndarray, a1: tuple[float, float], a2: tuple[float, float],
               search: Search | None = None) -> Cell:
    """The averaged cell of a lattice found some other way (`lattice.estimate`), refined
    as `estimate_prepared` refines its own; with ``search``, its supercells are tried as
    `estimate_prepared` tries them (a lattice found from the strongest peaks can be a
    subcell the pattern only nearly repeats on)."""
    img, reason = prepared(image)
    if img is None:
        return _none(reason)
    rec = _reciprocal(a1, a2)
    if rec is None:
        return _none("degenerate lattice vectors")
    return averaged(img, _refined(Binner(img, SAMPLE), rec, max(img.shape), search),
                    search=search)


def average_band(image: np.ndarray, a1: tuple[float, float], a2: tuple[float, float],
                 search: Search = V9_SEARCH, share: float = 1 / 3) -> Cell:
    """The averaged cell of the scan's central band of lines (``share`` of them), refined
    from the lattice ``a1``, ``a2`` and from the band's own spectrum, whichever explains
    the band better. A scan whose lines drift bends its lattice, and the whole scan
    averages into a smeared cell; over a third of the lines the bend is nearly a shear,
    which the band's cell absorbs (measured: R^2 0.16 -> 0.85 on a drifting pm)."""
    img, reason = prepared(image)
    if img is None:
        return _none(reason)
    lo, n = int(img.shape[0] * (1 - share) / 2), int(img.shape[0] * share)
    band = img[lo : lo + n]
    if n < MIN_SIDE // 2:
        return _none(f"band of {n} lines too narrow for a cell")
    given = _reciprocal(a1, a2)
    if given is None:
        return _none("degenerate lattice vectors")
    starts = [given]
    own = estimate_prepared(band, 0.2, search)
    if own.found:
        starts.append(own.reciprocal)
    sample, side = Binner(band, SAMPLE), max(band.shape)
    fits = [(sample.fit(rec)[0], rec)
            for rec in (_refined(sample, start, side, search) for start in starts)]
    return averaged(band, max(fits, key=lambda f: f[0])[1])


def one_wave_r2(image: np.ndarray, reciprocal: np.ndarray) -> float:
    """The most of the scan's variance one wave explains: the best R^2 of an average over
    one wave vector's phase alone (a 1-D "cell"), refined from the cell's rows, their sum
    and difference, and the strongest spectrum peaks. Stripes are explained about as well
    by one wave as by a 2-D cell of theirs under 2.5:1; a lattice is not (measured: the
    domain generator's stripes at most 0.06 less, held-out plane-wave lattices 0.12 to
    0.56 less). Stripes that wobble periodically along their length are a real 2-D
    pattern, of a long cell (4:1 in that generator)."""
    img, _ = prepared(image)
    if img is None:
        return 0.0
    sample, side = Binner(img, SAMPLE), max(img.shape)
    zero = np.zeros(2)

    def r2(q: np.ndarray) -> float:
        return sample.fit(np.stack([q, zero]))[0]

    best = 0.0
    rows = np.asarray(reciprocal, dtype=float)
    for q in (rows[0], rows[1], rows[0] + rows[1], rows[0] - rows[1], *_peaks(img)[:6]):
        if math.hypot(*q) < 1e-9:
            continue
        step = 0.1 / side
        simplex = np.vstack([q, q + (step, 0.0), q + (0.0, step)])
        res = optimize.minimize(lambda x: -r2(x), q, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "xatol": 0.002 / side,
                                         "fatol": 1e-5, "maxiter": 200})
        best = max(best, -float(res.fun), r2(q))
    return best


def _reciprocal(a1: tuple[float, float], a2: tuple[float, float]) -> np.ndarray | None:
    """The reciprocal rows of the cell vectors ``a1``, ``a2`` (px); None where they are
    degenerate."""
    try:
        return np.linalg.inv(np.array([[a1[0], a2[0]], [a1[1], a2[1]]], dtype=float))
    except np.linalg.LinAlgError:
        return None


def _refined(sample: Binner, rec: np.ndarray, side: int, search: Search | None,
             ) -> np.ndarray:
    """``rec`` refined on ``sample`` as a lattice found elsewhere is (Nelder-Mead, a tenth
    of a cycle per side), then, with ``search``, its supercells tried (`_extinctions`)."""
    rec = sample.refine(rec, 0.1, side)
    if search is None:
        return rec
    return _extinctions(sample, rec, sample.fit(rec)[0], search, side)


WHOLE_PIXEL_SLACK = 0.1  # px a cell vector's component may move to a whole pixel
# of R^2: a tie. Both cells bin a tiled scan all but exactly; `prepared`'s plane taken
# off leaves the whole-pixel cell 1e-6 behind one a hundredth of a pixel off
WHOLE_PIXEL_TIE = 1e-4


def whole_vectors(vectors: np.ndarray, slack: float, share: float = 0.0,
                  ) -> np.ndarray | None:
    """The cell vectors (columns, px) rounded to whole pixels where each component is
    within ``slack`` of one, or within ``share`` of its vector's length where that is
    more (a lattice estimated over a few large cells errs by a share of them, not by a
    fixed part of a pixel), and the rounded cell has an area; None otherwise."""
    whole = np.round(vectors)
    allowed = np.maximum(slack, share * np.linalg.norm(vectors, axis=0))
    if (np.abs(vectors - whole) > allowed[None, :]).any() or \
            abs(float(np.linalg.det(whole))) < 1.0:
        return None
    return whole


def _whole_pixels(every: Binner, rec: np.ndarray, r2: float) -> np.ndarray:
    """``rec`` with its cell vectors rounded to whole pixels where each component moves
    by at most WHOLE_PIXEL_SLACK and the rounded cell explains the pixels of ``every``
    at least as well as ``rec``'s ``r2`` (within WHOLE_PIXEL_TIE); ``rec`` otherwise.
    All pixels, not a sample: on a
    40,000-pixel sample of a tiled scan a cell 0.005 px off still bins alike values
    together (R^2 1 - 2e-7), over the whole scan it does not (0.998). On a scan not
    tiled from whole pixels the rounded cell drifts off the pattern (0.1 px a cell is
    several pixels over a scan) and loses."""
    try:
        vectors = np.linalg.inv(rec)
    except np.linalg.LinAlgError:
        return rec
    whole = whole_vectors(vectors, WHOLE_PIXEL_SLACK)
    if whole is None:
        return rec
    snapped = np.linalg.inv(whole)
    return snapped if every.fit(snapped)[0] >= r2 - WHOLE_PIXEL_TIE else rec


def render(average: np.ndarray, reciprocal: np.ndarray, target_px: float,
           size: int = 224) -> np.ndarray:
    """A ``size`` square view of the averaged cell repeated on its lattice, scaled so the
    longer cell edge is ``target_px``; values scaled to [0, 1]."""
    period = Cell(True, reciprocal=reciprocal).period
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float64) + 0.5) * (period / target_px)
    u = np.einsum("ij,jhw->ihw", reciprocal, np.stack([xx, yy]))
    coords = (u - np.floor(u)) * BINS - 0.5
    view = ndimage.map_coordinates(average, [coords[0], coords[1]], order=1,
                                   mode="grid-wrap")
    lo, hi = float(average.min()), float(average.max())
    return ((view - lo) / (hi - lo) if hi > lo else view * 0.0).astype(np.float32)


def views(cell: Cell, targets: tuple[float, ...]) -> list[np.ndarray]:
    """Views of the averaged cell, one per target cell edge (px)."""
    if not cell.found or cell.average is None:
        return []
    return [render(cell.average, cell.reciprocal, t) for t in targets]

