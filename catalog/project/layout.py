"""Vectors + their kNN graph -> 2-D coordinates, with umap-learn (the `project` extra).

`ProjectParams` holds the request as the user gave it (its `repr` lists changed values
only and is part of the cache key); `resolved` fixes what the library would otherwise
choose at random or by size (seed, epochs), so the stored parameters reproduce the map.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'symcat[project]'"
METRICS = ("correlation", "cosine", "euclidean")
INITS = ("spectral", "pca", "random", "parent")
# UMAP's own default is 500 epochs below 10k points and 200 above. On our vectors 50 epochs
# give the trustworthiness of 100, 200 and 500 at every size measured (1k: 0.978 / 0.977,
# 2k: 0.989 / 0.989, 5k: 0.987 / 0.987, 10k: 0.986 / 0.986, 2^15: 0.9876 / 0.9872; 50 / 100)
# at half the layout time of 100 (benchmarks/RESULTS.md, issue 17).
DEFAULT_EPOCHS = 50
# The GPU layout (symcat.project.gpu) applies each epoch's updates as one batch, so it
# needs more epochs than umap's sequential descent: at 2^19 points trustworthiness was
# 0.986 with 200 epochs (2026-11-21) and 0.88 with 50 (2026-11-30; 0.85-0.88 from 2^16
# up), measured on the H200 (benchmarks/RESULTS.md, issue 17).
GPU_EPOCHS = 200
# A re-projection of a selection starts from its points' places on the parent map
# (init="parent"), already close to a good layout of them: 25 epochs from there gave
# the trustworthiness of 50 from a PCA start (5,000 and 2,000 of 8,000 clustered points:
# within 0.0006; 10 epochs lost up to 0.014), at half the layout time
# (benchmarks/child_projection.py, RESULTS.md, issue 17).
CHILD_EPOCHS = 25
INIT_SAMPLE = 8192


def default_epochs(n_points: int | None, init: str = "pca") -> int:
    """Epochs when none are asked for (the same at every size; measured, see above)."""
    return CHILD_EPOCHS if init == "parent" else DEFAULT_EPOCHS


class ProjectionError(ValueError):
    """A projection cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class ProjectParams:
    """UMAP parameters of a projection; None means "choose" (recorded once chosen)."""

    n_neighbors: int = 5
    min_dist: float = 0.3
    metric: str = "correlation"
    random_state: int | None = None
    n_epochs: int | None = None
    init: str = "pca"

    def __repr__(self) -> str:
        changed = [
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        ]
        return f"ProjectParams({', '.join(changed)})"

    def validate(self) -> ProjectParams:
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 2:
            raise ProjectionError(f"n_neighbors must be an integer >= 2, got {self.n_neighbors!r}")
        if not 0.0 <= float(self.min_dist) <= 1.0:
            raise ProjectionError(f"min_dist must be between 0 and 1, got {self.min_dist!r}")
        if self.metric not in METRICS:
            raise ProjectionError(f"metric must be one of {METRICS}, got {self.metric!r}")
        if self.n_epochs is not None and not 1 <= int(self.n_epochs) <= 10_000:
            raise ProjectionError(f"n_epochs must be between 1 and 10000, got {self.n_epochs!r}")
        if self.init not in INITS:
            raise ProjectionError(f"init must be one of {INITS}, got {self.init!r}")
        if self.random_state is not None and not 0 <= int(self.random_state) < 2**32:
            raise ProjectionError(
                f"random_state must be in 0..2**32-1, got {self.random_state!r}")
        return self

    def resolved(self, n_points: int | None = None, device: str | None = None
                 ) -> ProjectParams:
        """A seed and an epoch count (for `n_points`, and the layout's `device`) fixed:
        the map is reproducible from these values.

        A seed also selects UMAP's single-threaded layout, which on 2 shared cores was
        2-3x faster than its parallel one (benchmarks/project.py)."""
        seed = self.random_state if self.random_state is not None else secrets.randbelow(2**31)
        epochs = (self.n_epochs if self.n_epochs is not None
                  else GPU_EPOCHS if device not in (None, "cpu")
                  else default_epochs(n_points, self.init))
        return dataclasses.replace(self, random_state=int(seed), n_epochs=int(epochs))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_UMAP: Any = None


def load_umap(cache_dir: str | os.PathLike[str] | None = None) -> Any:
    """Import umap with numba's on-disk cache enabled for all its kernels.

    umap compiles most kernels (`smooth_knn_dist`, the layout epoch) without numba's
    cache, so every new process paid 5-10 s again; enabling the cache on them makes a
    fresh process's first projection about as fast as a warm one. `cache_dir` must be
    given before the first import to take effect (see `symcat.project.warm`)."""
    global _UMAP
    if _UMAP is not None:
        return _UMAP
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir))
    try:
        import numba.core.config
        import umap
        import umap.layouts
        import umap.spectral
        import umap.umap_
        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"projections need umap-learn: {INSTALL_HINT}") from exc
    if cache_dir is not None and not numba.core.config.CACHE_DIR:
        numba.core.config.CACHE_DIR = str(cache_dir)
    for module in (umap.umap_, umap.layouts, umap.spectral):
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and isinstance(value._cache, NullCache):
                value.enable_caching()
    _UMAP = umap
    return umap


def pca_layout(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components: the layout for too few points for UMAP."""
    x = np.asarray(vectors, dtype=np.float64)
    centred = x - x.mean(axis=0, keepdims=True)
    if len(x) < 2:
        return np.zeros((len(x), 2), dtype=np.float32)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = np.zeros((len(x), 2))
    width = min(2, len(s))
    coords[:, :width] = u[:, :width] * s[:width]
    signs = np.where(coords[np.abs(coords).argmax(axis=0), range(2)] < 0, -1.0, 1.0)
    return (coords * signs).astype(np.float32)


def pca_init(vectors: np.ndarray, seed: int) -> np.ndarray:
    """UMAP's "pca" start, cheaply: the first two principal components (basis from a
    sample of `INIT_SAMPLE` rows, randomized), scaled to at most 10 as umap scales its
    starts, with umap's tiny noise. umap's "spectral" start solves one eigenproblem per
    connected component of the graph (60 components took a third of the layout time at
    2^15 points) for the same trustworthiness on our vectors (issue 17)."""
    x = np.asarray(vectors, dtype=np.float32)
    rng = np.random.default_rng(seed)
    sample = x if len(x) <= INIT_SAMPLE else x[rng.choice(len(x), INIT_SAMPLE, replace=False)]
    mean = sample.mean(axis=0, keepdims=True)
    centred = sample - mean
    probe = centred.T @ (centred @ rng.standard_normal((x.shape[1], 18)).astype(np.float32))
    basis, _ = np.linalg.qr(probe)
    _, _, vt = np.linalg.svd(centred @ basis, full_matrices=False)
    coords = (x - mean) @ (basis @ vt[:2].T)
    coords = coords * (10.0 / max(float(np.abs(coords).max()), 1e-12))
    return (coords + rng.normal(scale=0.0001, size=coords.shape)).astype(np.float32)


def parent_start(start: np.ndarray | None, n_points: int) -> np.ndarray:
    """The parent map's coordinates of the points (init="parent"), checked: umap scales
    any start to [0, 10] itself, so they are used as they are."""
    if start is None:
        raise ProjectionError('init="parent" starts from a parent map: it is for '
                              "re-projecting a selection (proj.select(...).project())")
    start = np.asarray(start, dtype=np.float32)
    if start.shape != (n_points, 2) or not np.isfinite(start).all():
        raise ProjectionError(f"the parent's coordinates must be {n_points} finite (x, y) "
                              f"pairs, got shape {start.shape}")
    return start


def umap_layout(vectors: np.ndarray, indices: np.ndarray, distances: np.ndarray,
                params: ProjectParams, start: np.ndarray | None = None) -> np.ndarray:
    """UMAP coordinates from the vectors and their precomputed kNN (`params` resolved);
    `start` holds the parent map's coordinates of these points for init="parent"."""
    umap = load_umap()
    k = params.n_neighbors
    init: str | np.ndarray = params.init
    if params.init == "pca":
        init = pca_init(vectors, int(params.random_state or 0))
    elif params.init == "parent":
        init = parent_start(start, len(vectors))
    reducer = umap.UMAP(
        n_neighbors=k, min_dist=params.min_dist, metric=params.metric,
        random_state=params.random_state, n_epochs=params.n_epochs, init=init,
        precomputed_knn=(indices[:, :k].copy(), distances[:, :k].copy()),
    )
    with warnings.catch_warnings():
        # "n_jobs overridden by setting random_state" and "no knn search index": expected.
        warnings.simplefilter("ignore", UserWarning)
        coords = reducer.fit_transform(np.ascontiguousarray(vectors, dtype=np.float32))
    return np.asarray(coords, dtype=np.float32)
