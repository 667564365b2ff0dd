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

    def support(self, group: str, centring: bool = False) -> float:
        """How well the weakest operation ``group`` needs holds; NaN where the lattice does
        not admit one of them (whether that contradicts the group is `CellCheck`'s call:
        ``judge_lattice``).

        ``centring``: the rectangular groups count only mirrors of their kind
        (`MIRROR_KIND`): a pmm pattern has no mirror along a centred lattice's diagonals,
        so where the lattice admits mirrors but none of the group's kind, the group is
        contradicted (-1), which point operations alone cannot see (pmm against cmm).
        Without measured kinds (``mirror_kinds`` empty) as without ``centring``.
        """
        need = [self.rotations.get(n, math.nan) for n in IMPLIED[ROTATION_ORDER[group]]]
        m = MIRROR_DIRECTIONS[group]
        mirrors = self.mirrors
        if centring and group in MIRROR_KIND and self.mirror_kinds:
            mirrors = tuple(c for c, k in zip(self.mirrors, self.mirror_kinds, strict=True)
                            if k == MIRROR_KIND[group])
            need.append(mirrors[m - 1] if len(mirrors) >= m else -1.0)
        elif m:
            need.append(mirrors[m - 1] if len(mirrors) >= m else math.nan)
        return math.nan if any(math.isnan(x) for x in need) else min(need, default=1.0)

    def supports(self, centring: bool = False) -> np.ndarray:
        """`support` of every plane group, in `GROUPS` order."""
        return np.array([self.support(g, centring) for g in GROUPS])


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


def mirror_index(m: np.ndarray) -> int:
    """Index in the lattice of the vectors along the mirror plus those across it: 1 where
    the lattice has a basis along and across the mirror (a primitive rectangular cell, as
    pm, pg, pmm, pmg and pgg need), 2 where only a centred one (cm, cmm); 0 where ``m``
    (cell coordinates) is no involution."""
    a, b, c, d = (int(round(x)) for x in m.ravel())
    if a * a + b * c != 1 or a * b + b * d != 0 or c * a + d * c != 0 or c * b + d * d != 1:
        return 0
    along = _primitive((b, 1 - a) if (b, 1 - a) != (0, 0) else (1 - d, c))
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


def best_correlation(cell: np.ndarray, moved: np.ndarray) -> float:
    """Largest Pearson correlation of ``cell`` with ``moved`` over translations, the
    translations interpolated to 1/UPSAMPLE of a bin (zero-padded cross-spectrum)."""
    s, t = _standard(cell), _standard(moved)
    if s is None or t is None:
        return math.nan
    n = cell.shape[0]
    spec = np.fft.fftshift(np.conj(np.fft.fft2(s)) * np.fft.fft2(t))
    big = n * UPSAMPLE
    pad = np.zeros((big, big), complex)
    lo = (big - n) // 2
    pad[lo : lo + n, lo : lo + n] = spec
    cc = np.fft.ifft2(np.fft.ifftshift(pad)).real * (big * big) / (n * n) / (n * n)
    return float(cc.max())


def measure(average: np.ndarray, reciprocal: np.ndarray, tol: float = 0.2,
            r2: float = math.nan) -> CellSymmetry:
    """`CellSymmetry` of an averaged cell (square grid over the cell in the basis of
    ``reciprocal``'s rows, as `symcat.embed.symmetry.motif.Cell.average`)."""
    rotations, mirrors = admitted(reciprocal, tol)
    rot = {n: best_correlation(average, _moved(average, m)) for n, m in rotations.items()}
    mir = sorted(((best_correlation(average, _moved(average, m)), mirror_index(m))
                  for _, m in mirrors), key=lambda t: t[0], reverse=True)
    mir = [(c, k) for c, k in mir if not math.isnan(c)]
    return CellSymmetry(rot, tuple(c for c, _ in mir), r2, subcell_translation(average),
                        tuple(k for _, k in mir))


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
    kind of mirror is not the pattern's.
    """

    tol: float = 0.2
    min_support: float | None = None
    min_r2: float = 0.95
    max_translation: float = 0.9
    centring: bool = False
    judge_lattice: bool = False
    supercells: bool = False

    @classmethod
    def from_config(cls, cfg: dict) -> CellCheck:
        ms = cfg.get("min_support")
        return cls(tol=float(cfg.get("tol", 0.2)),
                   min_support=None if ms is None else float(ms),
                   min_r2=float(cfg.get("min_r2", 0.95)),
                   max_translation=float(cfg.get("max_translation", 0.9)),
                   centring=bool(cfg.get("centring", False)),
                   judge_lattice=bool(cfg.get("judge_lattice", False)),
                   supercells=bool(cfg.get("supercells", False)))

    def trusts(self, found: CellSymmetry | None) -> bool:
        """Whether ``found`` was measured on a cell good enough to overrule the network."""
        return (found is not None and self.min_support is not None
                and found.r2 >= self.min_r2 and found.translation < self.max_translation)

    def adjust(self, probs: np.ndarray, found: CellSymmetry | None) -> np.ndarray:
        """``probs`` (17 groups, then "none" where the model has it) with the groups the
        cell contradicts set to zero and the rest renormalised; unchanged where the cell
        is not trusted, or where nothing would be left (p1 needs no operation, so only
        where the network gave every allowed group and "none" no probability at all)."""
        if not self.trusts(found):
            return probs
        support = found.supports(self.centring)
        if self.judge_lattice:
            support = np.nan_to_num(support, nan=-1.0)
        out = probs.copy()
        out[: len(GROUPS)][support < self.min_support] = 0.0  # NaN is not < min_support
        return out / out.sum() if out.sum() > 0 else probs
