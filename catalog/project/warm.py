"""Keep projections fast from the first click: numba's disk cache, a warm-up, a worker.

A new process used to pay 15-45 s of numba compilation on its first UMAP call.
`prepare` points numba's cache at the data folder and turns caching on for umap's
kernels (`symcat.project.layout.load_umap`), so compiled code is reused across
processes; `warm_up` runs a tiny projection through the same code paths and dtypes so
the remaining per-process work (loading the cache, first-call dispatch) happens before
a user waits; `ProjectionWorker` keeps one warmed worker for a long-lived app (the
dashboard), where it runs projections off the UI thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
_warm_lock = threading.Lock()
_warmed = False


def numba_cache_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "cache" / "numba"


def prepare(data_dir: str | os.PathLike[str] | None) -> Any:
    """Import umap with its compiled kernels cached under `data_dir` (or NUMBA_CACHE_DIR)."""
    from symcat.project.layout import load_umap

    cache_dir = os.environ.get("NUMBA_CACHE_DIR") or (
        numba_cache_dir(data_dir) if data_dir is not None else None)
    return load_umap(cache_dir)


def warm_up(data_dir: str | os.PathLike[str] | None = None) -> float:
    """Run a 300-point projection (clustered, so the graph has several components, as
    real catalogs do) through every stage; returns its seconds. Once per process."""
    global _warmed
    from symcat.project.layout import ProjectParams
    from symcat.project.run import compute_layout

    with _warm_lock:
        if _warmed:
            return 0.0
        started = time.perf_counter()
        prepare(data_dir)
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((6, 32)) * 3
        vectors = centres[rng.integers(0, 6, 300)] + rng.standard_normal((300, 32))
        compute_layout(vectors.astype(np.float32), ProjectParams(random_state=0, n_epochs=5))
        # the kNN's compiled top-k (rows wider than 300 points need it; loads from the cache)
        from symcat.project.knn import SCAN_WIDTH, top_k

        top_k(np.zeros((2, SCAN_WIDTH), dtype=np.float32), 2)
        _warmed = True
        return time.perf_counter() - started


def _initialize(data_dir: str | None) -> None:
    warm_up(data_dir)


class ProjectionWorker:
    """One warmed worker that runs projection calls in the background.

    `processes=True` (default) gives it its own process, so a projection never holds the
    caller's GIL (a Bokeh server stays responsive); calls then must be picklable, e.g.
    `worker.submit(project_by_settings, settings, where, params)` returning an id."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *,
                 processes: bool = True) -> None:
        target = str(data_dir) if data_dir is not None else None
        if processes:
            import multiprocessing

            self._executor: Executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_initialize, initargs=(target,))
            self.ready: Future[Any] = self._executor.submit(time.perf_counter)
        else:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="project")
            self.ready = self._executor.submit(warm_up, target)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._executor.submit(fn, *args, **kwargs)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProjectionWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def project_by_settings(settings: Any, where: str | None, filters: dict[str, Any],
                        model: str, params: Any, parent_id: str | None = None,
                        ids: list[str] | None = None, selection: dict[str, Any] | None = None
                        ) -> str:
    """A projection computed in a worker process; returns its id (load it with
    `Catalog.projection`). With `parent_id` and `ids`, a child of that projection."""
    import uuid

    from symcat.project.run import load_projection, run_projection
    from symcat.store.engine import get_engine

    engine = get_engine(settings)
    parent = load_projection(engine, parent_id) if parent_id else None
    stored = run_projection(
        engine, model=model, params=params, where=where, filters=filters, parent=parent,
        ids=[uuid.UUID(i) for i in ids] if ids is not None else None, selection=selection)
    return str(stored.id)
