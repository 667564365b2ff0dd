"""`symcat_search_code` in numpy, for the simulations that size the compact passes.

Each coordinate of a unit vector falls in one of four quartile levels (below
-0.674/sqrt(d), below 0, below +0.674/sqrt(d), above); the L1 distance of two vectors'
levels is the Hamming distance of their codes in PostgreSQL, so the listed pass's stop
rule (`symcat.store.search_lists`) and the selective pass's rule
(`symcat.store.selective_rule`) rank rows exactly as the SQL does.
"""

from __future__ import annotations

import numpy as np

QUARTILE_Z = 0.674  # the standard normal's upper quartile
BATCH = 20_000  # vectors a numpy product takes at once


def level_step(dim: int) -> float:
    """The outer level boundary for `dim`-dimensional unit vectors."""
    return QUARTILE_Z / np.sqrt(dim)


def levels(x: np.ndarray, step: float) -> np.ndarray:
    """Each coordinate's level 0-3."""
    return ((x > -step).astype(np.int8) + (x > 0) + (x > step)).astype(np.int8)


def dots(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    """`vectors @ q` in float32, a batch at a time (the vectors may be float16)."""
    return np.concatenate([vectors[s:s + BATCH].astype(np.float32) @ q
                           for s in range(0, len(vectors), BATCH)])
