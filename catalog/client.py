"""`Catalog`: the one object through which Python users, the CLI and the dashboard work.

It returns pandas DataFrames and numpy arrays, and hands out ORM sessions to
power users. Connection choice (URL or embedded) is made once, from settings.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from symcat.config import Settings
from symcat.query.filters import compile_filters
from symcat.store.engine import get_engine
from symcat.store.models import Channel, OriginalFile, Refusal, Scan
from symcat.store.pixels import dequantize_u16

if TYPE_CHECKING:
    from symcat.pipeline import IngestSummary

STANDARD_COLUMNS = (
    "id",
    "record_kind",
    "imaging_mode",
    "acquired_at",
    "site",
    "instrument",
    "instrument_model",
    "sample_name",
    "material",
    "operator",
    "project",
    "scan_size_x_m",
    "scan_size_y_m",
    "pixels_x",
    "pixels_y",
    "scan_rate_hz",
    "drive_frequency_hz",
    "spring_constant_n_m",
    "invols_m_v",
    "uncalibrated",
    "channel_names",
    "file_name",
    "source_path",
    "file_sha256",
    "ingested_at",
)


class ScanNotFound(LookupError):
    """No scan has this id in the catalog."""


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


class Catalog:
    """A catalog database: `Catalog()` for the embedded one, `Catalog(url)` for a server."""

    def __init__(self, url: str | None = None, *, settings: Settings | None = None) -> None:
        if settings is not None and url is not None:
            raise ValueError("give either url or settings, not both")
        self.settings = settings or Settings.from_env(database_url=url)
        self._engine: Engine | None = None

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
    def scans(self, *, limit: int | None = None, **filters: Any) -> pd.DataFrame:
        """Scans matching keyword filters (see `symcat.query.filters`), newest first."""
        columns = [getattr(Scan, name) for name in STANDARD_COLUMNS]
        query = select(*columns).where(*compile_filters(filters))
        query = query.order_by(Scan.acquired_at.desc().nulls_last(), Scan.file_name)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=list(STANDARD_COLUMNS))

    def count(self, **filters: Any) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(Scan).where(*compile_filters(filters))
            return int(conn.execute(query).scalar_one())

    def scan(self, scan_id: uuid.UUID | str) -> ScanData:
        """One scan's document and channels (de-quantized from the stored uint16 pixels)."""
        key = uuid.UUID(str(scan_id))
        with self.engine.connect() as conn:
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

    def original_bytes(self, scan_id: uuid.UUID | str) -> bytes:
        """The instrument file exactly as ingested; its sha256 is checked before returning."""
        key = uuid.UUID(str(scan_id))
        with self.engine.connect() as conn:
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
        content = self.original_bytes(scan_id)
        with self.engine.connect() as conn:
            name = conn.execute(
                select(Scan.file_name).where(Scan.id == uuid.UUID(str(scan_id)))
            ).scalar_one()
        target = Path(folder) / name
        target.write_bytes(content)
        return target

    def refusals(self) -> pd.DataFrame:
        """Files that were not catalogued, with their reasons."""
        columns = ["source_path", "reason", "file_sha256", "file_size_bytes", "times_seen",
                   "last_seen_at"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*[getattr(Refusal, c) for c in columns]).order_by(Refusal.source_path)
            ).all()
        return pd.DataFrame(rows, columns=columns)


def _unique_name(name: str, taken: dict[str, Any]) -> str:
    """Channel names can repeat in odd files; suffix repeats so none is lost."""
    if name not in taken:
        return name
    n = 2
    while f"{name}#{n}" in taken:
        n += 1
    return f"{name}#{n}"
