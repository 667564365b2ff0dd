"""Label propagation: Poisson (or Laplace) learning on the kNN graph of an embedding model.

The graph is the exact kNN graph of the stored vectors (`symcat.project.knn`, the same
one UMAP uses), weighted with graphlearning's Gaussian kernel; the solver is
graphlearning's. Predictions go to their own table with the run that made them, so a
human label is never replaced; scans that carry a human label get no prediction.
A scan embedded after the last run is predicted from its nearest labelled or predicted
neighbours (`predict_new`), without solving the whole graph again.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select

from symcat.labels.store import LabelError, get_set
from symcat.project.knn import knn_graph
from symcat.project.run import fetch_vectors, filtered_ids
from symcat.query.expr import scan_conditions
from symcat.query.knn import StoredModel, find_model, knn
from symcat.store.models import (
    Embedding,
    EmbeddingModel,
    Prediction,
    PropagationRun,
    Scan,
    ScanLabel,
)

METHODS = ("poisson", "laplace")
DEFAULT_K = 10
MIN_PER_CLASS = 1
NEW_SCAN_NEIGHBOURS = 10


@dataclass
class Propagated:
    """The solver's output over one subset: per scan the class, confidence, uncertainty."""

    classes: list[str]
    predicted: np.ndarray  # class index per row
    confidence: np.ndarray
    uncertainty: np.ndarray
    graph: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PropagationResult:
    run_id: uuid.UUID
    label_set: str
    model: str
    method: str
    n_scans: int
    n_labels: int
    n_predicted: int
    counts: dict[str, int]
    skipped_classes: list[str]
    timings: dict[str, float]


def graphlearning() -> Any:
    """The graphlearning package, or a one-line error that says how to install it."""
    try:
        import graphlearning as gl
        import graphlearning.active_learning  # noqa: F401
    except ImportError as exc:
        raise LabelError(f"label propagation needs graphlearning ({exc.name} is missing): "
                         "pip install 'symcat[labels]'") from None
    return gl


def class_scores(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class, confidence, uncertainty) from graphlearning's (n, classes) scores.

    The scores are rescaled to 0..1 over the whole matrix (as graphlearning's `predict`
    does) and each row is divided by its sum: confidence is the top class's share (for
    Laplace learning, whose scores are probabilities, it is that probability; for Poisson
    learning it is 0.5 + the class potential's margin over the others). Uncertainty is
    graphlearning's "smallest margin" acquisition value on the shares."""
    unc_sampling = graphlearning().active_learning.unc_sampling
    u = np.nan_to_num(np.asarray(u, dtype=np.float64), nan=0.0)
    span = float(u.max() - u.min())
    scaled = (u - u.min()) / span if span > 0 else np.ones_like(u)
    total = scaled.sum(axis=1, keepdims=True)
    shares = np.where(total > 0, scaled / np.where(total > 0, total, 1.0), 1.0 / u.shape[1])
    uncertainty = unc_sampling("smallest_margin").compute(shares, np.arange(len(shares)))
    return shares.argmax(axis=1), shares.max(axis=1), np.clip(uncertainty, 0.0, 1.0)


def weight_matrix(indices: np.ndarray, distances: np.ndarray, k: int) -> Any:
    """graphlearning's symmetric Gaussian-kernel weights on a precomputed kNN graph."""
    gl = graphlearning()

    distances = distances.astype(np.float64, copy=True)
    distances[:, 1:] = np.maximum(distances[:, 1:], 1e-6)  # identical vectors: no 0/0
    return gl.weightmatrix.knn(None, k, knn_data=(indices, distances))


def solve(weights: Any, train_ind: np.ndarray, train_labels: np.ndarray,
          method: str) -> np.ndarray:
    """graphlearning's Poisson or Laplace learning; (n, classes) scores."""
    gl = graphlearning()

    if method not in METHODS:
        raise LabelError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    # Poisson learning as published (iterated to the random walk's mixing time):
    # graphlearning's conjugate-gradient variant leaves a per-class constant free, which
    # on weakly linked clusters decided the class (0.37-0.6 accuracy where this gets 1.0).
    model = (gl.ssl.poisson(weights, solver="gradient_descent") if method == "poisson"
             else gl.ssl.laplace(weights))
    return np.asarray(model.fit(train_ind, train_labels))


def propagate_vectors(vectors: np.ndarray, train_ind: np.ndarray, train_labels: np.ndarray,
                      classes: Sequence[str], *, method: str = "poisson", k: int = DEFAULT_K,
                      graph: tuple[np.ndarray, np.ndarray, dict[str, Any]] | None = None
                      ) -> Propagated:
    """Propagate integer labels (`train_labels` at rows `train_ind`) over `vectors`."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    k = max(1, min(k, len(vectors) - 1))
    if graph is None:
        graph = knn_graph(vectors, k + 1, metric="correlation")
    indices, distances, info = graph
    timings["graph_s"] = time.perf_counter() - start
    start = time.perf_counter()
    weights = weight_matrix(indices, distances, k)
    scores = solve(weights, train_ind, train_labels, method)
    predicted, confidence, uncertainty = class_scores(scores)
    timings["solve_s"] = time.perf_counter() - start
    return Propagated(list(classes), predicted, confidence, uncertainty,
                      {**info, "k": k, "metric": "correlation", "kernel": "gaussian"}, timings)


def _snapshot(pairs: Sequence[tuple[uuid.UUID, str]], latest: datetime | None,
              counts: dict[str, int]) -> dict[str, Any]:
    digest = hashlib.sha256()
    for scan_id, value in sorted(pairs, key=lambda p: str(p[0])):
        digest.update(f"{scan_id},{value}\n".encode())
    return {"counts": counts, "n_labels": len(pairs), "sha256": digest.hexdigest(),
            "latest_labelled_at": latest.isoformat() if latest else None}


def _stage(progress: bool) -> Callable[[str], None]:
    if not progress:
        return lambda _name: None
    from tqdm import tqdm

    bar = tqdm(total=4, desc="propagate", unit="stage")

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)
        if bar.n >= bar.total:
            bar.close()

    return step


def propagate_catalog(engine: Engine, label_set: str, *, model: str, where: str | None = None,
                      method: str = "poisson", k: int | None = None,
                      progress: bool = False) -> PropagationResult:
    """Propagate `label_set`'s human labels over the scans (passing `where`) with a vector
    under `model`; replaces this set's predictions on those scans in one transaction."""
    if method not in METHODS:
        raise LabelError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    step = _stage(progress)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with engine.connect() as conn:
        stored_set = get_set(conn, label_set)
        stored = find_model(conn, model)
        ids, _ = filtered_ids(conn, stored, where, {})
        rows = conn.execute(
            select(ScanLabel.scan_id, ScanLabel.value, ScanLabel.labelled_at)
            .where(ScanLabel.label_set == label_set)).all()
        position = {scan_id: i for i, scan_id in enumerate(ids)}
        labelled = [(r.scan_id, r.value) for r in rows if r.scan_id in position]
        _check_labels(stored_set.name, stored, ids, rows, labelled, stored_set.classes)
        vectors = fetch_vectors(conn, stored, ids)
    timings["load_s"] = time.perf_counter() - start
    step("vectors loaded")
    counts = {c: sum(1 for _, v in labelled if v == c) for c in stored_set.classes}
    classes = [c for c in stored_set.classes if counts[c] >= MIN_PER_CLASS]
    number = {c: i for i, c in enumerate(classes)}
    used = [(s, v) for s, v in labelled if v in number]
    train_ind = np.array([position[s] for s, _ in used], dtype=np.int64)
    train_labels = np.array([number[v] for _, v in used], dtype=np.int64)
    k = k or DEFAULT_K
    start = time.perf_counter()
    graph = knn_graph(vectors, min(k, len(ids) - 1) + 1, metric="correlation")
    timings["graph_s"] = time.perf_counter() - start
    step("graph built")
    result = propagate_vectors(vectors, train_ind, train_labels, classes, method=method, k=k,
                               graph=graph)
    timings["solve_s"] = result.timings["solve_s"]
    step("solved")
    latest = max((r.labelled_at for r in rows if r.scan_id in position), default=None)
    start = time.perf_counter()
    human = {s for s, _ in labelled}
    with engine.begin() as conn:
        run_id = uuid.uuid4()
        conn.execute(PropagationRun.__table__.insert().values(
            id=run_id, label_set=label_set, model_id=stored.id, method=method, where_text=where,
            graph=result.graph, label_snapshot=_snapshot(used, latest, counts),
            n_scans=len(ids), timings={**timings, "graphlearning": version("graphlearning")}))
        # At a hub, a lab's prediction on a scan the hub has a label for stays: the hub
        # writes none there, and the lab may still update or delete it (docs/federation.md).
        conn.execute(delete(Prediction).where(Prediction.label_set == label_set,
                                              ~(Prediction.received & Prediction.scan_id.in_(
                                                  select(ScanLabel.scan_id).where(
                                                      ScanLabel.label_set == label_set))),
                                              Prediction.scan_id.in_(
                                                  select(Embedding.scan_id).where(
                                                      Embedding.model_id == stored.id,
                                                      Embedding.scan_id.in_(
                                                          select(Scan.id).where(
                                                              *scan_conditions(where, {})))))))
        now = datetime.now(UTC)
        rows_out = ((scan_id, label_set, classes[int(result.predicted[i])],
                     float(result.confidence[i]), float(result.uncertainty[i]), run_id, "graph",
                     now) for i, scan_id in enumerate(ids) if scan_id not in human)
        n_predicted = _copy_predictions(conn, rows_out)
    timings["store_s"] = time.perf_counter() - start
    step("stored")
    return PropagationResult(run_id, label_set, stored.name, method, len(ids), len(used),
                             n_predicted, counts,
                             [c for c in stored_set.classes if c not in number], timings)


def _check_labels(label_set: str, stored: StoredModel, ids: Sequence[uuid.UUID],
                  rows: Sequence[Any], labelled: Sequence[tuple[uuid.UUID, str]],
                  classes: Sequence[str]) -> None:
    """Refuse, with the reason, a propagation that cannot say anything useful."""
    if len(ids) < 3:
        raise LabelError(f"only {len(ids)} scan(s) pass the filter with a vector for "
                         f"{stored.name}; propagation needs at least 3 (run `symcat embed`?)")
    counts = {c: sum(1 for _, v in labelled if v == c) for c in classes}
    enough = [c for c, n in counts.items() if n >= MIN_PER_CLASS]
    if len(enough) < 2:
        outside = len(rows) - len(labelled)
        where = (f"; {outside} label(s) are on scans outside the subset or without a vector "
                 f"for {stored.name}") if outside else ""
        found = ", ".join(f"{c} {n}" for c, n in counts.items())
        raise LabelError(
            f"too few labels to propagate {label_set!r}: it needs at least {MIN_PER_CLASS} "
            f"labelled scan(s) in each of 2 or more classes among the {len(ids)} scans, "
            f"found {found}{where}")
    if len(labelled) >= len(ids):
        raise LabelError(f"every scan in the subset already has a {label_set!r} label; "
                         "nothing to propagate")


def _copy_predictions(conn: Connection, rows: Any) -> int:
    raw = conn.connection.driver_connection
    n = 0
    with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
        "COPY predictions (scan_id, label_set, value, confidence, uncertainty, run_id, how, "
        "predicted_at) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def predict_new(engine: Engine, label_set: str, *, model: str, where: str | None = None,
                k: int = NEW_SCAN_NEIGHBOURS) -> PropagationResult:
    """Predict scans that have a vector under `model` but neither a label nor a prediction,
    from their k nearest scans that have one (human labels count fully, predictions by
    their confidence; each neighbour weighted by its similarity)."""
    start = time.perf_counter()
    with engine.begin() as conn:
        stored_set = get_set(conn, label_set)
        stored = find_model(conn, model)
        run = conn.execute(
            select(PropagationRun.id, PropagationRun.method).where(
                PropagationRun.label_set == label_set, PropagationRun.model_id == stored.id)
            .order_by(PropagationRun.created_at.desc()).limit(1)).first()
        if run is None:
            raise LabelError(f"no propagation of {label_set!r} with {stored.name} yet; run "
                             f"`symcat labels propagate {label_set}` first")
        known = f"label.{label_set} is not null or predicted.{label_set} is not null"
        pending = conn.execute(
            select(Embedding.scan_id).join(Scan, Scan.id == Embedding.scan_id).where(
                Embedding.model_id == stored.id,
                *scan_conditions(f"label.{label_set} is null and predicted.{label_set} is null",
                                 {}),
                *scan_conditions(where, {}))).scalars().all()
        now = datetime.now(UTC)
        out = []
        for scan_id in pending:
            vector = fetch_vectors(conn, stored, [scan_id])[0]
            found, _ = knn(conn, stored, vector, k, {}, where=known, exclude=[scan_id])
            if not found:
                continue
            neighbours = [row[0] for row in found]
            votes = _neighbour_votes(conn, label_set, neighbours,
                                     {row[0]: float(row[1]) for row in found})
            if not votes:
                continue
            total = sum(votes.values())
            ranked = sorted(votes.items(), key=lambda kv: -kv[1])
            best, weight = ranked[0]
            second = ranked[1][1] if len(ranked) > 1 else 0.0
            out.append((scan_id, label_set, best, weight / total,
                        1.0 - (weight - second) / total, run.id, "neighbours", now))
        n = _copy_predictions(conn, iter(out))
    counts = {c: sum(1 for r in out if r[2] == c) for c in stored_set.classes}
    return PropagationResult(run.id, label_set, stored.name, "neighbours", len(pending), 0, n,
                             counts, [], {"total_s": time.perf_counter() - start})


def _neighbour_votes(conn: Connection, label_set: str, neighbours: Sequence[uuid.UUID],
                     distance: dict[uuid.UUID, float]) -> dict[str, float]:
    human = dict(conn.execute(select(ScanLabel.scan_id, ScanLabel.value).where(
        ScanLabel.label_set == label_set, ScanLabel.scan_id.in_(neighbours))).all())
    machine = {r.scan_id: (r.value, r.confidence) for r in conn.execute(
        select(Prediction.scan_id, Prediction.value, Prediction.confidence).where(
            Prediction.label_set == label_set, Prediction.scan_id.in_(neighbours)))}
    votes: dict[str, float] = {}
    for scan_id in neighbours:
        similarity = max(0.0, 1.0 - distance[scan_id])
        if scan_id in human:
            value, weight = human[scan_id], 1.0
        elif scan_id in machine:
            value, weight = machine[scan_id]
        else:
            continue
        votes[value] = votes.get(value, 0.0) + similarity * weight + 1e-9
    return votes


def label_next(conn: Connection, label_set: str, n: int = 10, *,
               where: str | None = None) -> pd.DataFrame:
    """The unlabelled scans with the most uncertain predictions (smallest margin between
    the two best classes of the latest propagation): labelling them helps most."""
    get_set(conn, label_set)
    has_any = conn.execute(select(func.count()).select_from(Prediction).where(
        Prediction.label_set == label_set)).scalar_one()
    if not has_any:
        raise LabelError(f"no predictions for {label_set!r} yet; run "
                         f"`symcat labels propagate {label_set}` first")
    rows = conn.execute(
        select(Scan.id, Prediction.value, Prediction.confidence, Prediction.uncertainty,
               EmbeddingModel.name, Scan.sample_name, Scan.file_name, Scan.acquired_at)
        .join(Prediction, Prediction.scan_id == Scan.id)
        .join(PropagationRun, PropagationRun.id == Prediction.run_id)
        .join(EmbeddingModel, EmbeddingModel.id == PropagationRun.model_id)
        .where(Prediction.label_set == label_set,
               *scan_conditions(f"label.{label_set} is null", {}),
               *scan_conditions(where, {}))
        .order_by(Prediction.uncertainty.desc(), Scan.id).limit(n)).all()
    return pd.DataFrame(rows, columns=["id", "predicted", "predicted_p", "uncertainty", "model",
                                       "sample_name", "file_name", "acquired_at"])
