"""Shared by the symmetry version tests: scans tiled from a cell of fine texture, as
tile-based wallpaper generators draw them (our own construction)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def fine_texture_scan(group: str, seed: int, edge: int = 50, size: int = 500) -> np.ndarray:
    """A ``size`` px scan tiled from an ``edge`` px cell of band-passed noise (most of its
    power near the pixels' own scale) made symmetric under ``group``'s operations (p1, p2,
    pm or pmm): the averaged cell, 24 bins a side, explains about half of a 50 px one."""
    t = np.random.default_rng(seed).random((edge, edge))
    t = ndimage.gaussian_filter(t, 0.7, mode="wrap") - ndimage.gaussian_filter(t, 3, mode="wrap")
    images = {"p1": [t], "p2": [t, np.rot90(t, 2)], "pm": [t, np.fliplr(t)],
              "pmm": [t, np.fliplr(t), np.flipud(t), np.rot90(t, 2)]}[group]
    n = -(-size // edge)
    return np.tile(sum(images) / len(images), (n, n))[:size, :size]
