"""Filter -> vectors (+ exact kNN) -> UMAP -> stored points with lineage.

The only project module that touches the database. `run_projection` first finds the
exact subset of scans (ids only), and answers from the `projections` table when the
same request was made before (`symcat.project.cache`); otherwise it reads the vectors
(binary, one query), builds the kNN graph (`symcat.project.knn`), lays it out
(`symcat.project.layout`) and stores the row and its points in one transaction (before
answering, or, with `store_later`, right after: `symcat.project.writes`).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.orm import Session

from symcat.project import cache, writes
from symcat.project.knn import knn_graph
from symcat.project.layout import (
    ProjectionError,
    ProjectParams,
    parent_start,
    pca_layout,
    umap_layout,
)
from symcat.query.expr import scan_conditions
from symcat.query.knn import StoredModel, find_model
from symcat.query.listing import newest_symmetry, symmetry_columns
from symcat.store.models import (
    Embedding,
    EmbeddingModel,
    Projection,
    ProjectionPoint,
    Scan,
)

# Metadata shown beside each point (and available to colour by).
POINT_COLUMNS = (
    "sample_name", "material", "imaging_mode", "acquired_at", "scan_size_x_m", "pixels_x",
    "drive_frequency_hz", "site", "instrument", "operator", "project", "file_name",
)


@dataclass(frozen=True)
class StoredProjection:
    """A projection as stored: lineage, parameters, and its points (ids with x, y)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    model: StoredModel
    where: str | None
    filters: dict[str, Any]
    selection: dict[str, Any] | None
    params: dict[str, Any]
    params_repr: str
    subset_sha256: str
    timings: dict[str, Any]
    created_at: datetime | None
    ids: list[uuid.UUID]
    xy: np.ndarray
    cached: bool = False
    vectors: np.ndarray | None = field(default=None, repr=False, compare=False)


# -- reading ----------------------------------------------------------------------------
def filtered_ids(conn: Connection, model: StoredModel, where: str | None,
                 filters: Mapping[str, Any]) -> tuple[list[uuid.UUID], int]:
    """Sorted ids of the scans passing the filter that have a vector for `model`, and the
    number of image scans passing it that have none."""
    conditions = scan_conditions(where, filters)
    ids = conn.execute(
        select(Embedding.scan_id).join(Scan, Scan.id == Embedding.scan_id)
        .where(Embedding.model_id == model.id, *conditions).order_by(Embedding.scan_id)
    ).scalars().all()
    images = conn.execute(
        select(func.count()).select_from(Scan).where(Scan.record_kind == "image", *conditions)
    ).scalar_one()
    return list(ids), max(0, int(images) - len(ids))


def fetch_vectors(conn: Connection, model: StoredModel, ids: Sequence[uuid.UUID]) -> np.ndarray:
    """The stored vectors of `ids` (in that order) as float32, read in pgvector's binary
    form (`halfvec_send`): about 20x faster than parsing the text form."""
    raw = conn.connection.driver_connection
    with raw.cursor(binary=True) as cur:  # type: ignore[union-attr]
        cur.execute(
            "SELECT scan_id, halfvec_send(vector) FROM embeddings "
            "WHERE model_id = %s AND scan_id = ANY(%s)", (model.id, list(ids)),
        )
        rows = cur.fetchall()
    if len(rows) != len(ids):
        raise ProjectionError(f"{len(ids) - len(rows)} of the scans have no vector for "
                              f"{model.name}; run `symcat embed --model {model.family}`")
    position = {key: i for i, key in enumerate(ids)}
    order = np.fromiter((position[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    dims = {int.from_bytes(bytes(r[1][:2]), "big") for r in rows}
    if dims != {model.dim}:
        raise ProjectionError(f"stored vectors of {model.name} have dimensions {sorted(dims)}, "
                              f"expected {model.dim}")
    payload = b"".join(bytes(r[1][4:]) for r in rows)
    vectors = np.frombuffer(payload, dtype=">f2").reshape(len(rows), model.dim)
    out = np.empty((len(rows), model.dim), dtype=np.float32)
    out[order] = vectors
    return out


def point_metadata(engine: Engine, ids: Sequence[uuid.UUID]) -> pd.DataFrame:
    """`POINT_COLUMNS` of the scans `ids`, in that order (`id` column first), then each
    one's plane group, its p and its cell edges in metres (`SYMMETRY_COLUMNS`; empty where
    none is stored), so a map can be coloured by plane group or lattice size."""
    columns = [Scan.id, *(getattr(Scan, name) for name in POINT_COLUMNS)]
    with engine.connect() as conn:
        wanted = bindparam("ids", list(ids), type_=ARRAY(UUID(as_uuid=True)))
        rows = conn.execute(select(*columns).where(Scan.id == any_(wanted))).all()
        groups = newest_symmetry(conn, list(ids))
    frame = pd.DataFrame(rows, columns=["id", *POINT_COLUMNS])
    columns = symmetry_columns(groups, list(frame["id"]))
    frame["symmetry"] = columns.pop("symmetry")
    for name, values in columns.items():
        frame[name] = np.array(values, dtype=float)
    order = pd.DataFrame({"id": list(ids)})
    return order.merge(frame, on="id", how="left")


# -- computing --------------------------------------------------------------------------
def compute_layout(vectors: np.ndarray, params: ProjectParams, *, device: str | None = None,
                   start: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """2-D coordinates of `vectors` under resolved `params`, and how they were made;
    `start`: the parent map's coordinates of these points (init="parent")."""
    n = len(vectors)
    if n == 0:
        raise ProjectionError("nothing to project: no scans with vectors in this subset")
    if n < params.n_neighbors + 2:
        # UMAP's graph needs n_neighbors neighbours plus room for its spectral start;
        # a handful of points is shown faithfully by its two principal components.
        return pca_layout(vectors), {
            "layout": "pca", "reason": f"{n} points < n_neighbors + 2 = {params.n_neighbors + 2}",
        }
    started = time.perf_counter()
    if params.init == "parent":
        start = parent_start(start, n)
    if device not in (None, "cpu"):
        from symcat.project.gpu import gpu_layout

        return gpu_layout(vectors, params, device=device, start=start)
    indices, distances, info = knn_graph(vectors, params.n_neighbors, params.metric)
    knn_s = time.perf_counter() - started
    coords = umap_layout(vectors, indices, distances, params, start)
    import umap

    return coords, {**info, "layout": "umap", "umap": umap.__version__,
                    "knn_s": round(knn_s, 3),
                    "layout_s": round(time.perf_counter() - started - knn_s, 3)}


def parent_points(parent: StoredProjection | None, ids: Sequence[uuid.UUID]
                  ) -> np.ndarray | None:
    """The parent map's coordinates of `ids` (in that order): a child's init="parent"
    start, also what `Projection.reproduce` uses again."""
    if parent is None:
        return None
    row = {key: i for i, key in enumerate(parent.ids)}
    return parent.xy[np.fromiter((row[i] for i in ids), dtype=np.int64, count=len(ids))]


# -- the whole request ------------------------------------------------------------------
def run_projection(
    engine: Engine,
    *,
    model: str,
    params: ProjectParams,
    where: str | None = None,
    filters: Mapping[str, Any] | None = None,
    parent: StoredProjection | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    selection: Mapping[str, Any] | None = None,
    vectors: np.ndarray | None = None,
    device: str | None = None,
    store_later: bool = False,
) -> StoredProjection:
    """A projection of the scans passing `where`/`filters` (a root), or of `ids` taken from
    `parent` (a child; `vectors` may hold theirs, in the order of `ids`). `store_later`:
    return the new map at once and write it in the background (`symcat.project.writes`)."""
    writes.wait()  # this process's pending maps are readable (cache, parents) from here
    params = params.validate()
    if params.init == "parent" and parent is None:
        parent_start(None, 0)  # says that a root map has no parent to start from
    filters = dict(filters or {})
    started = time.perf_counter()
    with engine.connect() as conn:
        stored_model = find_model(conn, model) if parent is None else parent.model
        missing = 0
        if parent is None:
            subset, missing = filtered_ids(conn, stored_model, where, filters)
        else:
            given = list(ids or [])
            # uuid order (as stored): a selection from a parent is in it already.
            order = sorted(range(len(given)), key=given.__getitem__)
            subset = [given[i] for i in order]
            if vectors is not None and order != list(range(len(given))):
                vectors = vectors[np.asarray(order, dtype=np.int64)]
        key = cache.request_key(
            model=stored_model.name, where=where, filters=filters, params_repr=repr(params),
            subset=cache.subset_hash(subset), parent=parent.id if parent else None,
        )
        found = conn.execute(select(Projection.id).where(Projection.cache_key == key)).scalar()
        if found is not None:
            return load_projection(engine, found, cached=True)
        if not subset:
            raise ProjectionError(
                f"no scans with vectors for {stored_model.name} match this filter"
                + (f" ({missing} matching image scans have none: run `symcat embed`)"
                   if missing else ""))
        if vectors is None:
            vectors = fetch_vectors(conn, stored_model, subset)
    fetch_s = time.perf_counter() - started
    resolved = params.resolved(len(vectors), device)
    start = parent_points(parent, subset) if params.init == "parent" else None
    xy, info = compute_layout(vectors, resolved, device=device, start=start)
    timings = {**info, "fetch_s": round(fetch_s, 3), "missing_vectors": missing,
               "total_s": round(time.perf_counter() - started, 3)}
    if store_later:
        return _answer_then_store(engine, key, stored_model, where, filters, parent, selection,
                                  resolved, params, subset, xy, timings, vectors)
    new_id, inserted = _store(engine, key, stored_model, where, filters, parent, selection,
                              resolved, repr(params), params.as_dict(), subset, xy, timings)
    # The points just written are in memory, in the stored order (uuid order is the order of
    # their text): read back only the projection's row, not thousands of points. A
    # concurrent identical request that stored first has its own points: read those.
    result = load_projection(engine, new_id, points=(subset, xy) if inserted else None)
    cache.vectors.put(result.id, np.asarray(subset, dtype=object), vectors)
    return result


def _answer_then_store(engine: Engine, key: str, model: StoredModel, where: str | None,
                       filters: Mapping[str, Any], parent: StoredProjection | None,
                       selection: Mapping[str, Any] | None, resolved: ProjectParams,
                       params: ProjectParams, ids: list[uuid.UUID], xy: np.ndarray,
                       timings: dict[str, Any], vectors: np.ndarray) -> StoredProjection:
    """The projection as it will be stored, returned now; its row and points are written
    in the background (`symcat.project.writes`), in one transaction. If a concurrent
    identical request (another process) stored first, this one is kept too, under its
    own id, so the id the caller holds is always stored."""
    new_id = uuid.uuid4()
    result = StoredProjection(
        id=new_id, parent_id=parent.id if parent else None, model=model, where=where,
        filters=cache.canonical_filters(filters),
        selection=dict(selection) if selection else None,
        params={**resolved.as_dict(), "requested": params.as_dict()}, params_repr=repr(params),
        subset_sha256=cache.subset_hash(ids), timings=timings, created_at=None, ids=ids,
        xy=np.asarray(xy, dtype=np.float32).reshape(-1, 2))
    writes.submit(new_id, partial(
        _store, engine, key, model, where, filters, parent, selection, resolved, repr(params),
        params.as_dict(), ids, xy, timings, new_id=new_id, keep_both=True))
    cache.vectors.put(new_id, np.asarray(ids, dtype=object), vectors)
    return result


def _store(engine: Engine, key: str, model: StoredModel, where: str | None,
           filters: Mapping[str, Any], parent: StoredProjection | None,
           selection: Mapping[str, Any] | None, params: ProjectParams, params_repr: str,
           requested: dict[str, Any], ids: Sequence[uuid.UUID], xy: np.ndarray,
           timings: dict[str, Any], *, new_id: uuid.UUID | None = None,
           keep_both: bool = False) -> tuple[uuid.UUID, bool]:
    """Insert the projection and its points in one transaction; if a concurrent identical
    request stored it first, keep theirs (or, `keep_both`, store this one too, under a
    key no request looks up: the caller already gave out `new_id`). Returns the id, and
    whether these points were the ones stored."""
    new_id = new_id or uuid.uuid4()
    with engine.begin() as conn:
        row = {"id": new_id, "parent_id": parent.id if parent else None,
               "model_id": model.id, "where_text": where,
               "filters": cache.canonical_filters(filters),
               "selection": dict(selection) if selection else None,
               "params": {**params.as_dict(), "requested": requested},
               "params_repr": params_repr, "subset_sha256": cache.subset_hash(ids),
               "n_points": len(ids), "cache_key": key, "timings": timings}
        inserted = conn.execute(
            insert(Projection).values(**row)
            .on_conflict_do_nothing(index_elements=["cache_key"]).returning(Projection.id)
        ).scalar()
        if inserted is None and keep_both:
            own = hashlib.sha256(f"{key}:{new_id}".encode()).hexdigest()
            conn.execute(insert(Projection).values(**{**row, "cache_key": own}))
        elif inserted is None:
            return conn.execute(
                select(Projection.id).where(Projection.cache_key == key)).scalar_one(), False
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
            "COPY projection_points (projection_id, scan_id, x, y) FROM STDIN"
        ) as copy:
            for scan_id, (x, y) in zip(ids, xy.tolist(), strict=True):
                copy.write_row((new_id, scan_id, x, y))
    return new_id, True


def load_projection(engine: Engine, projection_id: uuid.UUID | str, *, cached: bool = False,
                    points: tuple[Sequence[uuid.UUID], np.ndarray] | None = None
                    ) -> StoredProjection:
    """A stored projection by id, with its points (read, unless the caller that stored them
    passes them as `points`: ids in uuid order and their coordinates); LookupError if there
    is none."""
    key = uuid.UUID(str(projection_id))
    writes.wait()
    with Session(engine) as conn:
        row = conn.execute(
            select(Projection, EmbeddingModel.name, EmbeddingModel.family, EmbeddingModel.dim)
            .join(EmbeddingModel, EmbeddingModel.id == Projection.model_id)
            .where(Projection.id == key)
        ).first()
        if row is None:
            raise LookupError(f"no projection with id {key}")
        record: Projection = row[0]
        if points is None:
            rows = conn.execute(
                select(ProjectionPoint.scan_id, ProjectionPoint.x, ProjectionPoint.y)
                .where(ProjectionPoint.projection_id == key).order_by(ProjectionPoint.scan_id)
            ).all()
            ids = [p.scan_id for p in rows]
            xy = np.array([(p.x, p.y) for p in rows], dtype=np.float32).reshape(-1, 2)
        else:
            ids = list(points[0])
            xy = np.asarray(points[1], dtype=np.float32).reshape(-1, 2)
    return StoredProjection(
        id=record.id, parent_id=record.parent_id,
        model=StoredModel(record.model_id, row.name, row.family, row.dim),
        where=record.where_text, filters=dict(record.filters),
        selection=record.selection, params=dict(record.params),
        params_repr=record.params_repr, subset_sha256=record.subset_sha256,
        timings=dict(record.timings), created_at=record.created_at,
        ids=ids, xy=xy, cached=cached,
    )


def lineage(engine: Engine, projection_id: uuid.UUID) -> list[dict[str, Any]]:
    """The chain from the root projection down to `projection_id` (one dict per level)."""
    writes.wait()
    with Session(engine) as conn:
        chain: list[dict[str, Any]] = []
        current: uuid.UUID | None = projection_id
        while current is not None:
            row = conn.execute(select(Projection).where(Projection.id == current)).scalar_one()
            chain.append({
                "id": row.id, "parent_id": row.parent_id, "where": row.where_text,
                "filters": row.filters, "selection": row.selection, "params": row.params,
                "n_points": row.n_points, "subset_sha256": row.subset_sha256,
                "created_at": row.created_at,
            })
            current = row.parent_id
    return chain[::-1]


