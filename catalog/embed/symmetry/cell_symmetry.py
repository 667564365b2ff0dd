"""Which point operations a scan's averaged cell obeys, to check the network's group.

The network reads a plane group from views of a scan; on smooth motifs that nearly
have more symmetry than their group (a pattern that correlates 0.8-0.9 with itself
under a mirror its group lacks) it answers the higher group. Crystallographic image
processing checks such answers on the averaged unit cell (`symcat.embed.symmetry.motif`):
averaging many cells removes the noise, so what stays asymmetric is the motif's own.

For every rotation and mirror the found lattice admits (an integer matrix in the cell's
basis that is, within a tolerance for distortion, a rotation or reflection in pixels),
the cell's best correlation with itself moved by that operation, over all translations
(so a glide counts as its mirror's direction and a rotation centre may sit anywhere),
tells whether the operation holds. A group is supported to the extent that the weakest
operation it needs holds: its rotation (and the rotations that rotation implies), and
as many mirror or glide directions as it has.

Numpy only; runs in the forked workers that estimate lattices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symcat.embed.symmetry.groups import GROUPS

ROTATION_ORDER = {"p1": 1, "p2": 2, "pm": 1, "pg": 1, "cm": 1, "pmm": 2, "pmg": 2,
                  "pgg": 2, "cmm": 2, "p4": 4, "p4m": 4, "p4g": 4, "p3": 3, "p3m1": 3,
                  "p31m": 3, "p6": 6, "p6m": 6}
# mirror or glide line directions (distinct modulo 180 degrees)
MIRROR_DIRECTIONS = {"p1": 0, "p2": 0, "pm": 1, "pg": 1, "cm": 1, "pmm": 2, "pmg": 2,
                     "pgg": 2, "cmm": 2, "p4": 0, "p4m": 4, "p4g": 4, "p3": 0, "p3m1": 3,
                     "p31m": 3, "p6": 0, "p6m": 6}
IMPLIED = {1: (), 2: (2,), 3: (3,), 4: (2, 4), 6: (2, 3, 6)}
# the kind of mirror (`mirror_index`) a group's mirrors and glides have: 1 on a primitive
# rectangular lattice, 2 on a centred one; the square and hexagonal groups need no kind
MIRROR_KIND = {"pm": 1, "pg": 1, "pmm": 1, "pmg": 1, "pgg": 1, "cm": 2, "cmm": 2}
# with ``glides``: what each primitive rectangular group needs along the mirror
# directions of kind 1 ("m" a mirror, "g" a glide; one direction each). p4m and p4g differ
# the same way along a square's edges, but are left out: atoms p4g patterns that nearly
# repeat on half a cell look like mirrors there (3 right answers lost, RESULTS.md v17);
# ``square_edges`` (v31) asks p4m's mirrors there, and p4g nothing
GLIDE_NEEDS = {"pm": "m", "pg": "g", "pmm": "mm", "pmg": "mg", "pgg": "gg"}
# the primitive rectangular and square groups' mirrors (not glides) along their cell's
# edges (kind 1): pg, pgg and p4g have glides there. (cm and cmm are left out: on a cell
# the pixels do not reduce to its primitive one, their mirrors lie along its edges.)
EDGE_MIRRORS = {"pm": 1, "pg": 0, "pmm": 2, "pmg": 1, "pgg": 0, "p4m": 2, "p4g": 0}
UPSAMPLE = 4  # translations tried at a quarter of a bin


@dataclass(frozen=True)
class CellSymmetry:
    """Best self-correlation (-1..1) of an averaged cell under each admitted operation.

    ``rotations``: order (2, 3, 4, 6) -> correlation, for the orders the lattice admits;
    ``mirrors``: one correlation per admitted mirror direction, strongest first;
    ``r2``: the share of the scan's variance the averaged cell explains (how far the
    cell can be trusted: a bent or warped scan averages into a smeared cell);
    ``translation``: the best correlation with itself moved by a fraction of the cell
    (halves, thirds, quarters): near 1, the cell is a supercell, whose basis the point
    operations of the pattern need not map onto itself.
    """

    rotations: dict[int, float]
    mirrors: tuple[float, ...]
    r2: float = math.nan
    translation: float = math.nan
    # `mirror_index` of each of ``mirrors`` (same order; 0 where it is not an involution)
    mirror_kinds: tuple[int, ...] = ()
    # each of ``mirrors`` as (best as a mirror, best as a glide) (`mirror_and_glide`)
    mirror_glide: tuple[tuple[float, float], ...] = ()
    # measured on the scan's central band of lines (`motif.average_band`), not all of it
    band: bool = False
    # how alike the cell averages band by band of scan lines (`motif.Binner.agreement`)
    agreement: float = math.nan
    # the cell's shortest lattice vector in pixels as scanned
    edge_px: float = math.nan
    # measured on the pixel values of a whole-pixel cell (`pixel_cell`), not the average
    pixels: bool = False

    def support(self, group: str, centring: bool = False, glides: bool = False,
                square_edges: bool = False) -> float:
        """How well the weakest operation ``group`` needs holds; NaN where the lattice does
        not admit one of them (whether that contradicts the group is `CellCheck`'s call:
        ``judge_lattice``).

        ``centring``: the rectangular groups count only mirrors of their kind
        (`MIRROR_KIND`): a pmm pattern has no mirror along a centred lattice's diagonals,
        so where the lattice admits mirrors but none of the group's kind, the group is
        contradicted (-1), which point operations alone cannot see (pmm against cmm).
        Without measured kinds (``mirror_kinds`` empty) as without ``centring``.

        ``glides`` (with centring): along a primitive rectangular cell's edges a mirror
        and a glide differ, so pm needs a mirror and pg a glide, pmg one of each on the
        two edges (`GLIDE_NEEDS`).

        ``square_edges`` (with measured kinds): p4m needs mirrors, not glides, along both
        of a square cell's edges (`_edge_mirrors`). p4g is asked nothing there (see
        `GLIDE_NEEDS`), so only p4m can lose by it.
        """
        need = [self.rotations.get(n, math.nan) for n in IMPLIED[ROTATION_ORDER[group]]]
        if square_edges and group == "p4m" and (edges := self._edge_mirrors()):
            need.append(min(edges))
        m = MIRROR_DIRECTIONS[group]
        mirrors = self.mirrors
        if centring and glides and group in GLIDE_NEEDS and self.mirror_glide:
            need.extend(self._glide_support(group))
        elif centring and group in MIRROR_KIND and self.mirror_kinds:
            mirrors = tuple(c for c, k in zip(self.mirrors, self.mirror_kinds, strict=True)
                            if k == MIRROR_KIND[group])
            need.append(mirrors[m - 1] if len(mirrors) >= m else -1.0)
        elif m:
            need.append(mirrors[m - 1] if len(mirrors) >= m else math.nan)
        return math.nan if any(math.isnan(x) for x in need) else min(need, default=1.0)

    def _edge_mirrors(self) -> list[float]:
        """The mirror part (`mirror_and_glide`) of each mirror direction along the cell's
        edges (kind 1), where mirrors and glides were measured apart; [] otherwise."""
        if not self.mirror_glide or len(self.mirror_glide) != len(self.mirror_kinds):
            return []
        return [m for (m, _), k in zip(self.mirror_glide, self.mirror_kinds, strict=True)
                if k == 1]

    def _glide_support(self, group: str) -> list[float]:
        """The mirror-or-glide part of `support` under ``glides``: the best assignment of
        the group's mirrors and glides to distinct edge directions; -1 where the lattice
        has too few."""
        edges = [mg for mg, k in zip(self.mirror_glide, self.mirror_kinds, strict=True)
                 if k == 1]
        letters = GLIDE_NEEDS[group]
        return [max((min(edges[i][0 if c == "m" else 1] for i, c in zip(pick, letters,
                                                                         strict=True))
                     for pick in itertools.permutations(range(len(edges)), len(letters))),
                    default=-1.0)]

    def supports(self, centring: bool = False, glides: bool = False,
                 square_edges: bool = False) -> np.ndarray:
        """`support` of every plane group, in `GROUPS` order."""
        return np.array([self.support(g, centring, glides, square_edges) for g in GROUPS])

    def lacking(self, exact: float) -> np.ndarray:
        """Which plane groups (`GROUPS` order) lack an operation the cell obeys at
        ``exact`` or more: a turn of an order the group has none of, or more mirror or
        glide directions than it has, or (`EDGE_MIRRORS`) more mirrors, not glides,
        along the cell's edges (p4m's, not p4g's, where both have four directions).
        `support` asks whether a group's operations hold; this whether the pattern holds
        more than the group: on a tiled scan's pixels an operation it has holds exactly,
        and the network, reading views resampled from a cell of a few sharp pixels, can
        miss it (a two-tone pmg read as p2 at p 0.99)."""
        orders = [n for n, c in self.rotations.items() if c >= exact]
        directions = sum(1 for c in self.mirrors if c >= exact)
        edges = sum(1 for m in self._edge_mirrors() if m >= exact)
        return np.array([any(n not in IMPLIED[ROTATION_ORDER[g]] for n in orders)
                         or directions > MIRROR_DIRECTIONS[g]
                         or edges > EDGE_MIRRORS.get(g, edges) for g in GROUPS])


def _candidates() -> list[np.ndarray]:
    mats = []
    for a, b, c, d in itertools.product(range(-2, 3), repeat=4):
        if abs(a * d - b * c) == 1 and not (a == d == 1 and b == c == 0):
            mats.append(np.array([[a, b], [c, d]], dtype=float))
    return mats


CANDIDATES = _candidates()


def admitted(reciprocal: np.ndarray, tol: float = 0.2,
             ) -> tuple[dict[int, np.ndarray], list[tuple[float, np.ndarray]]]:
    """The lattice's rotations (order -> integer matrix on cell coordinates) and mirrors
    (axis angle in degrees, matrix), each the closest to exact within ``tol`` (largest
    deviation of R^T R from the identity, R the operation in pixels)."""
    a = np.linalg.inv(reciprocal)
    rotations: dict[int, tuple[float, np.ndarray]] = {}
    mirrors: list[tuple[float, float, np.ndarray]] = []
    for m in CANDIDATES:
        r = a @ m @ reciprocal  # u' = M u  <=>  x' = R x
        err = float(np.abs(r.T @ r - np.eye(2)).max())
        if err > tol:
            continue
        if np.linalg.det(m) > 0:
            turn = abs(math.degrees(math.atan2(r[1, 0] - r[0, 1], r[0, 0] + r[1, 1])))
            order = round(360.0 / turn) if turn > 1.0 else 0
            exact = order in (2, 3, 4, 6) and abs(360.0 / order - turn) < 12.0
            if exact and (order not in rotations or err < rotations[order][0]):
                rotations[order] = (err, m)
        else:
            axis = math.degrees(math.atan2(r[1, 0], r[0, 0])) / 2.0 % 180.0
            mirrors.append((axis, err, m))
    by_axis: list[tuple[float, float, np.ndarray]] = []
    for axis, err, m in sorted(mirrors, key=lambda t: t[1]):
        if all(min(abs(axis - b), 180.0 - abs(axis - b)) > 12.0 for b, _, _ in by_axis):
            by_axis.append((axis, err, m))
    return ({n: m for n, (_, m) in rotations.items()},
            [(axis, m) for axis, _, m in by_axis])


def _primitive(v: tuple[int, int]) -> tuple[int, int]:
    g = math.gcd(*v)
    return (v[0] // g, v[1] // g) if g else (0, 0)


def mirror_axis(m: np.ndarray) -> tuple[int, int]:
    """The primitive lattice vector (cell coordinates) along the axis of the mirror ``m``
    (an involution), which ``m`` leaves in place: the non-zero column of M + I."""
    a, b, c, d = (int(round(x)) for x in m.ravel())
    return _primitive((b, 1 - a) if (b, 1 - a) != (0, 0) else (1 - d, c))


def mirror_index(m: np.ndarray) -> int:
    """Index in the lattice of the vectors along the mirror plus those across it: 1 where
    the lattice has a basis along and across the mirror (a primitive rectangular cell, as
    pm, pg, pmm, pmg and pgg need), 2 where only a centred one (cm, cmm); 0 where ``m``
    (cell coordinates) is no involution."""
    a, b, c, d = (int(round(x)) for x in m.ravel())
    if a * a + b * c != 1 or a * b + b * d != 0 or c * a + d * c != 0 or c * b + d * d != 1:
        return 0
    along = mirror_axis(m)
    across = _primitive((b, -1 - a) if (b, -1 - a) != (0, 0) else (-1 - d, c))
    return abs(along[0] * across[1] - along[1] * across[0])


def _standard(x: np.ndarray) -> np.ndarray | None:
    x = x - x.mean()
    s = float(x.std())
    return x / s if s > 1e-12 else None


def _moved(cell: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The cell sampled at ``M u`` for every bin (a permutation of the bins; the half-bin
    offset of the bin centres is a translation, which the search absorbs)."""
    n = cell.shape[0]
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mi = (int(m[0, 0]) * i + int(m[0, 1]) * j) % n
    mj = (int(m[1, 0]) * i + int(m[1, 1]) * j) % n
    return cell[mi, mj]


def _correlations(cell: np.ndarray, moved: np.ndarray) -> np.ndarray | None:
    """Pearson correlation of ``cell`` with ``moved`` translated by (i, j) / (n UPSAMPLE)
    of the cell, for every (i, j): a zero-padded cross-spectrum."""
    s, t = _standard(cell), _standard(moved)
    if s is None or t is None:
        return None
    n = cell.shape[0]
    spec = np.fft.fftshift(np.conj(np.fft.fft2(s)) * np.fft.fft2(t))
    big = n * UPSAMPLE
    pad = np.zeros((big, big), complex)
    lo = (big - n) // 2
    pad[lo : lo + n, lo : lo + n] = spec
    return np.fft.ifft2(np.fft.ifftshift(pad)).real * (big * big) / (n * n) / (n * n)


def best_correlation(cell: np.ndarray, moved: np.ndarray) -> float:
    """Largest Pearson correlation of ``cell`` with ``moved`` over translations, the
    translations interpolated to 1/UPSAMPLE of a bin."""
    cc = _correlations(cell, moved)
    return math.nan if cc is None else float(cc.max())


def mirror_and_glide(cell: np.ndarray, m: np.ndarray, other: np.ndarray | None = None,
                     ) -> tuple[float, float]:
    """For a mirror ``m`` of kind 1 (`mirror_index`), the cell's best correlation with
    itself under ``m`` as a mirror and as a glide, apart. The operation u -> M u + M tau
    (tau the translation of the correlation) applied twice is the lattice translation
    w = (M + I) tau along the mirror; it is a mirror where w is an even multiple of the
    primitive vector along the axis, a glide where it is odd. Other kinds: the best
    correlation twice (a centred lattice has both in every mirror direction). ``other``:
    the cell to move, where it is not ``cell`` itself (`measure`'s footprint)."""
    cc = _correlations(cell, _moved(cell if other is None else other, m))
    if cc is None:
        return math.nan, math.nan
    if mirror_index(m) != 1:
        return float(cc.max()), float(cc.max())
    along = np.array(mirror_axis(m), dtype=float)
    big = cc.shape[0]
    tau = np.stack(np.meshgrid(np.arange(big), np.arange(big), indexing="ij")) / big
    w = np.einsum("ij,jhw->ihw", m + np.eye(2), tau)
    k = np.rint(np.einsum("i,ihw->hw", along, w) / float(along @ along)).astype(int)
    odd = k % 2 == 1
    return float(cc[~odd].max()), float(cc[odd].max())


def measure(average: np.ndarray, reciprocal: np.ndarray, tol: float = 0.2,
            r2: float = math.nan, agreement: float = math.nan,
            footprint_px: float = 0.0) -> CellSymmetry:
    """`CellSymmetry` of an averaged cell (square grid over the cell in the basis of
    ``reciprocal``'s rows, as `symcat.embed.symmetry.motif.Cell.average`).

    ``footprint_px`` > 0: each operation is measured as if both sides had been seen
    through the same square pixel of that many px (`footprint_pairs`). A square pixel is
    not turned onto itself by a third of a turn, so a pattern that holds its 3-fold turn
    sampled by pixels (and the averaged cell filling its bins from them) does not hold it
    at the pixel scale: a p3 of 16 px cells enlarged 2x by repeating pixels measured 0.79,
    0.97 seen through 2 px."""
    rotations, mirrors = admitted(reciprocal, tol)
    pair = footprint_pairs(average, reciprocal, footprint_px) if footprint_px > 0 else \
        (lambda m: (average, average))
    rot = {}
    for n, m in rotations.items():
        one, other = pair(m)
        rot[n] = best_correlation(one, _moved(other, m))
    mir = []
    for _, m in mirrors:
        one, other = pair(m)
        mg = mirror_and_glide(one, m, other)
        if not math.isnan(mg[0]):
            mir.append((max(mg), mirror_index(m), mg))
    return from_operations(rot, mir, r2, subcell_translation(average), agreement,
                           shortest_vector(reciprocal))


def footprint_pairs(average: np.ndarray, reciprocal: np.ndarray, px: float,
                    ) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """For an operation ``m`` (cell coordinates; R in pixels), the averaged cell ``c``
    blurred by a square of ``px`` pixels turned by R and by R^-1: ``c * (B o R)`` and
    ``c * (B o R^-1)``, whose second, moved by ``m``, is ``(c o R) * B``. Where the
    pattern f obeys R and the cell is f seen through B, both are f * B * (B o R): the test
    no longer asks the square pixel to obey R. The cell's spectrum is taken once for all
    of its operations."""
    a = np.linalg.inv(reciprocal)
    n = average.shape[0]
    f = np.fft.fftfreq(n) * n
    hk = np.stack(np.meshgrid(f, f, indexing="ij"), -1)
    q = hk @ reciprocal  # cycles per px of each coefficient
    spectrum = np.fft.fft2(average)

    def seen(turn: np.ndarray) -> np.ndarray:
        tq = q @ turn.T
        return np.fft.ifft2(spectrum * np.sinc(px * tq[..., 0]) * np.sinc(px * tq[..., 1])).real

    def pair(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = a @ m @ reciprocal  # x' = R x
        return seen(r), seen(np.linalg.inv(r))

    return pair


def from_operations(rotations: dict[int, float],
                    mirrors: list[tuple[float, int, tuple[float, float]]], r2: float,
                    translation: float, agreement: float, edge_px: float,
                    pixels: bool = False) -> CellSymmetry:
    """A `CellSymmetry` from its measured turns and mirrors, each mirror as (best, kind,
    (as a mirror, as a glide)), the strongest mirror first."""
    mir = sorted(mirrors, key=lambda t: t[0], reverse=True)
    return CellSymmetry(rotations, tuple(c for c, _, _ in mir), r2, translation,
                        tuple(k for _, k, _ in mir), tuple(mg for _, _, mg in mir),
                        agreement=agreement, edge_px=edge_px, pixels=pixels)


def shortest_vector(reciprocal: np.ndarray) -> float:
    """`shortest_of` the cell of ``reciprocal``."""
    try:
        a = np.linalg.inv(np.asarray(reciprocal, dtype=float))
    except np.linalg.LinAlgError:
        return math.nan
    return shortest_of(a)


def shortest_of(a: np.ndarray) -> float:
    """The length (px) of the shortest of a cell's vectors (columns of ``a``), their sum
    and difference: the lattice's shortest vector, for the nearly reduced bases the
    averaged cell keeps."""
    return float(min(np.hypot(*v) for v in (a[:, 0], a[:, 1], a[:, 0] + a[:, 1],
                                             a[:, 0] - a[:, 1])))


def subcell_translation(cell: np.ndarray) -> float:
    """Best correlation of the cell with itself moved by (i/d, j/d), d = 2, 3, 4, not a
    whole cell (bins: the grid must divide by d; 24 does)."""
    s = _standard(cell)
    if s is None:
        return math.nan
    n = cell.shape[0]
    best = -1.0
    for d in (2, 3, 4):
        if n % d:
            continue
        for i in range(d):
            for j in range(d):
                if (i, j) != (0, 0):
                    moved = np.roll(s, (i * n // d, j * n // d), axis=(0, 1))
                    best = max(best, float((s * moved).mean()))
    return best


@dataclass(frozen=True)
class CellCheck:
    """A model's use of `CellSymmetry` (``cell_check`` in its config.json).

    ``tol``: how far from a rotation or reflection (in pixels) a lattice operation may be
    and still count as admitted. Where the averaged cell explains at least ``min_r2`` of
    the scan and is no supercell (its ``translation`` under ``max_translation``), groups
    whose weakest needed operation correlates under ``min_support`` lose their
    probability to the groups that remain (``min_support`` None: only measured).
    ``centring``: the rectangular groups need mirrors of their own kind (`CellSymmetry.
    support`). ``judge_lattice``: on a trusted cell the lattice is trusted too, so groups
    needing an operation it does not admit (NaN support) are contradicted as well; where
    the cell explains most of the scan, its lattice is no guess. ``supercells``: a cell
    averaged on the lattice the views came from first tries that lattice's supercells,
    as the model's averaged-cell search does (``motif.search`` in its config): the
    strongest peaks can span a subcell the pattern only nearly repeats on, on which the
    kind of mirror is not the pattern's. ``glides`` (with ``centring``): along a
    primitive rectangular cell's edges mirrors and glides are told apart (`CellSymmetry.
    support`): pm against pg, pmm against pmg and pgg. ``refit``: where the cell
    averaged on the views' lattice explains under ``min_r2`` of the scan, the cell the
    model's averaged-cell search found from the spectrum's peaks is measured instead if
    it explains more (the views' lattice refined from its own vectors can stall far from
    the scan's cell: R^2 0.15 against 0.97 on a clean pm). ``rescue``: where the network
    abstained for low confidence alone, a trusted cell may still answer, with the group
    left after `adjust`, if the network gave that group at least this probability (the
    network torn between pmg and a group the cell rules out), and the cell's shorter
    edge is at least ``rescue_min_px`` (a stripe pattern's harmonics and the pixel grid
    build pseudo-cells of 2-5 px that explain 0.97 of it). ``band_min_r2``: where the
    whole scan's cell is not trusted, the cell of its central band of lines is measured
    (`motif.average_band`), and trusted if it explains at least this much of the band and
    ``band_gain`` more than the whole scan's cell did (a drifting scan, whose bend the
    band nearly escapes); as a drifting scan's lattice is sheared off its true shape, its
    lattice is not judged (``judge_lattice``) and admits operations within ``band_tol``
    (at ``tol`` 0.2 a sheared hexagonal band admitted 4 of its 6 mirrors, and p31m was
    contradicted by a mirror it does not have). ``agreement_min``: a cell under its R^2
    bar is trusted all the same where it explains ``agreement_min_r2``, its bands of scan
    lines average into the same cell (`motif.Binner.agreement` at least this) and its
    shortest vector is ``agreement_min_px`` or more: noise lowers R^2, not the agreement,
    and a bend lowers both; smaller cells blur within a pixel, which weakens their 3-, 4-
    and 6-fold turns. Such a cell's lattice may be sheared, so it is not judged.
    ``pixel_slack``: a cell whose vectors lie within this of whole pixels is measured on
    the scan's pixel values instead (`symcat.embed.symmetry.pixel_cell`), where they
    explain it as well: a tiled scan's pattern is its pixels, not their interpolation.
    Such a cell is trusted on its agreement whatever its edge (it does not blur), and
    its lattice, whole pixels, is judged wherever the cell is trusted.
    ``pixel_slack_share``: the slack is this share of a cell vector's length where that
    is more (a lattice estimated from a few sharp cells errs by 0.02-0.06 px on 16-30).
    ``pixel_exact``: on such a cell, an operation the pixels obey at this or more is the
    pattern's: groups lacking it are contradicted too (`CellSymmetry.lacking`), and it
    alone lets the pixels stand for the cell (`pixel_cell.confirms`): the averaged cell,
    24 bins a side, blurs a cell of 20 px or more of sharp pixels below the bar.
    ``pixel_over_band``: a trusted cell measured on its pixels is kept, not replaced by
    its central band's cell (a scan tiled from whole pixels whose bands of lines agree
    does not drift; line offsets and missing lines lower its R^2 under ``min_r2``, and the
    band of a distorted pmm of 4 x 6 px averaged into a 2.4 px alias read p2).
    ``footprint_px``: each operation is measured through a common square footprint of
    this many px (`measure`, `footprint_pairs`), on hexagonal lattices only where
    ``footprint_hexagonal``: a scan's square pixels (larger where it was enlarged by
    repeating them) obey no 3- or 6-fold turn, and a sharp hexagonal pattern's averaged
    cell lost 10-30% of its turns' correlation to them. On a square or rectangular lattice
    along the scan's axes the square obeys the lattice's operations already. Only cells
    whose shortest vector is ``footprint_min_px`` or more: a 2 px square blurs a cell of
    under two footprints away (a blob cm checked on a 2.4 px alias cell lost its mirror
    and read p1).
    ``square_edges`` (with ``centring`` and ``glides``): p4m needs mirrors, not glides,
    along a square cell's edges (`CellSymmetry.support`): a plane-wave p4g whose edges
    obey a glide at 0.999 and a mirror at 0.86 was read p4m at 0.55.
    ``pixel_max_area``: the largest cell (px^2) measured on its pixels. A scan tiled from
    a large cell of fine texture (a third-party generator's 50 x 50 px tiles of filtered
    noise) averages into 24 bins a side that explain half of it, so only its pixels can
    vouch for it (v40: 16,384, cells up to 128 x 128 px; before, 1,024).
    ``pixel_alone_r2``: pixel values that explain at least this much of the scan stand
    for the cell though they confirm no operation (`pixel_cell.confirms`), where the
    averaged cell is not trusted, obeys every turn and mirror under ``pixel_alone_max``
    and the lattice is not hexagonal (whose turns the pixel grid cannot measure): a tile
    of noise that obeys nothing is p1 (its averaged cell, half of the scan explained and
    no operation over 0.31, left the network to read a glide in it), while a pattern
    that nearly obeys what its pixels break keeps its averaged cell (a generator's
    trimmed hexagonal tiles of 24 px: pixels obeying nothing, the averaged 2-fold turn
    0.65-0.87, p6 by the network).
    ``pixel_lattice_r2``: where a trusted cell measured on its pixels explains at least
    this much of the scan, with a shortest vector of ``rescue_min_px`` or more, the
    groups it leaves are read without "none", whether or not the network abstained (no
    lattice seen, or low confidence): the scan repeats exactly, so it has a lattice; the
    answer still abstains below the model's ``abstain_below``.
    ``pixel_repeat``: a cell measured on its pixels takes a translation by half, a third
    or a quarter of it into its lattice only where its pixel values repeat on it at this
    or more, and is a supercell (untrusted) only then; ``max_translation`` stays the bar
    for averaged cells. A tiled scan's pixels repeat exactly; two-tone cmm and p4g pixels
    correlate 0.90-0.94 with themselves half a cell along, and were measured on half the
    cell as pmm and p4m.
    ``hexagonal_turn``: on a hexagonal lattice, where the network reads a group with a 3-
    or 6-fold turn at this probability or more and the cell would leave no such turn, the
    network's answer stands (`keeps_turn`): no 3-fold turn maps pixel centres onto pixel
    centres, and aliased hexagonal cells of 6-11 px average into cells that obey their
    turn at 0.2-0.9.
    """

    tol: float = 0.2
    min_support: float | None = None
    min_r2: float = 0.95
    max_translation: float = 0.9
    centring: bool = False
    judge_lattice: bool = False
    supercells: bool = False
    glides: bool = False
    refit: bool = False
    rescue: float | None = None
    rescue_min_px: float = 0.0
    band_min_r2: float | None = None
    band_gain: float = 0.03
    band_tol: float = 0.2
    agreement_min: float | None = None
    agreement_min_r2: float = 0.0
    agreement_min_px: float = 0.0
    pixel_slack: float | None = None
    pixel_slack_share: float = 0.0
    pixel_exact: float | None = None
    pixel_over_band: bool = False
    footprint_px: float = 0.0
    footprint_hexagonal: bool = True
    footprint_min_px: float = 0.0
    square_edges: bool = False
    pixel_max_area: int = 1024  # (`pixel_cell.MAX_AREA`)
    pixel_alone_r2: float | None = None
    pixel_alone_max: float = 0.5
    pixel_lattice_r2: float | None = None
    pixel_repeat: float | None = None
    hexagonal_turn: float | None = None

    @classmethod
    def from_config(cls, cfg: dict) -> CellCheck:
        return cls(tol=float(cfg.get("tol", 0.2)),
                   min_support=_optional(cfg.get("min_support")),
                   min_r2=float(cfg.get("min_r2", 0.95)),
                   max_translation=float(cfg.get("max_translation", 0.9)),
                   centring=bool(cfg.get("centring", False)),
                   judge_lattice=bool(cfg.get("judge_lattice", False)),
                   supercells=bool(cfg.get("supercells", False)),
                   glides=bool(cfg.get("glides", False)),
                   refit=bool(cfg.get("refit", False)),
                   rescue=_optional(cfg.get("rescue")),
                   rescue_min_px=float(cfg.get("rescue_min_px", 0.0)),
                   band_min_r2=_optional(cfg.get("band_min_r2")),
                   band_gain=float(cfg.get("band_gain", 0.03)),
                   band_tol=float(cfg.get("band_tol", 0.2)),
                   agreement_min=_optional(cfg.get("agreement_min")),
                   agreement_min_r2=float(cfg.get("agreement_min_r2", 0.0)),
                   agreement_min_px=float(cfg.get("agreement_min_px", 0.0)),
                   pixel_slack=_optional(cfg.get("pixel_slack")),
                   pixel_slack_share=float(cfg.get("pixel_slack_share", 0.0)),
                   pixel_exact=_optional(cfg.get("pixel_exact")),
                   pixel_over_band=bool(cfg.get("pixel_over_band", False)),
                   footprint_px=float(cfg.get("footprint_px", 0.0)),
                   footprint_hexagonal=bool(cfg.get("footprint_hexagonal", True)),
                   footprint_min_px=float(cfg.get("footprint_min_px", 0.0)),
                   square_edges=bool(cfg.get("square_edges", False)),
                   pixel_max_area=int(cfg.get("pixel_max_area", 1024)),
                   pixel_alone_r2=_optional(cfg.get("pixel_alone_r2")),
                   pixel_alone_max=float(cfg.get("pixel_alone_max", 0.5)),
                   pixel_lattice_r2=_optional(cfg.get("pixel_lattice_r2")),
                   pixel_repeat=_optional(cfg.get("pixel_repeat")),
                   hexagonal_turn=_optional(cfg.get("hexagonal_turn")))

    def trusts(self, found: CellSymmetry | None) -> bool:
        """Whether ``found`` was measured on a cell good enough to overrule the network."""
        if found is None or self.min_support is None or \
                not found.translation < self.repeat_bar(found.pixels):
            return False
        bar = self.min_r2 if not found.band else self.band_min_r2
        if bar is not None and found.r2 >= bar:
            return True
        # a cell measured on its pixels does not blur: ``agreement_min_px`` is not asked
        return self.agreement_min is not None and found.r2 >= self.agreement_min_r2 and \
            found.agreement >= self.agreement_min and \
            (found.edge_px >= self.agreement_min_px or found.pixels)

    def repeat_bar(self, pixels: bool) -> float:
        """How well a cell may correlate with itself moved by part of it and still be the
        scan's cell, not a supercell: ``pixel_repeat`` for one measured on its pixels
        (where the model sets it), else ``max_translation``."""
        return self.pixel_repeat if pixels and self.pixel_repeat is not None else \
            self.max_translation

    def keeps_turn(self, hexagonal: bool, network: str, p: float, answer: str) -> bool:
        """Whether the network's ``network`` group (its probability ``p`` before the
        cell moved it) stands over the cell's ``answer`` (``hexagonal_turn``): on a
        hexagonal lattice, where the network reads a 3-fold turn at ``hexagonal_turn`` or
        more and the cell's answer has none."""
        return self.hexagonal_turn is not None and hexagonal and \
            p >= self.hexagonal_turn and ROTATION_ORDER[network] in (3, 6) and \
            ROTATION_ORDER[answer] not in (3, 6)

    def pixels_alone(self, on_pixels: CellSymmetry, averaged: CellSymmetry,
                     hexagonal: bool) -> bool:
        """Whether pixel values that confirm no operation still stand for the cell
        (``pixel_alone_r2``, ``pixel_alone_max``): they explain the scan, and its
        untrusted averaged cell obeys nothing either, on a lattice not hexagonal."""
        strongest = max([*averaged.rotations.values(), *averaged.mirrors], default=-1.0)
        return self.pixel_alone_r2 is not None and on_pixels.r2 >= self.pixel_alone_r2 and \
            averaged.r2 < self.min_r2 and strongest < self.pixel_alone_max and not hexagonal

    def repeats_exactly(self, found: CellSymmetry | None) -> bool:
        """Whether ``found`` is a trusted cell of whole pixels that the scan repeats on
        exactly (``pixel_lattice_r2``): a lattice, whatever the network saw."""
        return self.pixel_lattice_r2 is not None and found is not None and found.pixels and \
            found.r2 >= self.pixel_lattice_r2 and found.edge_px >= self.rescue_min_px and \
            self.trusts(found)

    def adjust(self, probs: np.ndarray, found: CellSymmetry | None) -> np.ndarray:
        """``probs`` (17 groups, then "none" where the model has it) with the groups the
        cell contradicts (on pixels, also those lacking an operation they obey at
        ``pixel_exact``) set to zero and the rest renormalised; unchanged where the cell
        is not trusted, or where nothing would be left (p1 needs no operation, so only
        where the network gave every allowed group and "none" no probability at all)."""
        if not self.trusts(found):
            return probs
        support = found.supports(self.centring, self.glides, self.square_edges)
        if self.judge_lattice and not found.band and (found.r2 >= self.min_r2 or found.pixels):
            support = np.nan_to_num(support, nan=-1.0)
        out = probs.copy()
        out[: len(GROUPS)][support < self.min_support] = 0.0  # NaN is not < min_support
        if self.pixel_exact is not None and found.pixels:
            fuller = out.copy()
            fuller[: len(GROUPS)][found.lacking(self.pixel_exact)] = 0.0
            out = fuller if fuller.sum() > 0 else out
        return out / out.sum() if out.sum() > 0 else probs


def _optional(value: object) -> float | None:
    return None if value is None else float(value)
