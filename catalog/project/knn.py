"""The k nearest neighbours of stored vectors, for UMAP's `precomputed_knn`.

Stored vectors are mean-centred and unit-length, so correlation distance = cosine
distance = 1 - dot product, and every stage below is matrix products (BLAS on all
cores) and a top-k of each row; the top-k of wide rows is one small numba kernel kept in
numba's disk cache (`top_k`), so a fresh process is as fast as a warm one, which
pynndescent's uncacheable `nn_descent` is not.

* up to `EXACT_MAX` points: the exact graph, one blocked product;
* above: candidates from a PCA-reduced copy (basis fitted on a sample), re-ranked with
  the full vectors; up to `CELLS_ABOVE` points the candidates are exact in the reduced
  space, above it they come from cells (spherical k-means, `CELL_SIZE` points a cell):
  each cell's points are compared with the points of its `PROBE` nearest cells only, so
  the work grows as n * CELL_SIZE * PROBE instead of n^2. Sorting whole rows of an
  n-wide similarity block was the quadratic part before (issue 17).

Recall against the exact graph is tested (tests/project/test_knn_recall.py) and measured
by benchmarks/project.py. On a GPU (torch) the full product is used at any size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Metrics that are a function of the dot product of our unit, centred vectors.
DOT_METRICS = ("correlation", "cosine", "euclidean")
EXACT_MAX = 4096
CELLS_ABOVE = 16_384
REDUCED_DIM = 96
PCA_SAMPLE = 8192
RERANK_FACTOR = 2
CELL_SIZE = 384
PROBE = 4
KMEANS_ITERATIONS = 5
BLOCK_ROWS = 2048
SCAN_WIDTH = 256  # rows at least this wide: top-k by a compiled scan, not argpartition


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32, mean-centred, unit rows: re-normalize what half precision rounded."""
    x = np.asarray(vectors, dtype=np.float32)
    x = x - x.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def top_k(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's k largest, largest first (ties: the
    earlier column first)."""
    width = similarity.shape[1]
    if width >= SCAN_WIDTH and similarity.dtype == np.float32 and k <= 64:
        return _scan_kernel()(np.ascontiguousarray(similarity), k)
    part = np.argpartition(similarity, width - k, axis=1)[:, width - k:]
    values = np.take_along_axis(similarity, part, axis=1)
    # stable on (-value, column): equal values keep the column order, as the scan does
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)


def _scan_rows(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k largest by one pass keeping a sorted list of k (compiled by numba):
    3-4x faster than `np.argpartition` on rows thousands wide, which was most of the
    kNN time of a 5,000-point re-projection."""
    rows, width = similarity.shape
    indices = np.empty((rows, k), dtype=np.int64)
    values = np.empty((rows, k), dtype=np.float32)
    for r in range(rows):
        count = 0
        for j in range(width):
            v = similarity[r, j]
            if count == k:
                if not v > values[r, k - 1]:
                    continue
                p = k - 1
            else:
                p = count
                count += 1
            while p > 0 and values[r, p - 1] < v:
                values[r, p] = values[r, p - 1]
                indices[r, p] = indices[r, p - 1]
                p -= 1
            values[r, p] = v
            indices[r, p] = j
    return indices, values


_SCAN: Any = None


def _scan_kernel() -> Any:
    """`_scan_rows` compiled on first use (after `symcat.project.warm.prepare` pointed
    numba's disk cache at the data folder, so a new process loads it instead)."""
    global _SCAN
    if _SCAN is None:
        import numba

        _SCAN = numba.njit(cache=True, nogil=True)(_scan_rows)
    return _SCAN


def exact_knn_dot(x: np.ndarray, k: int, *, candidates: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Indices and similarities of each row's k most similar rows (itself included),
    among all rows or among each row's `candidates`."""
    n = len(x)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, BLOCK_ROWS):
        block = x[start:start + BLOCK_ROWS]
        if candidates is None:
            idx, val = top_k(block @ x.T, k)
        else:
            cand = candidates[start:start + BLOCK_ROWS]
            similarity = np.einsum("bd,bcd->bc", block, x[cand])
            local, val = top_k(similarity, k)
            idx = np.take_along_axis(cand, local, axis=1)
        indices[start:start + len(block)] = idx
        sims[start:start + len(block)] = val
    return indices, sims


def reduced(x: np.ndarray, dim: int, seed: int = 0) -> np.ndarray:
    """PCA to `dim` components, the basis from a sample of `PCA_SAMPLE` rows (randomized
    range finder), rows re-normalized."""
    rng = np.random.default_rng(seed)
    sample = x if len(x) <= PCA_SAMPLE else x[rng.choice(len(x), PCA_SAMPLE, replace=False)]
    mean = sample.mean(axis=0, keepdims=True)
    centred = sample - mean
    probe = centred.T @ (centred @ rng.standard_normal((x.shape[1], dim + 16)).astype(
        np.float32))
    basis, _ = np.linalg.qr(probe)
    return _unit((x - mean) @ basis[:, :dim])


def cells(x: np.ndarray, n_cells: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means centres (fitted on a sample) and each row's cell."""
    import scipy.sparse

    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), min(len(x), 40 * n_cells), replace=False)]
    centres = sample[rng.choice(len(sample), n_cells, replace=False)].copy()
    columns = np.arange(len(sample))
    for _ in range(KMEANS_ITERATIONS):
        assign = np.argmax(sample @ centres.T, axis=1)
        members = scipy.sparse.csr_matrix(
            (np.ones(len(sample), dtype=np.float32), (assign, columns)),
            shape=(n_cells, len(sample)))
        sums = np.asarray(members @ sample)
        empty = np.bincount(assign, minlength=n_cells) == 0
        sums[empty] = centres[empty]
        centres = _unit(sums).astype(np.float32)
    assign = np.concatenate([np.argmax(x[s:s + 8192] @ centres.T, axis=1)
                             for s in range(0, len(x), 8192)])
    return centres, assign


def cell_knn_dot(x: np.ndarray, k: int, *, cell_size: int = CELL_SIZE, probe: int = PROBE,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Approximate `exact_knn_dot`: each cell's rows against the rows of its `probe`
    nearest cells (its own included)."""
    n = len(x)
    n_cells = max(1, n // cell_size)
    centres, assign = cells(x, n_cells, seed)
    order = np.argsort(assign, kind="stable")
    bounds = np.searchsorted(assign[order], np.arange(n_cells + 1))
    near, _ = top_k(centres @ centres.T, min(probe, n_cells))
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for cell in range(n_cells):
        members = order[bounds[cell]:bounds[cell + 1]]
        if len(members) == 0:
            continue
        cand = np.concatenate([order[bounds[j]:bounds[j + 1]] for j in near[cell]])
        got = min(k, len(cand))
        local, val = top_k(x[members] @ x[cand].T, got)
        indices[members, :got] = cand[local]
        sims[members, :got] = val
        if got < k:  # too few candidates: pad with the row itself, as far as possible
            indices[members, got:] = members[:, None]
            sims[members, got:] = -1.0
    return indices, sims


def _gpu_knn(x: np.ndarray, k: int, device: str) -> tuple[np.ndarray, np.ndarray]:
    import torch

    data = torch.from_numpy(x).to(device=device, dtype=torch.float16)
    indices, sims = [], []
    for start in range(0, len(x), 4096):
        val, idx = torch.topk(data[start:start + 4096] @ data.T, k, dim=1)
        indices.append(idx.cpu())
        sims.append(val.float().cpu())
    return torch.cat(indices).numpy().astype(np.int64), torch.cat(sims).numpy()


def knn_graph(vectors: np.ndarray, k: int, metric: str = "correlation", *,
              device: str | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(indices, distances) of the k nearest rows of each row, itself first, in `metric`,
    and how they were found."""
    if metric not in DOT_METRICS:
        raise ValueError(f"metric must be one of {DOT_METRICS} for the exact kNN, got {metric!r}")
    x = unit_rows(vectors)
    k = min(k, len(x))
    if device is not None and device != "cpu":
        indices, sims = _gpu_knn(x, k, device)
        method = f"exact-{device}"
    elif len(x) > EXACT_MAX and x.shape[1] > REDUCED_DIM:
        small = reduced(x, REDUCED_DIM)
        wide = min(len(x), RERANK_FACTOR * k)
        if len(x) > CELLS_ABOVE:
            candidates, _ = cell_knn_dot(small, wide)
            method = f"pca{REDUCED_DIM}-cells{CELL_SIZE}x{PROBE}-rerank{wide}"
        else:
            candidates, _ = exact_knn_dot(small, wide)
            method = f"pca{REDUCED_DIM}-rerank{wide}"
        indices, sims = exact_knn_dot(x, k, candidates=candidates)
    else:
        indices, sims = exact_knn_dot(x, k)
        method = "exact"
    sims = np.clip(sims, -1.0, 1.0)
    if metric == "euclidean":
        distances = np.sqrt(np.maximum(2.0 - 2.0 * sims, 0.0))
    else:
        distances = np.maximum(1.0 - sims, 0.0)
    # A point is its own nearest neighbour at distance 0 (UMAP expects that).
    distances[:, 0] = np.where(indices[:, 0] == np.arange(len(x)), 0.0, distances[:, 0])
    return indices, distances.astype(np.float32), {"knn": method, "k": k}
