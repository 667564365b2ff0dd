"""The approximate kNN graph behind projections keeps its recall against the exact graph.

Floors (stated in docs/projections.md and catalog/project/knn.py):
* embedding-like vectors (clusters on a low-dimensional manifold, as our extractors give),
  above `CELLS_ABOVE` points: recall@k of the full pipeline (PCA, cells, re-rank) >= 0.95;
* the cell search alone against the exact search in the same (reduced) space: >= 0.97;
* isotropic clusters (the projection benchmark's data, where neighbours inside a cluster
  are nearly equidistant and no method can tell them apart): every neighbour found lies
  in the query's own cluster for >= 99% of the points.
"""

from __future__ import annotations

import numpy as np
import pytest

from symcat.project import knn

K = 5


def _embedding_like(n: int, dim: int = 256, latent: int = 12, clusters: int = 40,
                    seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, latent)) * 3.0
    labels = rng.integers(0, clusters, n)
    z = centres[labels] + rng.standard_normal((n, latent))
    mixing = rng.standard_normal((latent, dim))
    x = np.tanh(z @ mixing / np.sqrt(latent)) + 0.05 * rng.standard_normal((n, dim))
    return x.astype(np.float32)


def _isotropic(n: int, dim: int = 1024, clusters: int = 30, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32) * 1.2
    labels = rng.integers(0, clusters, n)
    return centres[labels] + rng.standard_normal((n, dim), dtype=np.float32), labels


def _recall(found: np.ndarray, x: np.ndarray, queries: np.ndarray) -> float:
    exact = np.argsort(-(x[queries] @ x.T), axis=1)[:, :K]
    return float(np.mean([len(set(found[q]) & set(e)) / K for q, e in zip(queries, exact,
                                                                           strict=True)]))


def test_pipeline_recall_on_embedding_like_vectors() -> None:
    x = _embedding_like(knn.CELLS_ABOVE + 3000)
    indices, distances, info = knn.knn_graph(x, K)
    assert "cells" in info["knn"]
    queries = np.random.default_rng(1).choice(len(x), 300, replace=False)
    assert _recall(indices, knn.unit_rows(x), queries) >= 0.95
    # itself first at distance 0, distances ascending
    assert (indices[:, 0] == np.arange(len(x))).mean() > 0.99
    assert (np.diff(distances, axis=1) >= -1e-6).all()


def test_cell_search_recall_against_exact_in_the_same_space() -> None:
    small = knn.reduced(knn.unit_rows(_embedding_like(12_000, seed=3)), knn.REDUCED_DIM)
    found, _ = knn.cell_knn_dot(small, 20)
    queries = np.random.default_rng(2).choice(len(small), 300, replace=False)
    exact = np.argsort(-(small[queries] @ small.T), axis=1)[:, :20]
    recall = np.mean([len(set(found[q]) & set(e)) / 20 for q, e in zip(queries, exact,
                                                                        strict=True)])
    assert recall >= 0.97


@pytest.mark.parametrize("n", [6000, knn.CELLS_ABOVE + 2000])
def test_neighbours_stay_in_their_cluster_on_isotropic_vectors(n: int) -> None:
    x, labels = _isotropic(n)
    indices, _, info = knn.knn_graph(x, K)
    assert info["knn"] != "exact"
    same = (labels[indices] == labels[:, None]).all(axis=1)
    assert same.mean() >= 0.99


def test_small_catalogs_are_exact() -> None:
    x = _embedding_like(500)
    indices, _, info = knn.knn_graph(x, K)
    assert info["knn"] == "exact"
    assert _recall(indices, knn.unit_rows(x), np.arange(500)) == 1.0


def test_top_k_scan_agrees_with_a_full_sort() -> None:
    """The compiled scan (wide rows) and argpartition (narrow rows) give each row's k
    largest, largest first, equal values in column order, as a full sort does."""
    from symcat.project.knn import SCAN_WIDTH, top_k

    rng = np.random.default_rng(3)
    for width in (SCAN_WIDTH - 1, SCAN_WIDTH, 3 * SCAN_WIDTH + 5):
        s = np.round(rng.standard_normal((50, width)), 1).astype(np.float32)  # many ties
        s[:, 7] = 9.0  # a tie at the top, columns 7 and 8
        s[:, 8] = 9.0
        idx, val = top_k(s, 6)
        full = np.lexsort((np.broadcast_to(np.arange(width), s.shape), -s), axis=1)[:, :6]
        np.testing.assert_array_equal(val, np.take_along_axis(s, full, axis=1))
        assert (idx[:, :2] == [7, 8]).all()
        np.testing.assert_array_equal(np.take_along_axis(s, idx, axis=1), val)
