"""A wallpaper-group generator written apart from training's, for evaluation only.

Training renders motifs on a fractional grid (training/symmetry/generate.py). This one
evaluates a continuous "glyph" motif (a few strokes: line segments with round ends,
never used in training) at every pixel's fractional coordinates and sums it over the
group's operations, so the pattern is exactly invariant without any grid. It shares
only the operation table (symcat.embed.symmetry.groups: the ITA definitions). Whole
images at 192 to 512 px with 2 to 50 cells across, any orientation; optional
distortions (non-square pixels, shear, drift, line offsets, missing lines, noise).
"""

from __future__ import annotations

import math

import numpy as np

from symcat.embed.symmetry.groups import GROUPS, LATTICE, operations


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


def render(group: str, size: int, cells: float, rng: np.random.Generator,
           distort: bool, samples: int = 1) -> np.ndarray:
    """One ``(size, size)`` float image in [0, 1] of ``group`` with ``cells`` across, its
    motif sampled at each pixel's centre (``samples`` > 1: the mean of samples x samples
    points per pixel, band-limited as a probe's image is; the same draws otherwise)."""
    basis = lattice_basis(group, size / cells, rng)
    n_strokes = int(rng.integers(2, 5))
    strokes = [(rng.uniform(0, 1, 2), rng.uniform(0, 1, 2) * 0.5, rng.uniform(0.5, 1.0)
                * rng.choice([-1, 1])) for _ in range(n_strokes)]
    strokes = [(p0, p0 + d, a) for p0, d, a in strokes]
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
    field = np.zeros((side, side))
    width = rng.uniform(0.03, 0.07)
    for op in operations(group):
        m = np.array(op.matrix, dtype=float)
        t = np.array([float(x) for x in op.shift])
        field += glyph(np.einsum("ij,jhw->ihw", m, u) + t[:, None, None], strokes, width)
    if samples > 1:
        field = field.reshape(size, samples, size, samples).mean((1, 3))
    img = (field - field.min()) / (np.ptp(field) + 1e-12)
    if distort:
        img = img + rng.normal(0, rng.uniform(0, 0.05), (size, 1))  # line offsets
        miss = rng.uniform(size=size) < rng.uniform(0, 0.03)
        img[miss] = img.mean()
        img = img + rng.normal(0, rng.uniform(0.01, 0.08), img.shape)
    return img.astype(np.float32)


def dataset(n_per_bin: int, seed: int, bins: tuple[tuple[float, float], ...],
            distort_frac: float = 0.5) -> list[dict]:
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
                          "bin": f"{lo:g}-{hi:g}", "seed": int(rng.integers(1 << 31))})
    return items


def make(item: dict) -> np.ndarray:
    rng = np.random.default_rng(item["seed"])
    return render(item["group"], item["size"], item["cells"], rng, item["distort"])
