"""UMAP on a GPU with torch: exact kNN by matrix products, umap's own fuzzy graph, and the
layout's stochastic gradient descent as batched tensor updates.

cuML is not available offline; umap-learn's layout runs on the CPU, single-threaded
once seeded, which is about two minutes for 2^19 points. This keeps umap's objective
(the same graph, the same a/b curve, edge sampling by weight, 5 negative samples per
positive, clipped gradients, linearly decaying learning rate) but applies each epoch's
updates at once, as cuML does, instead of one edge at a time.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from symcat.project.knn import knn_graph
from symcat.project.layout import ProjectParams, load_umap

NEGATIVE_SAMPLES = 5
CLIP = 4.0


def _pca_init(x: Any, torch: Any) -> Any:
    """First two principal components, scaled to [0, 10] like umap's initialisations."""
    centred = x.float() - x.float().mean(dim=0, keepdim=True)
    _, _, v = torch.pca_lowrank(centred, q=2, center=False, niter=4)
    init = centred @ v[:, :2]
    init = init - init.min(dim=0).values
    return 10.0 * init / init.max().clamp_min(1e-12)


def _scaled(start: np.ndarray, torch: Any, device: str) -> Any:
    """A given start (the parent map's coordinates) scaled to [0, 10] as umap does."""
    y = torch.from_numpy(np.asarray(start, dtype=np.float32)).to(device)
    y = y - y.min(dim=0).values
    return 10.0 * y / y.max(dim=0).values.clamp_min(1e-12)


def gpu_layout(vectors: np.ndarray, params: ProjectParams, *, device: str = "cuda",
               start: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Coordinates of `vectors` (params resolved) computed on `device`, from `start` (the
    parent map's coordinates) when params.init is "parent"."""
    import torch

    umap = load_umap()
    from umap.umap_ import find_ab_params, fuzzy_simplicial_set

    started = time.perf_counter()
    indices, distances, info = knn_graph(vectors, params.n_neighbors, params.metric,
                                         device=device)
    knn_s = time.perf_counter() - started
    graph, _, _ = fuzzy_simplicial_set(
        np.empty((len(vectors), 1), dtype=np.float32), params.n_neighbors,
        np.random.RandomState(params.random_state), "euclidean",
        knn_indices=indices, knn_dists=distances,
    )[:3]
    graph = graph.tocoo()
    graph_s = time.perf_counter() - started - knn_s
    epochs = int(params.n_epochs or 200)
    keep = graph.data >= graph.data.max() / float(epochs)
    gen = torch.Generator(device=device).manual_seed(int(params.random_state or 0))
    head = torch.from_numpy(graph.row[keep].astype(np.int64)).to(device)
    tail = torch.from_numpy(graph.col[keep].astype(np.int64)).to(device)
    weight = torch.from_numpy((graph.data[keep] / graph.data.max()).astype(np.float32)).to(device)
    a, b = (float(v) for v in find_ab_params(1.0, params.min_dist))
    x = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)).to(device)
    y = _scaled(start, torch, device) if params.init == "parent" and start is not None \
        else _pca_init(x, torch)
    del x
    n = y.shape[0]
    for epoch in range(epochs):
        alpha = 1.0 - epoch / epochs
        chosen = torch.rand(weight.shape, generator=gen, device=device) < weight
        i, j = head[chosen], tail[chosen]
        diff = y[i] - y[j]
        d2 = (diff * diff).sum(dim=1, keepdim=True)
        attract = (-2.0 * a * b * d2.pow(b - 1.0)) / (a * d2.pow(b) + 1.0)
        attract = torch.where(d2 > 0, attract, torch.zeros_like(attract))
        grad = (attract * diff).clamp(-CLIP, CLIP) * alpha
        update = torch.zeros_like(y)
        update.index_add_(0, i, grad)
        update.index_add_(0, j, -grad)
        neg_i = i.repeat_interleave(NEGATIVE_SAMPLES)
        neg_j = torch.randint(0, n, neg_i.shape, generator=gen, device=device)
        diff = y[neg_i] - y[neg_j]
        d2 = (diff * diff).sum(dim=1, keepdim=True)
        repel = (2.0 * b) / ((0.001 + d2) * (a * d2.pow(b) + 1.0))
        grad = (repel * diff).clamp(-CLIP, CLIP) * alpha
        grad = torch.where(neg_i[:, None] == neg_j[:, None], torch.zeros_like(grad), grad)
        update.index_add_(0, neg_i, grad)
        y += update
    coords = y.cpu().numpy().astype(np.float32)
    total = time.perf_counter() - started
    return coords, {**info, "layout": f"torch-{device}", "umap": umap.__version__,
                    "knn_s": round(knn_s, 3), "graph_s": round(graph_s, 3),
                    "layout_s": round(total - knn_s - graph_s, 3)}
