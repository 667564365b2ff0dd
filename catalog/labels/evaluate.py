"""How good is an embedding for telling labelled classes apart? The fingerprint tests of
the microstructure literature, on any labelled images or on the catalog's labels:

* 10-fold SVM accuracy (linear SVM on the unit vectors, stratified folds);
* precision@k: the share of each image's k nearest neighbours (correlation distance)
  with its label;
* k-means and spectral clustering agreement with the labels (adjusted Rand index);
* Poisson learning accuracy with 1%, 5% and 10% of the labels (at least one per class),
  on the unlabelled rest, averaged over random draws (the propagation symcat runs).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from symcat.labels.propagate import propagate_vectors
from symcat.project.knn import knn_graph, unit_rows

RATES = (0.01, 0.05, 0.10)
PRECISION_K = 5


@dataclass
class Scores:
    model: str
    n_images: int
    n_classes: int
    class_counts: dict[str, int]
    svm_accuracy: float | None
    svm_folds: int
    precision_at_k: float
    k: int
    kmeans_ari: float
    spectral_ari: float
    poisson: dict[str, dict[str, float]]  # "1%": {"accuracy", "std", "labels"}
    draws: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class EvaluationError(ValueError):
    """Too few images or classes to score a model."""


def _check(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise EvaluationError(f"need images of at least 2 classes, found {len(classes)}")
    y = np.array([classes.index(label) for label in labels])
    counts = np.bincount(y)
    if counts.min() < 2:
        small = [c for c, n in zip(classes, counts, strict=True) if n < 2]
        raise EvaluationError(f"need at least 2 images per class; too few: {', '.join(small)}")
    return classes, y


def svm_accuracy(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, int]:
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import LinearSVC

    folds = int(min(10, np.bincount(y).min()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(LinearSVC(C=1.0, max_iter=5000), x, y, cv=splitter)
    return float(scores.mean()), folds


def precision_at_k(indices: np.ndarray, y: np.ndarray) -> float:
    """Neighbours beyond self (column 0) that share the row's label."""
    return float((y[indices[:, 1:]] == y[:, None]).mean())


def clustering_ari(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.metrics import adjusted_rand_score

    n_classes = int(y.max()) + 1
    kmeans = KMeans(n_clusters=n_classes, n_init=10, random_state=seed).fit_predict(x)
    neighbours = int(min(10, len(x) - 1))
    spectral = SpectralClustering(n_clusters=n_classes, affinity="nearest_neighbors",
                                  n_neighbors=neighbours, random_state=seed,
                                  assign_labels="cluster_qr").fit_predict(x)
    return float(adjusted_rand_score(y, kmeans)), float(adjusted_rand_score(y, spectral))


def draw_labelled(y: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """round(rate * n) labelled rows, at least one of each class."""
    n_classes = int(y.max()) + 1
    want = max(n_classes, int(round(rate * len(y))))
    first = np.array([rng.choice(np.flatnonzero(y == c)) for c in range(n_classes)])
    rest = np.setdiff1d(np.arange(len(y)), first)
    extra = rng.choice(rest, size=min(len(rest), want - n_classes), replace=False)
    return np.concatenate([first, extra])


def poisson_accuracy(x: np.ndarray, y: np.ndarray, classes: Sequence[str], *,
                     rates: Sequence[float] = RATES, draws: int = 10, seed: int = 0,
                     k: int = 10, method: str = "poisson",
                     graph: tuple[np.ndarray, np.ndarray, dict[str, Any]] | None = None
                     ) -> dict[str, dict[str, float]]:
    """Mean (and std) accuracy on the unlabelled rows, per label rate, over `draws`."""
    rng = np.random.default_rng(seed)
    k = max(1, min(k, len(x) - 1))
    graph = graph or knn_graph(x, k + 1, metric="correlation")
    out: dict[str, dict[str, float]] = {}
    for rate in rates:
        accuracies, sizes = [], []
        for _ in range(draws):
            train = draw_labelled(y, rate, rng)
            result = propagate_vectors(x, train, y[train], classes, method=method, k=k,
                                       graph=graph)
            test = np.setdiff1d(np.arange(len(y)), train)
            accuracies.append(float((result.predicted[test] == y[test]).mean()))
            sizes.append(len(train))
        out[f"{rate * 100:g}%"] = {"accuracy": float(np.mean(accuracies)),
                                   "std": float(np.std(accuracies)),
                                   "labels": float(np.mean(sizes))}
    return out


def score(vectors: np.ndarray, labels: Sequence[str], model: str, *, draws: int = 10,
          seed: int = 0, k: int = PRECISION_K) -> Scores:
    """Every score of one model's vectors against the labels."""
    classes, y = _check(labels)
    x = unit_rows(vectors)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    svm, folds = svm_accuracy(x, y, seed)
    seconds["svm"] = time.perf_counter() - start
    start = time.perf_counter()
    k = int(max(1, min(k, len(x) - 1)))
    graph = knn_graph(x, max(k, 10) + 1, metric="correlation")
    precision = precision_at_k(graph[0][:, :k + 1], y)
    seconds["precision"] = time.perf_counter() - start
    start = time.perf_counter()
    kmeans, spectral = clustering_ari(x, y, seed)
    seconds["clustering"] = time.perf_counter() - start
    start = time.perf_counter()
    poisson = poisson_accuracy(x, y, classes, draws=draws, seed=seed,
                               graph=graph if graph[0].shape[1] == 11 else None)
    seconds["poisson"] = time.perf_counter() - start
    counts = {c: int((y == i).sum()) for i, c in enumerate(classes)}
    return Scores(model, len(x), len(classes), counts, svm, folds, precision, k, kmeans,
                  spectral, poisson, draws, seconds=seconds)


def format_table(results: Sequence[Scores]) -> str:
    """One row per model, the scores as columns."""
    rates = list(results[0].poisson) if results else []
    header = ["model", "images", "classes", "svm_10fold", f"p@{results[0].k}" if results else "p@k",
              "kmeans_ari", "spectral_ari", *[f"poisson@{r}" for r in rates]]
    rows = []
    for r in results:
        rows.append([r.model, str(r.n_images), str(r.n_classes),
                     f"{r.svm_accuracy:.3f}" if r.svm_accuracy is not None else "-",
                     f"{r.precision_at_k:.3f}", f"{r.kmeans_ari:.3f}", f"{r.spectral_ari:.3f}",
                     *[f"{r.poisson[x]['accuracy']:.3f}±{r.poisson[x]['std']:.3f}"
                       for x in rates]])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def catalog_vectors(engine: Any, label_set: str, model: str, where: str | None = None
                    ) -> tuple[np.ndarray, list[str], str]:
    """The stored vectors under `model` of the scans with a human label in `label_set`
    (passing `where`), their labels, and the model's full id."""
    from sqlalchemy import select

    from symcat.labels.store import get_set
    from symcat.project.run import fetch_vectors, filtered_ids
    from symcat.query.knn import find_model
    from symcat.store.models import ScanLabel

    with engine.connect() as conn:
        get_set(conn, label_set)
        stored = find_model(conn, model)
        ids, _ = filtered_ids(conn, stored, where, {})
        have = set(ids)
        pairs = [(s, v) for s, v in conn.execute(
            select(ScanLabel.scan_id, ScanLabel.value).where(
                ScanLabel.label_set == label_set)).all() if s in have]
        if not pairs:
            raise EvaluationError(f"no scan with a {label_set!r} label has a vector for "
                                  f"{stored.name}" + (" and passes the filter" if where else ""))
        vectors = fetch_vectors(conn, stored, [s for s, _ in pairs])
    return vectors, [v for _, v in pairs], stored.name
