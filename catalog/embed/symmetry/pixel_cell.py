"""The symmetry of a scan tiled from a cell of whole pixels, measured on its pixels.

Many generators (and any pixel-exact repeat) build a scan by tiling a cell of a whole
number of pixels. Such a scan holds one value per pixel position in the cell, and its
pattern is those values: a mirror or turn it has maps pixel centres onto pixel centres.
The averaged cell (`symcat.embed.symmetry.motif`) is the trigonometric interpolation of
those values, and on a cell of 4 or 6 px that interpolant obeys more than the pixels
do: a 4 x 6 px cm cell, 0.90 like itself under the mirror it lacks at every pixel
position, is 1.00 like itself under that mirror a quarter of a pixel off (on 4 rows
every row pattern is one wave, mirror-symmetric about some point; only the wave at the
pixels' Nyquist limit, whose phase the pixels do not fix, tells the positions apart).

So where a cell's vectors are whole pixels and those pixels' values explain the scan as
well as the averaged cell, each point operation is measured on the pixel values: the
operations of the pixel grid (turns by 90 and 180 degrees, mirrors along the axes and
diagonals) that map the lattice onto itself, at the translations that map pixel centres
onto pixel centres. Halves, thirds and quarters of the cell that the values repeat on
are taken into the lattice first, so a centred cell is measured on its primitive
lattice (the averaged cell of a tiled cm is the 4 x 6 px rectangle, a supercell).
Guards keep a pattern drawn continuously on a lattice that happens to be whole pixels on
its averaged cell (`measure`, `confirms`). A cell of up to 1,024 px^2 is measured value by
value; a larger one (v40: up to ``max_area``) through the Smith normal form of its basis,
on which each operation's correlation at every translation is one FFT (`_GridClasses`).

Numpy (and motif's scipy), no torch; runs in the forked workers that estimate lattices.
"""

from __future__ import annotations

import math

import numpy as np

from symcat.embed.symmetry.cell_symmetry import (
    CellSymmetry,
    admitted,
    from_operations,
    mirror_axis,
    mirror_index,
    shortest_of,
)
from symcat.embed.symmetry.motif import gauss_reduced

MAX_AREA = 1024  # px^2: the largest cell measured by default (`measure`'s ``max_area``)
# px^2: cells up to this are measured value by value (every translation of every value,
# area^2 pairs); larger ones through their Smith normal form and the FFT (`_GridClasses`)
DENSE_MAX_AREA = 1024
# px: a cell whose values repeat on a shorter lattice vector is stripes, or smooth
# enough that a pixel's shift hardly changes it; the pixels measure nothing there
MIN_EDGE = 2.0
# R^2 the pixel values may explain less than the averaged cell and still stand for it
R2_TIE = 0.005
# the pixel grid's point operations other than the identity (x = column, y = row)
GRID_OPERATIONS = tuple(np.array(m, dtype=np.int64) for m in (
    ((-1, 0), (0, -1)), ((0, -1), (1, 0)), ((0, 1), (-1, 0)),  # turns: 180, 90, 270
    ((-1, 0), (0, 1)), ((1, 0), (0, -1)), ((0, 1), (1, 0)), ((0, -1), (-1, 0))))  # mirrors


def _area(vectors: np.ndarray) -> int:
    """The area (px^2, a whole number) of the cell the integer columns ``vectors`` span."""
    return abs(int(round(float(np.linalg.det(np.asarray(vectors, dtype=float))))))


class _Classes:
    """The pixels of a scan grouped by their position in a whole-pixel cell."""

    def __init__(self, pixels: np.ndarray, values: np.ndarray, vectors: np.ndarray) -> None:
        self.pixels, self.values, self.vectors = pixels, values, vectors
        self.area = _area(vectors)
        # cell coordinates times det(A), whole numbers: adj(A) p = det(A) A^-1 p
        self._adjugate = np.array([[vectors[1, 1], -vectors[0, 1]],
                                   [-vectors[1, 0], vectors[0, 0]]], dtype=np.int64)
        key = self.key(pixels)
        self._slot = np.full(self.area * self.area, -1, np.int64)
        present, self._index = np.unique(key, return_inverse=True)  # each pixel's position
        self._slot[present] = np.arange(present.size)
        self.complete = present.size == self.area
        self.means = np.bincount(self._index, values) / np.bincount(self._index)
        first = np.zeros(present.size, np.int64)
        first[self._index[::-1]] = np.arange(self._index.size)[::-1]
        self.representatives = pixels[:, first]  # (2, area): one pixel of each position

    def key(self, p: np.ndarray) -> np.ndarray:
        u = (self._adjugate @ p.reshape(2, -1)) % self.area
        return (u[0] * self.area + u[1]).reshape(p.shape[1:])

    def r2(self) -> float:
        """The share of the pixels' variance the values per position explain."""
        var = float(self.values.var())
        if var <= 0:
            return 0.0
        return 1.0 - float(((self.values - self.means[self._index]) ** 2).mean()) / var

    def standardized(self) -> np.ndarray | None:
        """The values per position less their mean, of unit norm; None where all equal."""
        s = self.means - self.means.mean()
        norm = float(np.sqrt((s**2).sum()))
        return s / norm if norm > 0 else None

    def correlations(self, op: np.ndarray) -> np.ndarray:
        """Pearson correlation of the values with themselves seen through p -> op p + t,
        for every translation t of `representatives` (the translations that keep pixel
        centres on pixel centres, one per class of the lattice)."""
        s = self.standardized()
        if s is None:
            return np.full(self.area, np.nan)
        moved = (op @ self.representatives)[:, :, None] + self.representatives[:, None, :]
        index = self._slot[self.key(moved)]  # (values, translations)
        return (s[:, None] * s[index]).sum(0)


def smith_rows(basis: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(U, d1, d2): a unimodular integer U and d1 | d2 with U @ basis @ V = diag(d1, d2)
    for some unimodular V (the Smith normal form of the integer 2 x 2 ``basis``). A point
    p of Z^2 lies in the lattice ``basis`` spans exactly where (U p) is 0 modulo (d1,
    d2), so (U p) mod (d1, d2) numbers the positions in the cell, Z^2 / L = Z_d1 x Z_d2."""
    m = np.array(basis, dtype=np.int64)
    u = np.eye(2, dtype=np.int64)
    if _area(m) == 0:
        raise ValueError("a cell of no area")
    while True:
        _, i, j = min((abs(int(m[i, j])), i, j) for i in range(2) for j in range(2)
                      if m[i, j] != 0)
        if i:
            m, u = m[::-1].copy(), u[::-1].copy()
        if j:
            m = m[:, ::-1].copy()
        pivot = m[0, 0]
        q = m[1, 0] // pivot
        m[1] -= q * m[0]
        u[1] -= q * u[0]
        m[:, 1] -= (m[0, 1] // pivot) * m[:, 0]  # a column step: V, which is not needed
        if m[1, 0] == 0 and m[0, 1] == 0:
            if m[1, 1] % pivot == 0:
                break
            m[0] += m[1]  # d1 must divide d2: bring the second row's entry in, again
            u[0] += u[1]
    for row in (0, 1):
        if m[row, row] < 0:
            m[row], u[row] = -m[row], -u[row]
    return u, int(m[0, 0]), int(m[1, 1])


class _GridClasses(_Classes):
    """`_Classes` of a large cell: each position numbered by its coordinates in Z_d1 x
    Z_d2 (`smith_rows`), where a translation is a cyclic shift, so that an operation's
    correlation at every translation is one cyclic cross-correlation (FFT): area log
    area work instead of area^2. Only a cell whose every position holds a pixel is used
    (`complete`); class k is position k, and its representative lies in it."""

    def __init__(self, pixels: np.ndarray, values: np.ndarray, vectors: np.ndarray) -> None:
        # (not `_Classes.__init__`: its table of area^2 slots is what this class avoids)
        self.pixels, self.values, self.vectors = pixels, values, vectors
        self.area = _area(vectors)
        self._u, d1, d2 = smith_rows(vectors)
        self.shape = (d1, d2)
        self._index = self.key(pixels)
        counts = np.bincount(self._index, minlength=self.area)
        self.complete = bool((counts > 0).all())
        self.means = np.bincount(self._index, values, self.area) / np.maximum(counts, 1)
        first = np.zeros(self.area, np.int64)
        first[self._index[::-1]] = np.arange(self._index.size)[::-1]
        self.representatives = pixels[:, first]

    def key(self, p: np.ndarray) -> np.ndarray:
        d1, d2 = self.shape
        w = self._u @ p.reshape(2, -1)
        return ((w[0] % d1) * d2 + w[1] % d2).reshape(p.shape[1:])

    def correlations(self, op: np.ndarray) -> np.ndarray:
        """As `_Classes.correlations`: sum over p of s(p) s(op p + t) = sum over r of
        a(r) s(r + t), a(op p) = s(p), for t each class's representative."""
        s = self.standardized()
        if s is None:
            return np.full(self.area, np.nan)
        a = np.empty_like(s)
        a[self.key(op @ self.representatives)] = s
        fa, fs = np.fft.fft2(a.reshape(self.shape)), np.fft.fft2(s.reshape(self.shape))
        return np.fft.ifft2(np.conj(fa) * fs).real.ravel()


def _classes(pixels: np.ndarray, values: np.ndarray,
             vectors: np.ndarray) -> _Classes | _GridClasses:
    return (_Classes if _area(vectors) <= DENSE_MAX_AREA else _GridClasses)(pixels, values, vectors)


def _lattice(generators: list[np.ndarray]) -> np.ndarray:
    """A reduced basis (columns) of the integer lattice the 2-vectors span."""
    vecs = [np.asarray(g, dtype=np.int64) for g in generators if np.any(g)]
    while sum(1 for v in vecs if v[0]) > 1:  # Euclid on the x components
        pivot = min((v for v in vecs if v[0]), key=lambda v: abs(int(v[0])))
        vecs = [pivot] + [w for w in (v - (v[0] // pivot[0]) * pivot if v[0] else v
                                      for v in vecs if v is not pivot) if np.any(w)]
    first = next(v for v in vecs if v[0])
    g = math.gcd(*(int(v[1]) for v in vecs if not v[0]))
    rows = gauss_reduced(np.stack([first, [0, g]]).astype(float))
    return np.rint(rows).astype(np.int64).T


def _parts(classes: _Classes, vectors: np.ndarray) -> np.ndarray:
    """Which of ``classes``' representatives are halves, thirds or quarters of the cell
    (d t a lattice vector for d = 2, 3 or 4; not the lattice itself), as
    `cell_symmetry.subcell_translation` moves the averaged cell."""
    cell = np.linalg.inv(vectors.astype(float)) @ classes.representatives
    whole = (np.abs(cell - np.rint(cell)) < 1e-6).all(axis=0)
    fraction = np.zeros(cell.shape[1], bool)
    for d in (2, 3, 4):
        fraction |= (np.abs(cell * d - np.rint(cell * d)) < 1e-6).all(axis=0)
    return np.flatnonzero(fraction & ~whole)


def _on_grid(basis: np.ndarray, cell_of: np.ndarray, tol: float) -> bool:
    """Whether every mirror and quarter turn the lattice admits (within ``tol``, as
    `cell_symmetry.admitted`) is an operation of the pixel grid: the lattice lies along
    the scan's axes (or its diagonals), so the pixels can measure all of them. (Turns by
    60 and 120 degrees never are; a lattice of whole pixels admitting them is at best
    near hexagonal, and its pixels obey no such turn.)"""
    rotations, mirrors = admitted(cell_of, tol)
    ops = [m for n, m in rotations.items() if n in (2, 4)] + [m for _, m in mirrors]
    grid = {op.tobytes() for op in GRID_OPERATIONS}
    for m in ops:
        r = basis @ m @ cell_of
        if np.abs(r - np.rint(r)).max() > 1e-9 or np.rint(r).astype(np.int64).tobytes() \
                not in grid:
            return False
    return True


def measure(pixels: np.ndarray, values: np.ndarray, vectors: np.ndarray,
            repeat: float, r2: float = math.nan, agreement: float = math.nan,
            tol: float = 0.2, max_area: int = MAX_AREA) -> CellSymmetry | None:
    """`CellSymmetry` of a scan from its pixel values on the whole-pixel cell ``vectors``
    (columns, px; `motif.whole_vectors`), or None where its pixels do not hold every position
    of a cell of at most ``max_area`` px^2 or explain less than ``r2`` - R2_TIE of it.
    ``pixels``: the pixels' integer (column, row) (2, N); ``repeat``: translations by
    part of the cell the values correlate this well with are lattice translations;
    ``tol``: `cell_symmetry.admitted`'s, for `_on_grid` (None where the lattice admits a
    mirror or quarter turn off the pixel grid, or its shortest vector is under
    MIN_EDGE)."""
    if _area(vectors) > max_area:
        return None
    classes = _classes(pixels, values, vectors)
    explained = classes.r2() if classes.complete else -1.0
    if isinstance(classes, _GridClasses) and not classes.complete:
        return None  # (a large cell is measured only where its pixels fill it)
    if explained < r2 - R2_TIE:
        return None
    identity = np.eye(2, dtype=np.int64)
    parts = _parts(classes, vectors)
    shifts = classes.correlations(identity)[parts]
    basis = _lattice([vectors[:, 0], vectors[:, 1],
                      *classes.representatives[:, parts[shifts >= repeat]].T])
    if _area(basis) != classes.area:
        classes = _classes(pixels, values, basis)
        parts = _parts(classes, basis)
        shifts = classes.correlations(identity)[parts]
    a = basis.astype(float)
    edge = shortest_of(a)
    cell_of = np.linalg.inv(a)
    if edge < MIN_EDGE or not _on_grid(basis, cell_of, tol):
        return None
    rotations: dict[int, float] = {}
    mirrors: list[tuple[float, int, tuple[float, float]]] = []
    for op in GRID_OPERATIONS:
        m = cell_of @ op @ basis
        if np.abs(m - np.rint(m)).max() > 1e-9:
            continue  # the operation does not map the lattice onto itself
        m = np.rint(m)
        cc = classes.correlations(op)
        if np.linalg.det(op) > 0:
            order = 2 if op[0, 0] == -1 else 4
            rotations[order] = max(rotations.get(order, -1.0), float(cc.max()))
            continue
        kind = mirror_index(m)
        best = (float(cc.max()), float(cc.max()))  # a centred lattice has both everywhere
        if kind == 1:  # twice applied, p -> op p + t moves by w = (op + I) t along the axis:
            along = np.array(mirror_axis(m), dtype=float)  # an odd number of cells, a glide
            w = cell_of @ ((op + identity) @ classes.representatives)
            glide = np.rint(along @ w / float(along @ along)).astype(np.int64) % 2 == 1
            best = (float(cc[~glide].max()) if (~glide).any() else -1.0,
                    float(cc[glide].max()) if glide.any() else -1.0)
        mirrors.append((max(best), kind, best))
    return from_operations(rotations, mirrors, explained,
                           float(shifts.max()) if shifts.size else -1.0, agreement, edge,
                           pixels=True)


def confirms(on_pixels: CellSymmetry, averaged: CellSymmetry, bar: float,
             exact: float | None = None) -> bool:
    """Whether the pixels obey (``bar`` or more) a turn or a mirror the averaged cell
    obeys too: where the pattern's symmetry sits on the pixel grid, as in a tiled scan.
    A continuous pattern whose lattice happens to be whole pixels (a p4 of 8.06 px
    cells along (1, 8) and (8, -1)) has its centres and mirrors off the grid, and its
    pixels obey none of them (its 4-fold turn 0.86); its averaged cell is measured.
    With ``exact``, a turn or mirror the pixels obey at ``exact`` or more confirms them
    whatever the averaged cell says: a continuous pattern's pixels come that near only
    where its centres happen to lie on the grid, and the averaged cell (24 bins a side)
    of a 20 px cell of sharp two-tone pixels obeys its exact 4-fold turn at only 0.88."""
    if exact is not None and max([*on_pixels.rotations.values(), *on_pixels.mirrors],
                                 default=-1.0) >= exact:
        return True
    turns = any(c >= bar and averaged.rotations.get(n, -1.0) >= bar
                for n, c in on_pixels.rotations.items())
    mirrors = max(on_pixels.mirrors, default=-1.0) >= bar and \
        max(averaged.mirrors, default=-1.0) >= bar
    return turns or mirrors
