"""A wallpaper-group generator written apart from training's, for evaluation only.

Training renders motifs on a fractional grid (training/symmetry/generate.py). This one
evaluates a continuous motif at every pixel's fractional coordinates and sums it over the
group's operations, so the pattern is exactly invariant without any grid. Motif families,
none used in training: "glyph" (a few strokes: line segments with round ends; the
benchmark's main family), "fourier" (a random sum of low-order plane waves of the cell,
amplitudes falling with the order) and "gaussian" (a few round blobs of their own widths
and signs, a different shape and code from training's "atoms"). It shares
only the operation table (symcat.embed.symmetry.groups: the ITA definitions). Whole
images at 192 to 512 px with 2 to 50 cells across, any orientation; optional
distortions (non-square pixels, shear, drift, line offsets, missing lines, noise).

One more family, "tiled", is built the way many public wallpaper generators build
their images instead (`tiled`): a cell of a whole number of pixels, its motif smoothed
noise made symmetric by flipping, turning and shifting the pixel array, repeated by
tiling, the lattice along the image's axes. It does not use the operation table.
"styled" (`styled`) is "tiled" as other generators style it: two-tone cells, pixels
repeated to enlarge them, non-square images, 8-bit RGB colour maps.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from symcat.embed.symmetry.groups import GROUPS, HOLOHEDRY, LATTICE, operations


def lattice_basis(group: str, edge: float, rng: np.random.Generator) -> np.ndarray:
    """Conventional cell (columns a, b in px) of the group's lattice type, random angle."""
    kind = LATTICE[group]
    ratio = rng.uniform(0.6, 0.85)
    if kind == "square":
        a, b, gamma = edge, edge, math.pi / 2
    elif kind == "hexagonal":
        a, b, gamma = edge, edge, 2 * math.pi / 3
    elif kind in ("rectangular", "centred"):
        a, b, gamma = edge, edge * ratio, math.pi / 2
    else:
        a, b, gamma = edge, edge * ratio, math.radians(rng.choice([rng.uniform(65, 82),
                                                                    rng.uniform(98, 115)]))
    basis = np.array([[a, b * math.cos(gamma)], [0.0, b * math.sin(gamma)]])
    t = rng.uniform(0, 2 * math.pi)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return rot @ basis


def glyph(u: np.ndarray, strokes: np.ndarray, width: float) -> np.ndarray:
    """Sum over strokes of a smooth bump of the distance (fractional units, periodic)."""
    out = np.zeros(u.shape[1:])
    for (p0, p1, amp) in strokes:
        d = p1 - p0
        best = np.full(u.shape[1:], np.inf)
        for s1 in (-1, 0, 1):
            for s2 in (-1, 0, 1):
                q = u - np.floor(u) + np.array([s1, s2])[:, None, None] - p0[:, None, None]
                t = np.clip((q * d[:, None, None]).sum(0) / (d @ d), 0, 1)
                r = q - t * d[:, None, None]
                best = np.minimum(best, (r**2).sum(0))
        out += amp * np.exp(-best / (2 * width**2))
    return out


def fourier(u: np.ndarray, waves: np.ndarray) -> np.ndarray:
    """Sum of plane waves a cos(2 pi k.u + phase), k integer: periodic on the cell."""
    out = np.zeros(u.shape[1:])
    for k1, k2, amp, phase in waves:
        out += amp * np.cos(2 * math.pi * (k1 * u[0] + k2 * u[1]) + phase)
    return out


def blobs(u: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Sum of round blobs (fractional units, periodic), each with its own width and sign."""
    out = np.zeros(u.shape[1:])
    frac = u - np.floor(u)
    for x, y, width, amp in centres:
        best = np.full(u.shape[1:], np.inf)
        for s1 in (-1, 0, 1):
            for s2 in (-1, 0, 1):
                best = np.minimum(best, (frac[0] + s1 - x) ** 2 + (frac[1] + s2 - y) ** 2)
        out += amp * np.exp(-best / (2 * width**2))
    return out


MOTIFS = ("glyph", "fourier", "gaussian", "tiled", "styled")


def motif_field(kind: str, group: str, rng: np.random.Generator) -> Any:
    """A random motif of family `kind` as a function of fractional coordinates (2, H, W),
    drawn again until the group's sum of it is its label's pattern: not flat, not (nearly)
    repeating by a fraction of the cell (a few plane waves can all lie on a sublattice,
    every k1 + k2 even, say), not (nearly) a higher group's (`near_supergroup`)."""
    for _ in range(50):
        field_of = _draw_motif(kind, rng)
        if (_only_cell_translations(group, field_of)
                and near_supergroup(group, field_of) < MAX_EXTRA):
            return field_of
    raise RuntimeError(f"no {kind} motif for {group} clear of higher symmetry in 50 draws")


# Redraw a motif whose pattern correlates this well with itself under a point operation
# its group lacks (anywhere: as a rotation, mirror or glide): the part breaking that
# operation is then under 5% of the pattern's variance, below the benchmark's noise, and
# the image is in effect the higher group's. A few plane waves land there often (8% of
# draws at 0.99 or more); glyphs are not filtered (their images predate this), their
# median is 0.42.
MAX_EXTRA = 0.9
REPO = str(Path(__file__).resolve().parents[1])  # for training/symmetry/purity.py


def near_supergroup(group: str, field_of: Any, grid: int = 48) -> float:
    """Best correlation of the group's sum of the motif with its image under any point
    operation the lattice allows and the group lacks (training/symmetry/purity.py)."""
    import torch

    if REPO not in sys.path:  # called for every draw: add the repository once
        sys.path.insert(0, REPO)
    from training.symmetry.purity import extra_symmetry

    field = _group_sum(group, field_of, np.mgrid[0:grid, 0:grid].astype(float) / grid)
    return float(extra_symmetry(torch.tensor(field, dtype=torch.float32)[None],
                                torch.tensor([GROUPS.index(group)]))[0])


def _group_sum(group: str, field_of: Any, u: np.ndarray) -> np.ndarray:
    """The motif summed over the group's operations at fractional coordinates `u`."""
    field = np.zeros(u.shape[1:])
    for op in operations(group):
        m = np.array(op.matrix, dtype=float)
        t = np.array([float(x) for x in op.shift])
        field += field_of(np.einsum("ij,jhw->ihw", m, u) + t[:, None, None])
    return field


def _draw_motif(kind: str, rng: np.random.Generator) -> Any:
    if kind == "fourier":
        orders = [(k1, k2) for k1 in range(-3, 4) for k2 in range(0, 4)
                  if (k2 > 0 or k1 > 0) and k1 * k1 + k2 * k2 <= 10]
        picked = rng.choice(len(orders), size=int(rng.integers(5, 10)), replace=False)
        waves = np.array([(*orders[i], rng.normal() / (1 + orders[i][0] ** 2 + orders[i][1] ** 2)
                           ** 0.75, rng.uniform(0, 2 * math.pi)) for i in picked])
        return lambda u: fourier(u, waves)
    if kind == "gaussian":
        n = int(rng.integers(2, 6))
        centres = np.column_stack([rng.uniform(0, 1, n), rng.uniform(0, 1, n),
                                   rng.uniform(0.04, 0.12, n),
                                   rng.uniform(0.4, 1.0, n) * rng.choice([-1, 1], n)])
        return lambda u: blobs(u, centres)
    if kind == "noise":  # dense plane waves: `tiled`'s hexagonal motifs
        orders = [(k1, k2) for k1 in range(-5, 6) for k2 in range(0, 6)
                  if (k2 > 0 or k1 > 0) and k1 * k1 + k2 * k2 <= 30]
        waves = np.array([(k1, k2, rng.normal() * math.exp(-(k1 * k1 + k2 * k2) / 12),
                           rng.uniform(0, 2 * math.pi)) for k1, k2 in orders])
        return lambda u: fourier(u, waves)
    raise ValueError(f"unknown motif family {kind!r}; known: {', '.join(MOTIFS)}")


PURITY_GRID = 60  # grid of the cell on which translations are tried (60 = lcm of 2...6)
SUBLATTICE_SHIFTS = sorted({(i * PURITY_GRID // d, j * PURITY_GRID // d)
                            for d in range(2, 7) for i in range(d) for j in range(d)} - {(0, 0)})


def _only_cell_translations(group: str, field_of: Any) -> bool:
    """Whether the group's sum of the motif repeats only by the cell (and the group's own
    centring): no shift by a fraction of the cell (i/d, j/d, d up to 6) correlates
    MAX_EXTRA or better with it (a pattern that nearly repeats so is in effect a smaller
    cell's, below the benchmark's noise); a flat sum fails too."""
    n = PURITY_GRID
    field = _group_sum(group, field_of, np.mgrid[0:n, 0:n].astype(float) / n)
    centred = field - field.mean()
    variance = float((centred**2).sum())
    if variance < 1e-12 * field.size:
        return False
    shifted = np.fft.ifft2(np.abs(np.fft.fft2(centred)) ** 2).real / variance
    own = {(round(float(op.shift[0]) * n) % n, round(float(op.shift[1]) * n) % n)
           for op in operations(group) if op.matrix == ((1, 0), (0, 1))}
    # the translations of the sublattices of index up to 6: (i, j) / d
    return all(shifted[a, b] < MAX_EXTRA for a, b in SUBLATTICE_SHIFTS if (a, b) not in own)


def render(group: str, size: int, cells: float, rng: np.random.Generator,
           distort: bool, samples: int = 1, motif: str = "glyph") -> np.ndarray:
    """One ``(size, size)`` float image in [0, 1] of ``group`` with ``cells`` across, its
    motif sampled at each pixel's centre (``samples`` > 1: the mean of samples x samples
    points per pixel, band-limited as a probe's image is; the same draws otherwise).
    A glyph image is drawn exactly as before the other families existed."""
    basis = lattice_basis(group, size / cells, rng)
    if motif == "glyph":
        n_strokes = int(rng.integers(2, 5))
        strokes = [(rng.uniform(0, 1, 2), rng.uniform(0, 1, 2) * 0.5, rng.uniform(0.5, 1.0)
                    * rng.choice([-1, 1])) for _ in range(n_strokes)]
        strokes = [(p0, p0 + d, a) for p0, d, a in strokes]
    else:
        field_of = motif_field(motif, group, rng)
    side = size * samples
    yy, xx = (np.mgrid[0:side, 0:side].astype(float) + 0.5) / samples
    pts = np.stack([xx - size / 2, yy - size / 2])
    if distort:
        pts[0] *= 1 + rng.uniform(-0.1, 0.1)
        pts[0] += rng.uniform(-0.06, 0.06) * pts[1]
        pts[0] += rng.uniform(-0.03, 0.03) * size * np.sin(math.pi * pts[1] / size
                                                            + rng.uniform(0, 6))
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(basis), pts) + rng.uniform(0, 1, 2)[:, None,
                                                                                    None]
    if motif == "glyph":
        width = rng.uniform(0.03, 0.07)
        field_of = lambda v: glyph(v, strokes, width)  # noqa: E731
    field = _group_sum(group, field_of, u)
    if samples > 1:
        field = field.reshape(size, samples, size, samples).mean((1, 3))
    img = (field - field.min()) / (np.ptp(field) + 1e-12)
    if distort:
        img = _scan_faults(img, rng)
    return img.astype(np.float32)


def _scan_faults(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Line offsets, missing lines and noise, as a probe's scan has them."""
    size = img.shape[0]
    img = img + rng.normal(0, rng.uniform(0, 0.05), (size, 1))  # line offsets
    miss = rng.uniform(size=size) < rng.uniform(0, 0.03)
    img[miss] = img.mean()
    return img + rng.normal(0, rng.uniform(0.01, 0.08), img.shape)


def _flip_x(t: np.ndarray) -> np.ndarray:
    """The periodic cell array mirrored x -> -x (about its first column)."""
    return np.roll(t[:, ::-1], 1, axis=1)


def _flip_y(t: np.ndarray) -> np.ndarray:
    return np.roll(t[::-1, :], 1, axis=0)


def _half(t: np.ndarray, x: bool = True, y: bool = True) -> np.ndarray:
    """Moved by half the cell along x and/or y."""
    return np.roll(t, (t.shape[0] // 2 if y else 0, t.shape[1] // 2 if x else 0), axis=(0, 1))


def _quarter(t: np.ndarray) -> np.ndarray:
    """A square cell array turned by 90 degrees about its first pixel."""
    return np.roll(t.T[:, ::-1], 1, axis=1)


def _turns(t: np.ndarray) -> np.ndarray:
    return t + _quarter(t) + _quarter(_quarter(t)) + _quarter(_quarter(_quarter(t)))


# each group's cell from a motif array by array operations alone (flips, turns, rolls)
PIXEL_CELLS: dict[str, Any] = {
    "p1": lambda t: t,
    "p2": lambda t: t + _flip_x(_flip_y(t)),
    "pm": lambda t: t + _flip_x(t),
    "pg": lambda t: t + _half(_flip_x(t), x=False),
    "cm": lambda t: (lambda s: s + _half(s))(t + _flip_x(t)),
    "pmm": lambda t: t + _flip_x(t) + _flip_y(t) + _flip_x(_flip_y(t)),
    "pmg": lambda t: t + _flip_x(_flip_y(t)) + _half(_flip_x(t), y=False)
    + _half(_flip_y(t), y=False),
    "pgg": lambda t: t + _flip_x(_flip_y(t)) + _half(_flip_x(t)) + _half(_flip_y(t)),
    "cmm": lambda t: (lambda s: s + _half(s))(t + _flip_x(t) + _flip_y(t)
                                              + _flip_x(_flip_y(t))),
    "p4": _turns,
    "p4m": lambda t: (lambda s: s + _flip_x(s))(_turns(t)),
    "p4g": lambda t: (lambda s: s + _half(_flip_x(s)))(_turns(t)),
}


def pixel_moved(cell: np.ndarray, matrix: tuple, shift: tuple = (0, 0)) -> np.ndarray:
    """A periodic cell array seen through u -> matrix @ u + shift (u fractional, x along
    columns); exact on the pixel grid for the matrices of `PIXEL_CELLS`' lattices (those
    mixing x and y only on square cells)."""
    h, w = cell.shape
    y, x = np.mgrid[0:h, 0:w]
    (a, b), (c, d) = matrix
    nx = (a * x + b * y + round(float(shift[0]) * w)) % w
    ny = (c * x + d * y + round(float(shift[1]) * h)) % h
    return cell[ny, nx]


def pixel_extra(group: str, cell: np.ndarray, lattice: str | None = None) -> float:
    """How near a pixel cell comes to a higher group, or to a smaller cell: the best
    correlation of the cell with itself under a point operation of its lattice that the
    group lacks (at any translation: a mirror, glide or rotation anywhere), or moved by
    a fraction i/d of the cell (d up to 6, shifts of 2 px or more) that is not the group's
    own centring. As `motif_field` screens the other families (`MAX_EXTRA`).
    ``lattice``: the lattice whose operations are tried, where not the group's own ("square"
    for a square cell of a rectangular group, which may nearly have quarter turns)."""
    c = cell - cell.mean()
    var = float((c**2).sum())
    if var < 1e-12 * c.size:
        return 1.0
    spectrum = np.fft.fft2(c)
    own = {op.matrix for op in operations(group)}
    best = -1.0
    for op in operations(HOLOHEDRY[lattice or LATTICE[group]]):
        if op.matrix in own:
            continue
        other = np.fft.fft2(pixel_moved(c, op.matrix))
        best = max(best, float(np.fft.ifft2(spectrum * np.conj(other)).real.max()) / var)
    h, w = c.shape
    auto = np.fft.ifft2(spectrum * np.conj(spectrum)).real / var
    centring = (h // 2, w // 2) if group in ("cm", "cmm") else None
    for d in range(2, 7):
        for i in range(d):
            for j in range(d):
                dy, dx = round(i * h / d) % h, round(j * w / d) % w
                if (dy, dx) in ((0, 0), centring) or min(dy, h - dy) + min(dx, w - dx) < 2:
                    continue
                best = max(best, float(auto[dy, dx]))
    return best


def smooth_noise(h: int, w: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform noise on a periodic h x w array, Gaussian-blurred by ``sigma`` px."""
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    blur = np.exp(-2 * (math.pi * sigma) ** 2 * (fx**2 + fy**2))
    return np.fft.ifft2(np.fft.fft2(rng.uniform(-1, 1, (h, w))) * blur).real


def tiled_edge(size: int, cells: float) -> int:
    """`tiled`'s longer cell edge: ``size / cells`` rounded to an even whole number of
    pixels, at least 4."""
    return max(4, 2 * round(size / cells / 2))


def hexagonal_noise(group: str, size: int, edge: int, rng: np.random.Generator,
                    finer: int = 1) -> np.ndarray:
    """`tiled`'s hexagonal scan before scaling: dense plane-wave noise summed over the
    group's operations on a lattice of ``edge`` px along the x axis, sampled at pixel
    centres; ``finer`` > 1: the same draws sampled ``finer`` times as densely each way
    (what the pixels alias: training/symmetry/tiled_aliasing.py)."""
    basis = np.array([[edge, -edge / 2], [0.0, edge * math.sqrt(3) / 2]])
    field_of = motif_field("noise", group, rng)
    n = size * finer
    yy, xx = (np.mgrid[0:n, 0:n].astype(float) + 0.5) / finer
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(basis), np.stack([xx, yy])) \
        + rng.uniform(0, 1, 2)[:, None, None]
    return _group_sum(group, field_of, u)


def tiled(group: str, size: int, cells: float, rng: np.random.Generator,
          distort: bool) -> np.ndarray:
    """A scan built as many public generators build one: the longer cell edge a whole,
    even number of pixels (``size / cells`` rounded), the motif smoothed noise (blur 1 px
    to a tenth of the cell) summed over the group's flips, quarter turns and half-cell
    shifts of the pixel array (`PIXEL_CELLS`), tiled from a random offset, the lattice
    along the axes (rectangular cells for p1 and p2). Hexagonal groups, which no array
    operation makes, are dense plane-wave noise summed over the group's operations on a
    lattice along the x axis, sampled at pixel centres. Cells in effect a higher
    group's or a smaller cell's are drawn again (`pixel_extra`), as the other families'
    motifs are (a cell of a few pixels too small to hold its group clear of a higher
    one grows by 2 px every 50 draws). ``distort``: line offsets,
    missing lines and noise (no geometric distortion: the cell stays whole pixels)."""
    edge = tiled_edge(size, cells)
    if LATTICE[group] == "hexagonal":
        img = hexagonal_noise(group, size, edge, rng)
    else:
        cell = pixel_cell(group, edge, rng, "tiled",
                          lambda c: (c, pixel_extra(group, c) < MAX_EXTRA))
        img = _tiled_from(cell, size, size, rng)
    img = (img - img.min()) / (np.ptp(img) + 1e-12)
    if distort:
        img = _scan_faults(img, rng)
    return img.astype(np.float32)


def styled(group: str, size: int, cells: float, rng: np.random.Generator,
           distort: bool) -> np.ndarray:
    """A `tiled` scan as other generators style theirs: the cell two-tone (thresholded at
    its median) half the time, enlarged 1 to 3 times by repeating pixels (where it keeps
    4 px or more before), the image non-square (``size`` rows, 0.75 to 1.33 times as many
    columns), and half the time colour-mapped to 8-bit RGB (a map of three random
    colours, darkest to brightest).
    Hexagonal groups are `tiled`'s plane-wave noise, styled alike. A cell is drawn again
    while thresholding left it short of its group, or it is in effect a higher group's
    (`pixel_extra`, under the operations of the array's shape: the square lattice's for a
    square cell, the rectangular one's for p1 and p2, whose cells are rectangles)."""
    up = int(rng.choice([1, 1, 2, 3]))
    up = max(1, min(up, int(size / cells / 4)))  # no fewer cells than asked: 4 px or more
    two_tone = bool(rng.uniform() < 0.5)
    width = int(round(size * rng.uniform(0.75, 1.33)))
    edge = tiled_edge(size // up, cells)
    if LATTICE[group] == "hexagonal":
        base = hexagonal_noise(group, -(-max(size, width) // up), edge, rng)
        if two_tone:
            base = _two_tone(base)
        img = np.kron(base, np.ones((up, up)))[:size, :width]
    else:
        cell = pixel_cell(group, edge, rng, "styled",
                          lambda c: _styled_cell(group, c, two_tone))
        img = _tiled_from(np.kron(cell, np.ones((up, up))), size, width, rng)
    img = (img - img.min()) / (np.ptp(img) + 1e-12)
    if distort:
        img = _scan_faults(img, rng)
    if rng.uniform() < 0.5:
        return _colour_mapped(img, rng)
    return img.astype(np.float32)


def pixel_cell(group: str, edge: int, rng: np.random.Generator, family: str,
               judge: Any) -> np.ndarray:
    """A cell array of ``group`` for the `tiled` and `styled` families: ``edge`` px square,
    or a rectangle with one side 0.6-0.85 of it (its long side along x or y) for the other
    lattices; smoothed noise made the group's by `PIXEL_CELLS`. ``judge(cell)`` gives the
    cell as the family keeps it and whether it is clear of higher symmetry; it is drawn
    again until it is (a cell of a few pixels too small to hold its group clear of a higher
    one grows by 2 px every 50 draws)."""
    w, h = edge, edge
    if LATTICE[group] != "square":
        h = max(4, 2 * round(edge * rng.uniform(0.6, 0.85) / 2))
        if rng.uniform() < 0.5:
            w, h = h, w
    for draw in range(200):
        if draw and draw % 50 == 0:
            h, w = h + 2, w + 2
        cell, clear = judge(PIXEL_CELLS[group](smooth_noise(
            h, w, rng.uniform(1.0, 1.0 + 0.1 * edge), rng)))
        if clear:
            return cell
    raise RuntimeError(f"no {family} {group} cell of {w}x{h} px clear of higher symmetry "
                       "in 200 draws")


def _tiled_from(cell: np.ndarray, rows: int, columns: int, rng: np.random.Generator,
                ) -> np.ndarray:
    """A ``rows`` x ``columns`` image tiled from ``cell``, starting at a random offset."""
    h, w = cell.shape
    big = np.tile(cell, (rows // h + 2, columns // w + 2))
    oy, ox = int(rng.integers(h)), int(rng.integers(w))
    return big[oy : oy + rows, ox : ox + columns]


def _styled_cell(group: str, cell: np.ndarray, two_tone: bool) -> tuple[np.ndarray, bool]:
    """`styled`'s judge: the cell two-tone where asked; clear where it still has its group
    and is no higher group's under the operations its array's shape allows."""
    if two_tone:
        cell = _two_tone(cell)
    kept = np.ptp(cell) > 0 and np.corrcoef(PIXEL_CELLS[group](cell).ravel(),
                                            cell.ravel())[0, 1] > 0.9999
    h, w = cell.shape
    screen = "square" if h == w else "rectangular" if LATTICE[group] == "oblique" else None
    return cell, bool(kept) and pixel_extra(group, cell, screen) < MAX_EXTRA


def _two_tone(values: np.ndarray) -> np.ndarray:
    """1 above the median, 0 elsewhere; values equal but for rounding (a pixel and its
    image under the group, summed in another order) fall on the same side."""
    rounded = np.round(values, 9)
    return (rounded > np.median(rounded)).astype(float)


def _colour_mapped(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``img`` (about 0..1) through a map of three random colours, darkest to brightest,
    as 8-bit RGB."""
    anchors = rng.uniform(0, 255, (3, 3))
    anchors = anchors[np.argsort(anchors @ np.array([0.299, 0.587, 0.114]))]
    t = np.clip(img, 0, 1)[..., None] * 2
    rgb = np.where(t < 1, anchors[0] + t * (anchors[1] - anchors[0]),
                   anchors[1] + (t - 1) * (anchors[2] - anchors[1]))
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def dataset(n_per_bin: int, seed: int, bins: tuple[tuple[float, float], ...],
            distort_frac: float = 0.5, motif: str = "glyph") -> list[dict]:
    """Images spread evenly over cell bins and groups; each with its labels."""
    rng = np.random.default_rng(seed)
    items = []
    for lo, hi in bins:
        for k in range(n_per_bin):
            group = GROUPS[k % len(GROUPS)]
            cells = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            size = int(rng.choice([192, 256, 384, 512]))
            distort = bool(rng.uniform() < distort_frac)
            items.append({"group": group, "cells": cells, "size": size, "distort": distort,
                          "bin": f"{lo:g}-{hi:g}", "seed": int(rng.integers(1 << 31)),
                          "motif": motif})
    return items


def make(item: dict) -> np.ndarray:
    rng = np.random.default_rng(item["seed"])
    if item.get("motif") == "tiled":
        return tiled(item["group"], item["size"], item["cells"], rng, item["distort"])
    if item.get("motif") == "styled":
        return styled(item["group"], item["size"], item["cells"], rng, item["distort"])
    return render(item["group"], item["size"], item["cells"], rng, item["distort"],
                  motif=item.get("motif", "glyph"))
