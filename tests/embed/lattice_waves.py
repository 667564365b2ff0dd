"""A smooth test pattern of a known lattice, shared by the symmetry version tests."""

from __future__ import annotations

import math

import numpy as np


def waves(basis: np.ndarray, size: int = 256) -> np.ndarray:
    """A smooth pattern of the lattice with columns ``basis`` (px): a few low orders."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float) + 0.5
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(basis), np.stack([xx, yy]))
    out = np.zeros((size, size))
    for (m, n), amp, phase in (((1, 0), 1.0, 0.3), ((0, 1), 0.8, 1.1), ((1, 1), 0.6, 2.0),
                               ((2, -1), 0.4, 0.7), ((1, 2), 0.3, 2.9)):
        out += amp * np.cos(2 * math.pi * (m * u[0] + n * u[1]) + phase)
    return (out - out.min()) / np.ptp(out)
