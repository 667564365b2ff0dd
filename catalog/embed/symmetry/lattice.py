"""Lattice estimation from the autocorrelation, and views of a scan at the trained scale.

The plane-group network was trained on cells of about 20 to 64 px (v1 at its 224-px
input; v2 on inputs of 64 to 224 px); outside that range it misses symmetry. So before
classifying, the two shortest lattice vectors are read off the scan's autocorrelation
(computed without a window, normalised by the overlap, after removing a smooth
background), checked, and the scan is rescaled so its cells land at a few target sizes.

A lattice is accepted only when both vectors are real peaks: well above the
autocorrelation at half the vector (which rejects the ridges of stripes) and above
the median at the same radius (which rejects the rings of labyrinths and bubbles),
and when the lattice points it predicts are high too. Otherwise the outcome is a
``Lattice`` with ``found=False`` and a one-line ``reason``; bad input (too small,
constant, mostly NaN) gets the same, never an exception. Numpy only (no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

MIN_SIDE = 32
MAX_ESTIMATE_SIDE = 1024  # larger scans are block-averaged for the estimate only
MAX_PIXELS = 1 << 28
MAX_PIXEL_ASPECT = 32.0  # pixels more unequal than this: the metadata is taken for wrong
MIN_PERIOD_PX = 3.0
PEAK_MIN = 0.25  # normalised autocorrelation at a lattice vector
MAX_CANDIDATES = 10
SCORE_SLACK = 0.08
SCORE_MIN = 0.45  # mean autocorrelation at the predicted lattice points
RIDGE_DIP = 0.2  # least dip of the autocorrelation between the origin and a lattice vector
MIN_CELLS_FRACTION = 0.4  # the longer cell edge at most this fraction of the short side
NO_LATTICE = "no lattice"  # how a reason begins where the search looked and found none
CONTRAST_MIN = 0.15  # above the half-vector value and above the ring median
TARGET_CELLS_PX = (30.0, 45.0)  # cell edges (px) at the network input, one view per target
MAX_VIEW = 224
MIN_VIEW = 64


@dataclass(frozen=True)
class Lattice:
    """Two shortest lattice vectors in pixels (x = column, y = row), or why there are none."""

    found: bool
    reason: str = ""
    a1: tuple[float, float] = (0.0, 0.0)
    a2: tuple[float, float] = (0.0, 0.0)
    score: float = 0.0
    # no lattice because the pattern has one period direction (stripes): a positive finding,
    # which symcat_symmetry.v4 keeps as a refusal rather than asking its native views
    one_direction: bool = False

    @property
    def periods(self) -> tuple[float, float]:
        return (math.hypot(*self.a1), math.hypot(*self.a2))

    @property
    def angle_deg(self) -> float:
        """Direction of ``a1``, degrees counter-clockwise from the fast (x) axis, in [0, 180)."""
        return math.degrees(math.atan2(-self.a1[1], self.a1[0])) % 180.0

    @property
    def gamma_deg(self) -> float:
        """Angle between the two vectors, in (0, 180)."""
        (x1, y1), (x2, y2) = self.a1, self.a2
        c = (x1 * x2 + y1 * y2) / (math.hypot(x1, y1) * math.hypot(x2, y2))
        return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def none(reason: str, one_direction: bool = False) -> Lattice:
    return Lattice(False, reason, one_direction=one_direction)


def as_grey(image: np.ndarray) -> np.ndarray:
    """``(H, W)``, ``(1|3, H, W)`` or ``(H, W, 3)`` -> float64 ``(H, W)``."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3:
        a = a.mean(0) if a.shape[0] in (1, 3) else a.mean(-1)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image (or 1/3 channels), got shape {a.shape}")
    return a


def square_pixels(image: np.ndarray, aspect: float | None, tol: float = 0.02,
                  ) -> tuple[np.ndarray, float | None]:
    """A 2-D ``image`` whose pixels are ``aspect`` times as tall as wide, resampled
    (linearly) so they are square, and the aspect left: None where it was resampled,
    ``aspect`` where it was not (unknown, within ``tol`` of 1, or not a 2-D image).

    A square lattice scanned with pixels half as tall as wide spans twice as many rows as
    columns: the lattice search, the network's views and the averaged cell would all read
    it as rectangular. The image is enlarged along its coarser axis (more rows where the
    pixels are tall), never shrunk along the other (no detail is lost), unless that would
    pass MAX_PIXELS / 4. Non-finite pixels are given the mean of the others first, as
    `clean` would, so they do not spread. An aspect beyond MAX_PIXEL_ASPECT (either way)
    is taken for wrong metadata: the image is read as it is, as square (None)."""
    if aspect is None or not math.isfinite(aspect) or aspect <= 0 or \
            abs(aspect - 1.0) <= tol or np.ndim(image) != 2:
        return image, aspect
    if not 1.0 / MAX_PIXEL_ASPECT <= aspect <= MAX_PIXEL_ASPECT:
        return image, None
    a = np.asarray(image, dtype=np.float32)
    finite = np.isfinite(a)
    if not finite.any():
        return image, aspect
    if not finite.all():
        a = np.where(finite, a, np.float32(a[finite].mean()))
    zoom = (aspect, 1.0) if aspect > 1 else (1.0, 1.0 / aspect)
    if a.size * max(zoom) > MAX_PIXELS // 4:
        zoom = (1.0, 1.0 / aspect) if aspect > 1 else (aspect, 1.0)
    return ndimage.zoom(a, zoom, order=1, mode="nearest", grid_mode=True), None


def scaled(lat: Lattice, factor: float) -> Lattice:
    """``lat`` with its vectors ``factor`` times as long (a lattice found on a resampled
    image, in the pixels of the image it came from); a lattice not found as it is."""
    if not lat.found:
        return lat
    return replace(lat, a1=(lat.a1[0] * factor, lat.a1[1] * factor),
                   a2=(lat.a2[0] * factor, lat.a2[1] * factor))


def clean(img: np.ndarray) -> tuple[np.ndarray | None, str]:
    """Finite, background-free copy, or None and the reason (also for `motif`)."""
    h, w = img.shape
    if min(h, w) < MIN_SIDE:
        return None, f"image too small for a lattice estimate ({h}x{w} px, need {MIN_SIDE})"
    bad = ~np.isfinite(img)
    if bad.mean() > 0.1:
        return None, f"{bad.mean():.0%} of the pixels are NaN or infinite"
    big = float(np.abs(img[~bad]).max())
    if big > 0:
        img = img / big  # huge values (1e300) must not overflow the sums below
    if bad.any():
        img = np.where(bad, np.nanmean(np.where(bad, np.nan, img)), img)
    spread = float(img.max() - img.min())
    if not np.isfinite(spread) or spread <= 1e-12 * max(1.0, float(np.abs(img).max())):
        return None, "constant image"
    img = (img - img.mean()) / spread
    img = img - ndimage.gaussian_filter(img, max(h, w) / 8, mode="reflect")
    if float(img.std()) < 1e-9:
        return None, "no structure left after removing the background"
    return img, ""


def autocorrelation(img: np.ndarray) -> np.ndarray:
    """Overlap-normalised autocorrelation, centred, value 1 at zero lag."""
    h, w = img.shape
    shape = (2 * h, 2 * w)
    f = np.fft.rfft2(img, shape)
    acf = np.fft.irfft2(f * np.conj(f), shape)
    ones = np.fft.rfft2(np.ones_like(img), shape)
    overlap = np.fft.irfft2(ones * np.conj(ones), shape)
    acf = np.fft.fftshift(acf / np.maximum(overlap, 1.0))
    return acf / max(acf[h, w], 1e-30)


def _value(acf: np.ndarray, centre: tuple[int, int], v: np.ndarray) -> float:
    """Max of the autocorrelation in the 3x3 around lag ``v`` = (x, y)."""
    r, c = int(round(centre[0] + v[1])), int(round(centre[1] + v[0]))
    if not (1 <= r < acf.shape[0] - 1 and 1 <= c < acf.shape[1] - 1):
        return -1.0
    return float(acf[r - 1 : r + 2, c - 1 : c + 2].max())


def estimate(image: np.ndarray, max_aspect: float | None = None,
             fine: FineSearch | None = None) -> Lattice:
    """The scan's lattice (``found``) or why none was found; never raises on bad values.

    ``max_aspect`` (symcat_symmetry.v3: 3): refuse a lattice whose longer period is more
    than this many times the shorter, the signature of stripes modulated along their
    length (wobble, scan-line beating), which the ridge test passes because the
    modulation is a real second period. None (v2) keeps v2's answers unchanged.
    ``fine``: also look for a finer cell than the best-scoring one (`_finest_consistent`).
    """
    try:
        img = as_grey(image)
    except ValueError as exc:
        return none(str(exc))
    if img.size > MAX_PIXELS:
        return none(f"image too large for a lattice estimate ({img.shape[0]}x{img.shape[1]} px)")
    scale = 1.0
    given = img.shape
    if max(img.shape) > MAX_ESTIMATE_SIDE:
        k = math.ceil(max(img.shape) / MAX_ESTIMATE_SIDE)
        h, w = img.shape[0] // k * k, img.shape[1] // k * k
        with np.errstate(invalid="ignore"):
            img = img[:h, :w].reshape(h // k, k, w // k, k).mean((1, 3))
        scale = float(k)
    cleaned, reason = clean(img)
    if cleaned is None and min(img.shape) < MIN_SIDE and scale > 1:
        # name the scan's own size: a 4 x 4000 scan is not "1x1000 px"
        reason = (f"image too thin for a lattice estimate ({given[0]}x{given[1]} px: "
                  f"{img.shape[0]}x{img.shape[1]} once averaged to at most "
                  f"{MAX_ESTIMATE_SIDE} px a side, need {MIN_SIDE})")
    if cleaned is None:
        return none(reason)
    found = _estimate(cleaned, fine)
    if found.found and max_aspect is not None:
        short, long_ = sorted(found.periods)
        if long_ > max_aspect * short:
            return none(f"{NO_LATTICE}: one period direction dominates (periods {short * scale:.1f}"
                        f" and {long_ * scale:.1f} px, more than {max_aspect:g}:1; stripes?)",
                        one_direction=True)
    if not found.found or scale == 1.0:
        return found
    return Lattice(True, "", (found.a1[0] * scale, found.a1[1] * scale),
                   (found.a2[0] * scale, found.a2[1] * scale), found.score)


def within_aspect(lat: Lattice, max_aspect: float) -> Lattice:
    """``lat``, or the refusal `estimate` gives where a lattice's longer period is more than
    ``max_aspect`` times its shorter: for a lattice found another way (an averaged cell's),
    which `estimate`'s own test did not see."""
    if not lat.found:
        return lat
    short, long_ = sorted(lat.periods)
    if long_ <= max_aspect * short:
        return lat
    return none(f"{NO_LATTICE}: one period direction dominates (periods {short:.1f} and "
                f"{long_:.1f} px, more than {max_aspect:g}:1; stripes?)", one_direction=True)


def _estimate(img: np.ndarray, fine: FineSearch | None = None) -> Lattice:
    h, w = img.shape
    if fine is not None and fine.blur_px > 0:
        # sub-pixel motifs alias: their autocorrelation is not periodic at fractional lags
        img = ndimage.gaussian_filter(img, fine.blur_px)
    acf = autocorrelation(img)
    centre = (h, w)
    # lags up to half the image: at least two cells each way
    rmax = min(h, w) / 2
    ys, xs = np.mgrid[-h : h, -w : w]
    rad = np.hypot(xs, ys)
    local = ndimage.maximum_filter(acf, size=5) == acf
    cand = local & (rad >= MIN_PERIOD_PX) & (rad <= rmax) & (acf >= PEAK_MIN)
    rows, cols = np.nonzero(cand)
    if rows.size == 0:
        return none(f"{NO_LATTICE}: no autocorrelation peak away from the origin")
    # ring medians (1-px radial bins) for the contrast test
    rbin = np.minimum(rad.astype(int), int(rmax) + 1)
    inside = rad <= rmax + 1
    counts = np.bincount(rbin[inside], minlength=int(rmax) + 2)
    ring_mean = np.bincount(rbin[inside], weights=acf[inside], minlength=int(rmax) + 2) / \
        np.maximum(counts, 1)
    peaks = []
    for r, c in zip(rows, cols, strict=True):
        v = np.array([c - centre[1], r - centre[0]], dtype=float)
        if v[1] < 0 or (v[1] == 0 and v[0] < 0):
            continue  # the autocorrelation is symmetric: keep one of each +-v pair
        val = float(acf[r, c])
        half = _value(acf, centre, v / 2)
        ring = float(ring_mean[rbin[r, c]])
        if val - half >= CONTRAST_MIN and val - ring >= CONTRAST_MIN:
            peaks.append((float(np.hypot(*v)), val, _refine(acf, r, c, centre)))
    if not peaks:
        return none(f"{NO_LATTICE}: autocorrelation peaks are rings or ridges, not points")
    # candidates: the shortest of the high peaks (lattice vectors and their sums score
    # alike when the pattern is periodic) plus the highest ones
    vmax = max(p[1] for p in peaks)
    high = sorted((p for p in peaks if p[1] >= vmax - 0.25), key=lambda p: p[0])
    chosen = {id(p): p for p in high[:MAX_CANDIDATES]}
    chosen.update({id(p): p for p in sorted(peaks, key=lambda p: -p[1])[:MAX_CANDIDATES]})
    if fine is not None:  # the shortest peaks too, however high: a fine cell's lags are low
        chosen.update({id(p): p for p in sorted(peaks, key=lambda p: p[0])[:MAX_CANDIDATES]})
    vecs = [p[2] for p in chosen.values()]
    best: list[tuple[float, float, np.ndarray, np.ndarray]] = []  # (score, area, a1, a2)
    for i, u in enumerate(vecs):
        for v in vecs[i + 1 :]:
            area = abs(u[0] * v[1] - u[1] * v[0])
            if area < 0.3 * np.hypot(*u) * np.hypot(*v):
                continue  # nearly collinear
            a1, a2 = reduced(u, v)
            best.append((_score(acf, centre, a1, a2, rmax), area, a1, a2))
    if not best:
        return none(f"{NO_LATTICE}: one period direction only (stripes or too few cells)",
                    one_direction=True)
    top = max(b[0] for b in best)
    if top < SCORE_MIN:
        return none(f"{NO_LATTICE}: predicted lattice points are weak (score {top:.2f})")
    # the smallest cell that explains the peaks about as well as the best one (a supercell
    # scores as high as the true cell; a false subcell predicts points that are not peaks)
    score, _, a1, a2 = min((b for b in best if b[0] >= top - SCORE_SLACK), key=lambda b: b[1])
    if fine is not None:
        score, a1, a2 = _finest_consistent(best, score, a1, a2, top, fine, min(h, w),
                                           acf, centre, rmax)
    if max(np.hypot(*a1), np.hypot(*a2)) > MIN_CELLS_FRACTION * min(h, w):
        return none(f"too few cells: fewer than {1 / MIN_CELLS_FRACTION:g} along a lattice "
                    "direction")
    if _stripe_like(acf, centre, a1, a2, rmax):
        return none(f"{NO_LATTICE}: one period direction only (stripes)", one_direction=True)
    return Lattice(True, "", (float(a1[0]), float(a1[1])), (float(a2[0]), float(a2[1])), score)


@dataclass(frozen=True)
class FineSearch:
    """How to look for a finer cell than the best-scoring one (many small cells)."""

    blur_px: float = 0.0  # low-pass before the autocorrelation
    score_min: float = 0.55  # least score of the finer cell
    slack: float = 0.25  # ... and at most this far below the best score
    fraction_tol: float = 0.12  # the chosen cell's vectors in the finer cell's units
    min_cells: float = 0.0  # only where the finer cell gives at least this many cells across
    # The finer cell's own points (those not on the chosen cell's lattice) must have a mean
    # autocorrelation at most this far below the chosen lattice's points: a glide or
    # mirror arrangement makes a pseudo-translation whose peaks are real but lower.
    own_points_slack: float | None = None


def _finest_consistent(best: list[tuple[float, float, np.ndarray, np.ndarray]], score: float,
                       a1: np.ndarray, a2: np.ndarray, top: float, fine: FineSearch,
                       side: int, acf: np.ndarray | None = None,
                       centre: tuple[int, int] = (0, 0), rmax: float = 0.0,
                       ) -> tuple[float, np.ndarray, np.ndarray]:
    """The smallest candidate cell whose points are real peaks and whose lattice contains
    the chosen one (its vectors are whole-number combinations of the candidate's).

    With many small cells some supercell lies on near-whole-pixel lags and scores higher
    than the true cell, whose lags fall between pixels; a false subcell predicts points
    that are not peaks (a low score) or does not contain the lattice.
    """
    area = abs(a1[0] * a2[1] - a1[1] * a2[0])
    for s, _, b1, b2 in sorted(best, key=lambda b: b[1]):
        if s < max(fine.score_min, top - fine.slack) or \
                abs(b1[0] * b2[1] - b1[1] * b2[0]) >= area * 0.95 or \
                side < fine.min_cells * max(np.hypot(*b1), np.hypot(*b2)):
            continue
        frac = np.linalg.inv(np.stack([b1, b2], 1)) @ np.stack([a1, a2], 1)
        if np.abs(frac - np.round(frac)).max() > fine.fraction_tol:
            continue
        if fine.own_points_slack is not None and acf is not None and \
                _own_points_gap(acf, centre, rmax, a1, a2, b1, b2) > fine.own_points_slack:
            continue
        return s, b1, b2
    return score, a1, a2


def _own_points_gap(acf: np.ndarray, centre: tuple[int, int], rmax: float, a1: np.ndarray,
                    a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> float:
    """Mean autocorrelation at the points of lattice (a1, a2) minus the mean at the points
    of the finer lattice (b1, b2) that are not on it (within ``rmax``)."""
    inv = np.linalg.inv(np.stack([a1, a2], 1))
    on, off = [], []
    for n1 in range(-6, 7):
        for n2 in range(0, 7):
            if n2 == 0 and n1 <= 0:
                continue
            p = n1 * b1 + n2 * b2
            if np.hypot(*p) > rmax:
                continue
            coords = inv @ p
            (on if np.abs(coords - np.round(coords)).max() < 0.1 else off).append(
                _value(acf, centre, p))
    if not on or not off:
        return 0.0
    return float(np.mean(on) - np.mean(off))


def _stripe_like(acf: np.ndarray, centre: tuple[int, int], a1: np.ndarray, a2: np.ndarray,
                 rmax: float) -> bool:
    """True when some short lattice vector lies on a ridge: the autocorrelation barely dips
    between the origin and it. Any two points on the ridges of stripes span a "lattice"
    whose points are all high; a real 2-D lattice dips between neighbouring points."""
    t = np.linspace(0.15, 0.85, 15)[:, None]
    for n1 in range(-2, 3):
        for n2 in range(0, 3):
            v = n1 * a1 + n2 * a2
            if (n2 == 0 and n1 <= 0) or np.hypot(*v) > rmax:
                continue
            pts = t * v
            line = ndimage.map_coordinates(acf, [centre[0] + pts[:, 1], centre[1] + pts[:, 0]],
                                           order=1)
            if float(line.min()) > _value(acf, centre, v) - RIDGE_DIP:
                return True
    return False


def _score(acf: np.ndarray, centre: tuple[int, int], a1: np.ndarray, a2: np.ndarray,
           rmax: float) -> float:
    """Mean autocorrelation at the lattice points the basis predicts (within ``rmax``)."""
    pts = [n1 * a1 + n2 * a2 for n1 in range(-3, 4) for n2 in range(0, 4)
           if (n2 > 0 or n1 > 0) and np.hypot(*(n1 * a1 + n2 * a2)) <= rmax]
    return float(np.mean([_value(acf, centre, p) for p in pts])) if pts else -1.0


def _refine(acf: np.ndarray, r: int, c: int, centre: tuple[int, int]) -> np.ndarray:
    """Sub-pixel peak position (parabola through the 3 values on each axis)."""
    def off(m: float, z: float, p: float) -> float:
        d = m - 2 * z + p
        return 0.0 if d >= 0 else 0.5 * (m - p) / d

    dy = off(acf[r - 1, c], acf[r, c], acf[r + 1, c]) if 0 < r < acf.shape[0] - 1 else 0.0
    dx = off(acf[r, c - 1], acf[r, c], acf[r, c + 1]) if 0 < c < acf.shape[1] - 1 else 0.0
    return np.array([c + dx - centre[1], r + dy - centre[0]])


def reduced(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gauss (Lagrange) reduction: the two shortest vectors spanning the same lattice."""
    if np.dot(a, a) > np.dot(b, b):
        a, b = b, a
    for _ in range(20):
        m = round(float(np.dot(a, b) / np.dot(a, a)))
        if m == 0:
            break
        b = b - m * a
        if np.dot(b, b) < np.dot(a, a):
            a, b = b, a
    return a, b


def views(image: np.ndarray, lattice: Lattice,
          targets: tuple[float, ...] = TARGET_CELLS_PX) -> list[np.ndarray]:
    """Square crops rescaled so the longer cell edge is each target size (px).

    A view is at most 224 px: a scan with many cells gives a centre window of about
    224 / target cells; one with few cells gives the whole (square-cropped) scan at a
    smaller size, never below 64 px. Values are the scan's own (NaNs filled).
    """
    img = as_grey(image)
    if not np.isfinite(img).all():
        fill = float(np.nanmean(np.where(np.isfinite(img), img, np.nan)))
        img = np.where(np.isfinite(img), img, fill)
    h, w = img.shape
    s = min(h, w)
    period = max(lattice.periods)
    out = []
    for target in targets:
        f = target / period
        side = min(s, int(round(MAX_VIEW / f)))
        size = min(MAX_VIEW, max(MIN_VIEW, int(round(side * f))))
        top, left = (h - side) // 2, (w - side) // 2
        out.append(resize(img[top : top + side, left : left + side], size))
    return out


def native_views(image: np.ndarray, factors: tuple[int, ...]) -> list[np.ndarray]:
    """Views that need no lattice: for each factor k, squares of 224 / k px as scanned
    (the centre and the four corners; the whole square when the scan is smaller),
    enlarged k times. Cells of 3 to 10 px, which the lattice estimate often misses or
    takes a supercell of, reach the 12 to 40 px the network reads best
    (symcat_symmetry.v4; training/symmetry/small_cells.py measured the factors).
    """
    img = as_grey(image)
    if not np.isfinite(img).all():
        fill = float(np.nanmean(np.where(np.isfinite(img), img, np.nan)))
        img = np.where(np.isfinite(img), img, fill)
    h, w = img.shape
    out = []
    for k in factors:
        s = min(h, w, int(round(MAX_VIEW / k)))
        spots = sorted({((h - s) // 2, (w - s) // 2), (0, 0), (0, w - s), (h - s, 0),
                        (h - s, w - s)})
        out += [resize(img[t : t + s, c : c + s], min(MAX_VIEW, s * k)) for t, c in spots]
    return out


def resize(img: np.ndarray, size: int) -> np.ndarray:
    """Square float image -> ``size`` x ``size`` (bilinear, antialiased when shrinking).

    Pillow, not torch: this runs in forked worker processes, where torch's thread pool
    can deadlock.
    """
    from PIL import Image

    a = np.ascontiguousarray(img, dtype=np.float32)
    if a.shape == (size, size):
        return a
    return np.asarray(Image.fromarray(a, mode="F").resize((size, size), Image.BILINEAR),
                      dtype=np.float32)
