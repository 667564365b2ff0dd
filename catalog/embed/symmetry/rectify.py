"""A scan's lattice brought back to the shape its symmetry needs, by moving its pixels
along the rows.

A probe scans line by line, and what distorts a scan keeps its lines as lines: a fast
axis whose gain is a few percent off, a slow axis whose line spacing is not the fast
axis's pixel width, and drift or creep that shifts every line along the fast axis by an
amount growing with its row (a shear). Together that is an affine map that moves a
pixel at (x, y) to (a x + b y, d y). A square lattice so scanned has edges up to a
tenth apart and an angle a few degrees off 90; the averaged cell, measured on the
scan's pixels, then obeys its 4-fold turn and mirrors only as far as that, and the
reading loses them (p4m read pmm, p3m1 read p3, cm or pm read p1, pmm read p2).

`Rectify.map_for` compares the lattice found with the nearest lattice of more symmetry,
in this order: square, hexagonal, rectangular, rhombic (centred rectangular with equal
edges), centred rectangular (the second vector's projection on the first half its
length). Where it lies within the tolerances of one, the map of that form (rows kept
as rows) that makes it that lattice exactly is returned, and `Rectify.warp` resamples
the scan by it (bilinear; the rectangle every output pixel of which comes from the
scan). The extractor reads the scan both ways and keeps the surer reading, so a
pattern whose lattice only happens to lie near a more symmetric one keeps its own
answer where that is the surer (benchmarks/RESULTS.md, "symcat_symmetry.v38"); from v39
on, a first reading that abstained is answered by the resampled one only where that is
sure (`Rectify.answer_min_p`: squaring a rectangle near square makes a square pattern of
it; "symcat_symmetry.v39").

Numpy and scipy only; never raises on bad values (no map, or no picture, instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from symcat.embed.symmetry.lattice import Lattice, reduced


@dataclass(frozen=True)
class Rectify:
    """Tolerances for calling a lattice a distorted lattice of more symmetry (a model's
    setting, named in its config.json as ``rectify``).

    ``max_ratio``: the reduced cell's longer edge over its shorter, for square, hexagonal
    and rhombic; ``max_degrees``: the angle between the edges off 90 (square,
    rectangular) or 60 (hexagonal); ``centred_slack``: the second vector's projection on
    the first off half its length; ``min_change``: a map within this of the identity
    (largest entry of their difference) leaves nothing to do; ``min_side``: a resampled
    scan narrower than this (px) is not read; ``max_pixels``: a larger scan is not read again
    (memory, as the cleaning steps bound theirs); ``answer_min_p``: where the first reading
    abstained, the resampled reading's answer is taken only at this probability or more
    (v39: squaring a rectangle near square makes a square pattern of it, and that reading
    is rarely sure; 0, v38: the surer reading, whatever its probability).
    """

    max_ratio: float = 1.2
    max_degrees: float = 8.0
    centred_slack: float = 0.07
    min_change: float = 0.01
    min_side: int = 32
    max_pixels: int = 1 << 24  # 4096 x 4096: the resampled copy stays under 130 MB
    answer_min_p: float = 0.0

    @classmethod
    def from_config(cls, cfg: dict) -> Rectify:
        return cls(max_ratio=float(cfg.get("max_ratio", 1.2)),
                   max_degrees=float(cfg.get("max_degrees", 8.0)),
                   centred_slack=float(cfg.get("centred_slack", 0.07)),
                   min_change=float(cfg.get("min_change", 0.01)),
                   min_side=int(cfg.get("min_side", 32)),
                   answer_min_p=float(cfg.get("answer_min_p", 0.0)))

    def target(self, lat: Lattice) -> tuple[np.ndarray, np.ndarray, str] | None:
        """The reduced basis of ``lat`` (2 x 2, columns a and b, in px: x, y) and the basis
        of the nearest more symmetric lattice within the tolerances (the same area for
        square, hexagonal and rhombic; a kept along its direction), with its kind; None
        where no lattice was found or none is near."""
        if not lat.found:
            return None
        a, b = np.array(lat.a1, float), np.array(lat.a2, float)
        area = abs(float(a[0] * b[1] - a[1] * b[0]))
        if not (np.isfinite(a).all() and np.isfinite(b).all() and area > 1e-9):
            return None  # no two independent vectors: nothing to compare
        a, b = reduced(a, b)
        la, lb = float(np.hypot(*a)), float(np.hypot(*b))
        if a @ b < 0:
            b = -b  # the angle between them in [60, 90]
        gamma = math.degrees(math.acos(max(-1.0, min(1.0, float(a @ b) / (la * lb)))))
        ratio = lb / la
        side = math.sqrt(la * lb)
        if ratio <= self.max_ratio and abs(gamma - 90) <= self.max_degrees:
            shape, kind = (side, side, 90.0), "square"
        elif ratio <= self.max_ratio and abs(gamma - 60) <= self.max_degrees:
            shape, kind = (side, side, 60.0), "hexagonal"
        elif abs(gamma - 90) <= self.max_degrees:
            shape, kind = (la, lb, 90.0), "rectangular"
        elif ratio <= self.max_ratio:
            shape, kind = (side, side, gamma), "rhombic"
        elif abs(float(a @ b) / (la * la) - 0.5) <= self.centred_slack:
            height = math.sqrt(max(lb * lb - (float(a @ b) / la) ** 2, 0.0))
            shape = (la, math.hypot(la / 2, height), math.degrees(math.atan2(height, la / 2)))
            kind = "centred"
        else:
            return None
        ua = a / la
        normal = np.array([-ua[1], ua[0]])
        turn = 1.0 if normal @ b > 0 else -1.0  # b stays on its side of a
        g = math.radians(shape[2])
        ta = shape[0] * ua
        tb = shape[1] * (math.cos(g) * ua + turn * math.sin(g) * normal)
        return np.column_stack([a, b]), np.column_stack([ta, tb]), kind

    def map_for(self, lat: Lattice) -> tuple[np.ndarray, str] | None:
        """The map ``[[a, b], [0, d]]`` (x, y in px; a, d > 0) that takes ``lat`` onto the
        nearest more symmetric lattice (turned as that needs), and its kind; None where
        there is none near or the map is within ``min_change`` of the identity."""
        found = self.target(lat)
        if found is None:
            return None
        basis, want, kind = found
        try:
            whole = want @ np.linalg.inv(basis)
        except np.linalg.LinAlgError:
            return None
        # whole = Q R: turning by Q^T, the map R keeps rows as rows
        _, r = np.linalg.qr(whole)
        r = np.diag(np.sign(np.diag(r))) @ r
        if not np.isfinite(r).all() or r[0, 0] <= 0 or r[1, 1] <= 0:
            return None
        if float(np.abs(r - np.eye(2)).max()) < self.min_change:
            return None
        return r, kind

    def warp(self, grey: np.ndarray, matrix: np.ndarray) -> np.ndarray | None:
        """``grey`` resampled by ``matrix`` (`map_for`'s), bilinear, cut to the rectangle
        whose every pixel comes from inside the scan; None where that is narrower than
        ``min_side``, or the scan has no pixels or more than ``max_pixels``."""
        from scipy import ndimage

        img = np.asarray(grey, dtype=np.float64)
        if img.ndim != 2 or img.size == 0 or img.size > self.max_pixels:
            return None
        h, w = img.shape
        a, b, d = float(matrix[0, 0]), float(matrix[0, 1]), float(matrix[1, 1])
        rows = int(math.floor(d * (h - 1) + 1e-9)) + 1
        slope = b / d  # how far a row's pixels move along x per row
        start = max(0.0, slope * (rows - 1))
        stop = a * (w - 1) + min(0.0, slope * (rows - 1))
        cols = int(math.floor(stop - start + 1e-9)) + 1
        if min(rows, cols) < self.min_side:
            return None
        # output (r, c) <- scan (r / d, (c + start - slope * r) / a), as (row, col)
        inverse = np.array([[1.0 / d, 0.0], [-slope / a, 1.0 / a]])
        out = ndimage.affine_transform(img, inverse, offset=(0.0, start / a),
                                       output_shape=(rows, cols), order=1, mode="nearest")
        return out.astype(np.float32)

    @staticmethod
    def back(lat: Lattice, matrix: np.ndarray) -> Lattice:
        """A lattice found on the resampled scan, in the scan's own pixels."""
        if not lat.found:
            return lat
        inverse = np.linalg.inv(matrix)
        a1, a2 = inverse @ np.array(lat.a1, float), inverse @ np.array(lat.a2, float)
        return replace(lat, a1=(float(a1[0]), float(a1[1])), a2=(float(a2[0]), float(a2[1])))


__all__ = ["Rectify"]
