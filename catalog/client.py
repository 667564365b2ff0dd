"""`Catalog`: the one object through which Python users, the CLI and the dashboard work.

It returns pandas DataFrames and numpy arrays, and hands out ORM sessions to
power users. Connection choice (URL or embedded) is made once, from settings.
"""

from __future__ import annotations

import hashlib
import math
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from symcat.config import Settings
from symcat.query.expr import scan_conditions
from symcat.query.ids import IdError as IdError  # re-exported: what id mistakes raise
from symcat.query.ids import ScanNotFound, resolve_id
from symcat.query.listing import (
    STANDARD_COLUMNS,
    newest_symmetry,
    scan_rows,
    symmetry_columns,
)
from symcat.store.engine import get_engine
from symcat.store.models import Channel, OriginalFile, Refusal, Scan
from symcat.store.pixels import dequantize_u16

if TYPE_CHECKING:
    from symcat.pipeline import IngestSummary



@dataclass(frozen=True)
class ScanData:
    """One scan with its metadata document and its channels as arrays (physical units)."""

    id: uuid.UUID
    document: dict[str, Any]
    channels: dict[str, np.ndarray]
    thumbnails: dict[str, bytes | None]

    @property
    def kind(self) -> str:
        return str(self.document["record_kind"])

    def __repr__(self) -> str:
        from symcat.display import scan_repr

        return scan_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: every channel in its colour map, with colour and scale bars."""
        from symcat.display import scan_html

        return scan_html(self)


class Catalog:
    """A catalog database: `Catalog()` for the embedded one, `Catalog(url)` for a server."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None) -> None:
        if settings is not None and url is not None:
            raise ValueError("give either url or settings, not both")
        self.settings = settings or Settings.from_env(database_url=url)
        self._engine: Engine | None = None
        self._extractors: dict[str, Any] = {}  # query-image extractors, loaded once each

    def __repr__(self) -> str:
        where = self.settings.database_url or f"embedded:{self.settings.data_dir}"
        return f"Catalog({where!r})"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = get_engine(self.settings)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session for power users; commits on success, rolls back on error."""
        with Session(self.engine) as session, session.begin():
            yield session

    # -- writing -----------------------------------------------------------
    def ingest(
        self, paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None,
        progress: bool = False,
    ) -> IngestSummary:
        """Ingest files or folders (recursively); repeated runs add nothing new."""
        from symcat.pipeline import ingest_paths

        self.engine  # noqa: B018  (start and upgrade before workers fork)
        return ingest_paths(self.settings, paths, jobs=jobs, progress=progress)

    # -- reading -----------------------------------------------------------
    @property
    def labels(self) -> Any:
        """Label sets, human labels, CSV import, propagation (`symcat.labels.client.Labels`)."""
        from symcat.labels.client import Labels

        return Labels(self.engine)

    def scans(
        self, where: str | None = None, *, limit: int | None = None, with_labels: bool = False,
        **filters: Any,
    ) -> pd.DataFrame:
        """Scans matching a filter expression and keyword filters, newest first.

        `where` is the filter language of `symcat.query.expr` ("mode in (pfm,
        dart_pfm) and scan_size_x_m >= 2um"); keyword filters are described in
        `symcat.query.filters` (`sample="PZT*"`, `scan_size_x_m=(1e-6, 5e-6)`).
        `symmetry` and `symmetry_p` are each scan's plane group (or "none") and its
        calibrated probability under the newest symmetry model that answered for it (empty
        where none has: `symcat embed` stores them); `lattice_a_m` and `lattice_b_m` the
        cell edges that model found, in metres. `with_labels` adds `label.<set>`,
        `predicted.<set>` and `predicted_p.<set>` columns.
        """
        rows = scan_rows(self.engine, where, filters, limit=limit)
        frame = pd.DataFrame(rows, columns=list(STANDARD_COLUMNS))
        with self.engine.connect() as conn:
            ids = list(frame["id"])
            columns = symmetry_columns(newest_symmetry(conn, ids), ids)
        frame["symmetry"] = columns.pop("symmetry")
        for name, values in columns.items():
            frame[name] = np.array(values, dtype=float)
        if with_labels:
            from symcat.labels.store import wide_labels

            with self.engine.connect() as conn:
                wide = wide_labels(conn, list(frame["id"]))
            frame = frame.join(wide, on="id") if len(wide.columns) else frame
        return frame

    def count(self, where: str | None = None, **filters: Any) -> int:
        with self.engine.connect() as conn:
            conditions = scan_conditions(where, filters)
            query = select(func.count()).select_from(Scan).where(*conditions)
            return int(conn.execute(query).scalar_one())

    def resolve(self, scan_id: uuid.UUID | str) -> uuid.UUID:
        """The full id of a scan given by id or unique prefix (>= 6 hex digits, as
        `symcat scans` shows); `IdError` (one line) when none or several match."""
        with self.engine.connect() as conn:
            return resolve_id(conn, Scan.id, scan_id)

    def scan(self, scan_id: uuid.UUID | str) -> ScanData:
        """One scan's document and channels (de-quantized from the stored uint16 pixels);
        `scan_id` may be a unique prefix."""
        with self.engine.connect() as conn:
            key = resolve_id(conn, Scan.id, scan_id)
            document = conn.execute(select(Scan.document).where(Scan.id == key)).scalar()
            if document is None:
                raise ScanNotFound(f"no scan with id {key} in {self!r}")
            rows = conn.execute(
                select(
                    Channel.name, Channel.shape, Channel.min, Channel.max,
                    Channel.pixels_u16, Channel.thumbnail_png,
                )
                .where(Channel.scan_id == key)
                .order_by(Channel.index)
            ).all()
        channels: dict[str, np.ndarray] = {}
        thumbnails: dict[str, bytes | None] = {}
        for channel in rows:
            name = _unique_name(channel.name, channels)
            channels[name] = dequantize_u16(
                channel.pixels_u16, tuple(channel.shape), channel.min, channel.max
            )
            thumbnails[name] = channel.thumbnail_png
        return ScanData(key, document, channels, thumbnails)

    def thumbnails(
        self, ids: Sequence[uuid.UUID | str], channel: str | None = "height"
    ) -> dict[uuid.UUID, bytes]:
        """One stored PNG thumbnail per scan (the channel named like `channel`, else the
        first), in one query: for maps and tooltips over thousands of scans."""
        from symcat.query.thumbnails import thumbnails

        return thumbnails(self.engine, [uuid.UUID(str(i)) for i in ids], channel)

    def original_bytes(self, scan_id: uuid.UUID | str) -> bytes:
        """The instrument file exactly as ingested; its sha256 is checked before returning."""
        with self.engine.connect() as conn:
            key = resolve_id(conn, Scan.id, scan_id)
            row = conn.execute(
                select(OriginalFile.file_sha256, OriginalFile.content)
                .join(Scan, Scan.file_sha256 == OriginalFile.file_sha256)
                .where(Scan.id == key)
            ).first()
        if row is None:
            raise ScanNotFound(f"no scan with id {key} in {self!r}")
        sha, content = row
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha:
            raise OSError(f"stored original of scan {key} is damaged: sha256 {actual} != {sha}")
        return bytes(content)

    def save_original(self, scan_id: uuid.UUID | str, folder: str | os.PathLike[str]) -> Path:
        """Write the original file into `folder` under its recorded file name."""
        key = self.resolve(scan_id)
        content = self.original_bytes(key)
        with self.engine.connect() as conn:
            name = conn.execute(select(Scan.file_name).where(Scan.id == key)).scalar_one()
        target = Path(folder) / name
        target.write_bytes(content)
        return target

    def refusals(self) -> pd.DataFrame:
        """Files that were not catalogued, with their reasons (not those resolved since, by
        the file or a later version at its path being catalogued)."""
        columns = ["source_path", "reason", "file_sha256", "file_size_bytes", "times_seen",
                   "last_seen_at"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*[getattr(Refusal, c) for c in columns])
                .where(Refusal.resolved_at.is_(None)).order_by(Refusal.source_path)
            ).all()
        return pd.DataFrame(rows, columns=columns)

    # -- embeddings and similarity (docs/embeddings.md) ----------------------
    def embed(
        self, model: str | None = None, *, where: str | None = None,
        batch_size: int = 64, device: str | None = None, workers: int | None = None,
        rebuild: bool = False, progress: bool = False, compile_model: bool | None = None,
        **filters: Any,
    ) -> Any:
        """Embed every image scan (matching filters) that has no vector for `model` yet.
        `compile_model`: through torch.compile (each image shape costs a compile at the
        start); None: on a CPU for runs of 500 scans or more (`symcat.embed.compiled`)."""
        from symcat.embed.registry import default_extractor
        from symcat.embed.run import embed_catalog

        return embed_catalog(
            self.engine, model or default_extractor(), where=where, filters=filters,
            batch_size=batch_size, device=device, workers=workers, rebuild=rebuild,
            progress=progress, compile_model=compile_model,
        )

    def neighbors(
        self, scan_or_image: Any, k: int = 9, *, where: str | None = None,
        model: str | None = None, include_self: bool = False, plan: str = "auto",
        **filters: Any,
    ) -> pd.DataFrame:
        """The k scans most similar to a scan (id) or an image (array or {channel: array}),
        among those passing the filters: distance (1 - correlation) and metadata."""
        from symcat.embed.registry import default_extractor
        from symcat.query.knn import find_model, knn, query_vector

        name = model or default_extractor()
        exclude: list[uuid.UUID] = []
        with self.engine.connect() as conn:
            key = None  # an unknown scan is reported before a missing model
            if isinstance(scan_or_image, uuid.UUID | str):
                key = resolve_id(conn, Scan.id, scan_or_image)
            stored = find_model(conn, name)
            if key is not None:
                vector = query_vector(conn, stored, key)
                exclude = [] if include_self else [key]
            else:
                vector = self._embed_image(stored, scan_or_image)
            found, used = knn(conn, stored, vector, k, filters, where=where,
                              exclude=exclude, plan=plan)  # type: ignore[arg-type]
        hits = pd.DataFrame(found, columns=["id", "distance"])
        meta = self.scans(id=list(hits["id"])) if len(hits) else self.scans(limit=0)
        frame = hits.merge(meta, on="id", how="left")
        frame.insert(0, "rank", range(1, len(frame) + 1))
        frame.attrs.update(model=stored.name, plan=used)
        from symcat.display import NeighborFrame

        result = NeighborFrame(frame)
        result.attrs.update(frame.attrs)
        result.catalog = self
        result.query_id = key if isinstance(scan_or_image, uuid.UUID | str) else None
        return result

    def _embed_image(self, stored: Any, image: Any) -> Any:
        """The query image's vector, by the extractor that made the stored ones."""
        from symcat.embed.registry import create_extractor, get_cfg
        from symcat.embed.run import embed_channels

        if get_cfg(stored.family).model_id != stored.name:
            raise LookupError(f"the stored vectors are {stored.name}, but this installation "
                              f"computes {get_cfg(stored.family).model_id}; embed again")
        if stored.name not in self._extractors:
            self._extractors[stored.name] = create_extractor(stored.family)
        extractor = self._extractors[stored.name]
        if isinstance(image, ScanData):
            units = {c["name"]: c.get("unit") for c in image.document.get("channels", [])}
            return embed_channels(extractor, image.channels, image.document.get("imaging_mode"),
                                  units)
        return embed_channels(extractor, image)

    # -- plane groups of any image (docs/embeddings.md#plane-groups-of-any-image) ---------
    def plane_groups(self, images: Any, *, model: str | None = None,
                     device: str | None = None, workers: int | None = None,
                     progress: bool = False, pixel_aspect: float | None = None,
                     ) -> pd.DataFrame:
        """The plane group (or "none", with the reason) of each image, under a symmetry
        model (default: the newest): files or folders (PNG, JPEG, TIFF, BMP, GIF, WebP,
        .npy, .ibw), 2-D or colour arrays, {channel: array}, `ScanData`, or scan ids; one
        of them or a list.
        One row per image (`symcat.embed.plane_groups.COLUMNS`): calibrated p, top 3,
        lattice; an image that cannot be read or used has its reason in ``error``.
        ``pixel_aspect``: pixel height over width of the pictures and arrays, which carry
        no pixel size (v32 reads them resampled to square pixels); `.ibw` files and scans
        use their own metadata's."""
        from symcat.embed.plane_groups import (
            COLUMNS,
            ImageInput,
            catalogued_input,
            classify,
            image_files,
            load_extractor,
            read_inputs,
            symmetry_model,
        )
        from symcat.embed.run import resolve_device

        if pixel_aspect is not None and not (math.isfinite(pixel_aspect) and pixel_aspect > 0):
            raise ValueError(f"pixel_aspect {pixel_aspect!r}: give a pixel's height over its "
                             "width, a positive number (2 for 512 points x 256 lines over a "
                             "square area)")
        one = isinstance(images, str | Path | uuid.UUID | np.ndarray | dict | ScanData) \
            or not isinstance(images, Iterable)  # a number: a row saying what to give
        inputs: list[ImageInput] = []
        for i, item in enumerate([images] if one else list(images)):
            if isinstance(item, str | Path) and (isinstance(item, Path) or _looks_like_path(item)):
                inputs += read_inputs(((str(p), p) for _, p in image_files([item])),
                                      pixel_aspect) \
                    if Path(item).exists() else \
                    [ImageInput(str(item), error="cannot read: no such file or folder")]
                continue
            if isinstance(item, str | uuid.UUID):
                item = self.scan(item)  # a scan id (or a clear IdError)
            if isinstance(item, ScanData):
                inputs.append(catalogued_input(str(item.id), item.channels, item.document))
            elif isinstance(item, np.ndarray | dict):
                inputs.append(ImageInput(f"image {i}", item, pixel_aspect=pixel_aspect))
            else:
                inputs.append(ImageInput(f"image {i}", error=f"cannot read a "
                                         f"{type(item).__name__}; give a file, an array or "
                                         "a scan id"))
        name, dev = symmetry_model(model), resolve_device(device)
        key = f"plane groups {name} {dev}"
        if key not in self._extractors:
            self._extractors[key] = load_extractor(name, dev)
        rows = classify(inputs, name, workers=workers, progress=progress, total=len(inputs),
                        extractor=self._extractors[key])
        frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
        frame.attrs.update(model=name)
        return frame

    # -- federation (docs/federation.md) ---------------------------------------------
    @property
    def federation(self) -> Any:
        """Sharing rules and publishing at a lab; labs and their status at a hub
        (`symcat.federation.api.Federation`)."""
        from symcat.federation.api import Federation

        return Federation(self.settings)

    # -- saved selections (docs/filters.md#saved-selections) -----------------------------
    def save_selection(self, name: str, ids: Sequence[uuid.UUID | str], *,
                       where: str | None = None, projection_id: Any = None,
                       replace: bool = False) -> int:
        """Save scans under `name`, usable later as the filter `selection = "name"`."""
        from symcat.project import writes
        from symcat.query.selections import save_selection

        if projection_id is not None:
            writes.wait()  # a map this process is still storing (the dashboard's) exists
        return save_selection(self.engine, name, ids, where=where,
                              projection_id=projection_id, replace=replace)

    def selections(self) -> pd.DataFrame:
        """Every saved selection (name, n_scans, where_text, projection_id, created_at)."""
        from symcat.query.selections import list_selections

        return list_selections(self.engine)

    def delete_selection(self, name: str) -> bool:
        from symcat.query.selections import delete_selection

        return delete_selection(self.engine, name)

    # -- projections (docs/projections.md) -------------------------------------------
    def project(
        self, where: str | None = None, *, model: str | None = None, n_neighbors: int = 5,
        min_dist: float = 0.3, metric: str = "correlation", random_state: int | None = None,
        n_epochs: int | None = None, device: str | None = None, **filters: Any,
    ) -> Any:
        """A UMAP projection (`symcat.project.Projection`) of the scans passing the filters;
        `.select(...).project()` on it re-projects a region, to any depth."""
        from symcat.embed.registry import default_extractor
        from symcat.project.layout import ProjectParams
        from symcat.project.projection import project_catalog
        from symcat.project.warm import prepare

        prepare(self.settings.data_dir)
        params = ProjectParams(n_neighbors=n_neighbors, min_dist=min_dist, metric=metric,
                               random_state=random_state, n_epochs=n_epochs)
        return project_catalog(self.engine, where, filters, model=model or default_extractor(),
                               params=params, device=device)

    def projection(self, projection_id: uuid.UUID | str) -> Any:
        """A stored projection by id or unique prefix, with its points and lineage."""
        from symcat.project import writes
        from symcat.project.projection import Projection
        from symcat.store.models import Projection as ProjectionRow

        writes.wait()  # maps this process is still storing are found too
        with self.engine.connect() as conn:
            key = resolve_id(conn, ProjectionRow.id, projection_id, what="projection")
        return Projection.load(self.engine, key)


def _looks_like_path(text: str) -> bool:
    """A string naming a file or folder rather than a scan id (hex digits and dashes)."""
    return os.sep in text or "/" in text or Path(text).exists() or \
        not all(c in "0123456789abcdefABCDEF-" for c in text)


def _unique_name(name: str, taken: dict[str, Any]) -> str:
    """Channel names can repeat in odd files; suffix repeats so none is lost."""
    if name not in taken:
        return name
    n = 2
    while f"{name}#{n}" in taken:
        n += 1
    return f"{name}#{n}"

