"""Exact k nearest neighbours of stored vectors, for UMAP's `precomputed_knn`.

Stored vectors are mean-centred and unit-length, so correlation distance = cosine
distance = 1 - dot product, and the whole kNN graph is a blocked matrix product: exact,
no index to build, and no numba compilation (UMAP's own nearest-neighbour descent is
the largest part of its first-call cost). Above `REDUCE_ABOVE` points the full product
grows as n^2 * dim, so candidates come from a PCA-reduced copy and are re-ranked with
the full vectors (recall is measured in benchmarks/project.py). On a GPU (torch) the
full product is used at any size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Metrics that are a function of the dot product of our unit, centred vectors.
DOT_METRICS = ("correlation", "cosine", "euclidean")
REDUCE_ABOVE = 12_000
REDUCED_DIM = 96
RERANK_FACTOR = 4
BLOCK_ROWS = 2048


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32, mean-centred, unit rows: re-normalize what half precision rounded."""
    x = np.asarray(vectors, dtype=np.float32)
    x = x - x.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _top_k(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    part = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(similarity, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)


def exact_knn_dot(x: np.ndarray, k: int, *, candidates: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Indices and similarities of each row's k most similar rows (itself included)."""
    n = len(x)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, BLOCK_ROWS):
        block = x[start:start + BLOCK_ROWS]
        if candidates is None:
            similarity = block @ x.T
            idx, val = _top_k(similarity, k)
        else:
            cand = candidates[start:start + BLOCK_ROWS]
            similarity = np.einsum("bd,bcd->bc", block, x[cand])
            local, val = _top_k(similarity, k)
            idx = np.take_along_axis(cand, local, axis=1)
        indices[start:start + len(block)] = idx
        sims[start:start + len(block)] = val
    return indices, sims


def _reduced(x: np.ndarray, dim: int) -> np.ndarray:
    """PCA to `dim` components (randomized range finder), rows re-normalized."""
    rng = np.random.default_rng(0)
    centred = x - x.mean(axis=0, keepdims=True)
    probe = centred.T @ (centred @ rng.standard_normal((x.shape[1], dim + 16)).astype(
        np.float32))
    basis, _ = np.linalg.qr(probe)
    return unit_rows(centred @ basis[:, :dim])


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
    elif len(x) > REDUCE_ABOVE and x.shape[1] > REDUCED_DIM:
        small = _reduced(x, REDUCED_DIM)
        wide = min(len(x), RERANK_FACTOR * k)
        candidates, _ = exact_knn_dot(small, wide)
        indices, sims = exact_knn_dot(x, k, candidates=candidates)
        method = f"pca{REDUCED_DIM}-rerank{wide}"
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
