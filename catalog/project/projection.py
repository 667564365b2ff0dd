"""`Projection`: a 2-D map of scans that knows where it came from and can be recursed.

    proj = catalog.project("sample = PZT*")              # a root: filter -> map
    sub = proj.select(box=(0, 0, 5, 5)).project()        # re-project that region alone
    subsub = sub.select(polygon=[(1, 1), (3, 1), (2, 4)]).project(min_dist=0.1)
    catalog.projection(subsub.id)                         # the same map, from any process

Each projection is stored with its lineage (parent, filter, selection, subset hash,
parameters with the seed used, model); an identical request returns the stored one.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from symcat.project import cache
from symcat.project.layout import ProjectionError, ProjectParams
from symcat.project.run import (
    POINT_COLUMNS,
    StoredProjection,
    compute_layout,
    fetch_vectors,
    lineage,
    load_projection,
    parent_points,
    point_metadata,
    run_projection,
)
from symcat.query.listing import SYMMETRY_COLUMNS


class Projection:
    """Scan id, x, y and metadata per point (`frame`), plus parameters and parent.

    Indexing, `len` and `columns` go to `frame`, so `proj["x"]` and `proj[proj.x > 0]`
    work as on a DataFrame."""

    def __init__(self, engine: Engine, stored: StoredProjection, frame: pd.DataFrame) -> None:
        self._engine = engine
        self._stored = stored
        self.frame = frame

    @classmethod
    def from_stored(cls, engine: Engine, stored: StoredProjection,
                    known: pd.DataFrame | None = None) -> Projection:
        """The projection with its points' metadata: taken from `known` (a parent's frame
        holding these points, in this order) when it does, else read from the catalog."""
        meta = None
        wanted = ["id", *POINT_COLUMNS, *SYMMETRY_COLUMNS]
        if (known is not None and len(known) == len(stored.ids)
                and set(wanted) <= set(known.columns)):
            candidate = known[wanted].reset_index(drop=True)
            if candidate["id"].tolist() == list(stored.ids):
                meta = candidate
        if meta is None:
            meta = point_metadata(engine, stored.ids)
        frame = meta.assign(x=stored.xy[:, 0], y=stored.xy[:, 1])
        frame = frame[["id", "x", "y", *[c for c in meta.columns if c != "id"]]]
        return cls(engine, stored, frame)

    @classmethod
    def load(cls, engine: Engine, projection_id: uuid.UUID | str) -> Projection:
        """A stored projection by id (LookupError if there is none)."""
        return cls.from_stored(engine, load_projection(engine, projection_id))

    # -- what it is ---------------------------------------------------------------
    @property
    def id(self) -> uuid.UUID:
        return self._stored.id

    @property
    def parent_id(self) -> uuid.UUID | None:
        return self._stored.parent_id

    @property
    def params(self) -> dict[str, Any]:
        """The parameters used (seed and epochs as chosen), "requested" as given."""
        return self._stored.params

    @property
    def model(self) -> str:
        return self._stored.model.name

    @property
    def where(self) -> str | None:
        return self._stored.where

    @property
    def selection(self) -> dict[str, Any] | None:
        return self._stored.selection

    @property
    def cached(self) -> bool:
        """True when this request was answered from the stored projections."""
        return self._stored.cached

    @property
    def timings(self) -> dict[str, Any]:
        return self._stored.timings

    @property
    def xy(self) -> np.ndarray:
        return self._stored.xy

    @property
    def columns(self) -> pd.Index:
        return self.frame.columns

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "frame":
            raise AttributeError(name)
        if name in self.frame.columns:
            return self.frame[name]
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def __repr__(self) -> str:
        origin = f"where={self.where!r}" if self.parent_id is None else (
            f"parent={str(self.parent_id)[:8]}, selection={(self.selection or {}).get('kind')}")
        return (f"Projection({str(self.id)[:8]}, {len(self)} points, {origin}, "
                f"model={self.model!r}, {self._stored.params_repr})")

    # -- lineage ------------------------------------------------------------------
    def parent(self) -> Projection | None:
        return None if self.parent_id is None else Projection.load(self._engine, self.parent_id)

    def lineage(self) -> pd.DataFrame:
        """One row per level, from the root down to this projection."""
        return pd.DataFrame(lineage(self._engine, self.id))

    def depth(self) -> int:
        return len(lineage(self._engine, self.id)) - 1

    def reproduce(self) -> np.ndarray:
        """Recompute the coordinates from the stored subset and parameters (not stored):
        equal to `xy` when the stored vectors are unchanged."""
        used = {k: v for k, v in self.params.items() if k != "requested"}
        params = ProjectParams(**used)
        with self._engine.connect() as conn:
            vectors = fetch_vectors(conn, self._stored.model, self._stored.ids)
        start = None
        if params.init == "parent" and self.parent_id is not None:  # the parent's stored map
            start = parent_points(load_projection(self._engine, self.parent_id),
                                  self._stored.ids)
        coords, _ = compute_layout(vectors, params, start=start)
        return coords

    # -- recursion ----------------------------------------------------------------
    def select(self, what: Any = None, *, ids: Iterable[Any] | None = None,
               box: Sequence[float] | None = None,
               polygon: Sequence[Sequence[float]] | None = None) -> Selection:
        """Choose points by scan ids, a box (x0, y0, x1, y1), a polygon [(x, y), ...] or a
        boolean mask; `.project()` on the result re-projects those points alone."""
        given = [v is not None for v in (what, ids, box, polygon)]
        if sum(given) != 1:
            raise ProjectionError("select takes exactly one of: ids, box, polygon, a mask")
        if what is not None:
            ids, box, polygon, mask = _classify(what, len(self))
        else:
            mask = None
        xy = self.xy
        if box is not None:
            x0, y0, x1, y1 = (float(v) for v in box)
            (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))
            mask = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
            how: dict[str, Any] = {"kind": "box", "box": [x0, y0, x1, y1]}
        elif polygon is not None:
            vertices = np.asarray(polygon, dtype=np.float64)
            if vertices.ndim != 2 or vertices.shape[1] != 2 or len(vertices) < 3:
                raise ProjectionError("polygon must be at least 3 (x, y) vertices")
            mask = inside_polygon(xy, vertices)
            how = {"kind": "polygon", "polygon": vertices.tolist()}
        elif ids is not None:
            wanted = {uuid.UUID(str(i)) for i in ids}
            known = set(self._stored.ids)
            unknown = wanted - known
            if unknown:
                raise ProjectionError(f"{len(unknown)} of the ids are not points of projection "
                                      f"{self.id}, e.g. {sorted(map(str, unknown))[0]}")
            mask = np.array([i in wanted for i in self._stored.ids], dtype=bool)
            how = {"kind": "ids", "n": int(mask.sum())}
        else:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(self),):
                raise ProjectionError(f"a mask must have one value per point ({len(self)})")
            how = {"kind": "mask", "n": int(mask.sum())}
        return Selection(self, mask, how)

    def project(self, **params: Any) -> Projection:
        """Re-project all of this projection's points (e.g. with other parameters)."""
        return self.select(np.ones(len(self), dtype=bool)).project(**params)

    # -- output -------------------------------------------------------------------
    def to_parquet(self, path: str | Path) -> Path:
        """The points and metadata, with the lineage in the file's metadata."""
        frame = self.frame.assign(id=self.frame["id"].astype(str))
        frame.attrs = {"projection_id": str(self.id), "parent_id": str(self.parent_id or ""),
                       "model": self.model, "where": self.where or "",
                       "params": repr(self.params)}
        frame.to_parquet(path, index=False)
        return Path(path)

    def plot(self, color_by: str | None = None, **kwargs: Any) -> Any:
        """The map with thumbnails of a random subset (`symcat.project.plot.map_figure`)."""
        from symcat.project.plot import map_figure

        return map_figure(self, color_by=color_by, **kwargs)

    def _repr_png_(self) -> bytes:
        from symcat.project.plot import figure_png

        return figure_png(self.plot(thumbnails=min(24, len(self))))

    @property
    def engine(self) -> Engine:
        return self._engine


@dataclasses.dataclass(frozen=True)
class Selection:
    """Points chosen from a projection, ready to be re-projected on their own."""

    parent: Projection
    mask: np.ndarray
    how: dict[str, Any]

    @property
    def ids(self) -> list[uuid.UUID]:
        return [i for i, keep in zip(self.parent._stored.ids, self.mask, strict=True) if keep]

    @property
    def frame(self) -> pd.DataFrame:
        return self.parent.frame[self.mask]

    def __len__(self) -> int:
        return int(self.mask.sum())

    def project(self, *, device: str | None = None, store_later: bool = False,
                **overrides: Any) -> Projection:
        """A child projection of these points; parameters default to the parent's request,
        except the start: the points' places on the parent map (init="parent", fewer
        epochs: `symcat.project.layout.CHILD_EPOCHS`) unless `init` is given.
        `store_later`: return the map at once and store it in the background
        (`symcat.project.writes`; readers in this process wait for it)."""
        stored = self.parent._stored
        requested = dict(stored.params.get("requested") or {})
        unknown = set(overrides) - {f.name for f in dataclasses.fields(ProjectParams)}
        if unknown:
            raise ProjectionError(f"unknown projection parameters: {sorted(unknown)}")
        params = ProjectParams(**{**requested, "init": "parent", **overrides})
        ids = self.ids
        if not ids:
            raise ProjectionError("the selection is empty: nothing to project")
        held = cache.vectors.get(stored.id)
        vectors = held[1][self.mask] if held is not None else None
        child = run_projection(
            self.parent.engine, model=stored.model.name, params=params, parent=stored, ids=ids,
            selection=self.how, vectors=vectors, device=device, store_later=store_later,
        )
        # The parent's frame already holds these points' metadata (a child's ids are the
        # selected ones, in the same order): no second read of thousands of rows.
        return Projection.from_stored(self.parent.engine, child, known=self.frame)


def inside_polygon(points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Even-odd rule: which points lie inside the polygon (vectorized over points)."""
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    inside = np.zeros(len(points), dtype=bool)
    x0, y0 = vertices[-1]
    for x1, y1 in vertices:
        crosses = (y1 > y) != (y0 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (x0 - x1) * (y - y1) / (y0 - y1) + x1
        inside ^= crosses & (x < at)
        x0, y0 = x1, y1
    return inside


def _classify(what: Any, n: int) -> tuple[Any, Any, Any, Any]:
    """A positional selection as (ids, box, polygon, mask)."""
    if isinstance(what, pd.Series | np.ndarray) and what.dtype == bool:
        return None, None, None, np.asarray(what)
    items = list(what)
    if len(items) == 4 and all(isinstance(v, int | float | np.number) for v in items):
        return None, items, None, None
    if items and all(isinstance(v, tuple | list | np.ndarray) and len(v) == 2 for v in items):
        return None, None, items, None
    return items, None, None, None


def project_catalog(engine: Engine, where: str | None, filters: dict[str, Any], *, model: str,
                    params: ProjectParams, device: str | None = None) -> Projection:
    """A root projection of the scans passing the filters (served from the store if made)."""
    stored = run_projection(engine, model=model, params=params, where=where, filters=filters,
                            device=device)
    return Projection.from_stored(engine, stored)
