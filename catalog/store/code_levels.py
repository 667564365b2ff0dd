"""`symcat_search_code` and the passes' code ranking in numpy, for the simulations that
size the compact passes.

Each coordinate of a unit vector falls in one of four quartile levels (below
-0.674/sqrt(d), below 0, below +0.674/sqrt(d), above), thermometer-coded in 3 bits.

The passes rank a row by the dot product of the *query itself* with the row's levels
(an asymmetric distance), not by the L1 distance between the query's levels and the
row's (the Hamming distance of the two codes): quantizing only the stored side keeps
the query's own precision, which is what separates rows that are all far from it (a
filter excluding its neighbourhood). On 200k isotropic vectors, a far filter's top 10
were 96.5% among the 400 best by this score against 69% by Hamming distance (91.5% at
2,500); on embedding-like vectors 97% at 200 against 90.5% (`benchmarks/code_ranking.py`).
The query is quantized to QUERY_BITS bits a coordinate on a grid symmetric about zero
(at 400: 0.965 with 4 bits, 0.91 with 3, 0.705 with 2; float: 0.97), so that PostgreSQL
computes the score from pgvector's Hamming distances alone
(`symcat.query.compact.code_distance`), and `code_scores` ranks rows exactly as that
SQL does, for the listed pass's stop rule (`symcat.store.search_lists`) and the
selective pass's rule (`symcat.store.selective_rule`).
"""

from __future__ import annotations

import numpy as np

QUARTILE_Z = 0.674  # the standard normal's upper quartile
BATCH = 20_000  # vectors a numpy product takes at once
QUERY_BITS = 4  # the query's quantization: one Hamming distance a bit plane in SQL
CODE_BITS = 3  # bits a coordinate of the stored code (thermometer of 4 levels)
# Recorded with every rule and calibration of the passes: those measured before it (by
# Hamming distance, no such key) are measured again when the model's index is ensured
# (`symcat.embed.run.ensure_index`).
RANKING = f"query{QUERY_BITS}-symmetric"


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


def query_quantized(q: np.ndarray, bits: int = QUERY_BITS
                    ) -> tuple[np.ndarray, float, float]:
    """(u, low, step): the query as integers 0..2**bits-1 on a uniform grid symmetric
    about zero, q ~ low + step * u with low = -max|q| (symmetric, so that the SQL score
    needs no term for the row's own level sum: one Hamming distance fewer)."""
    q = np.asarray(q, dtype=np.float32).ravel()
    top = max(float(np.abs(q).max()), 1e-12)
    step = 2 * top / (2 ** bits - 1)
    return np.rint((q + top) / step).astype(np.int64), -top, step


def code_scores(row_levels: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each row's distance by code to the query, lower is nearer: minus the dot product
    of the quantized query with the row's levels (the order of the SQL score)."""
    u, low, step = query_quantized(q)
    return -(row_levels.astype(np.float32) @ (low + step * u).astype(np.float32))
