"""Listing scans: the standard columns of those passing a filter, newest first.

Plain rows, no pandas, so that `symcat scans` starts fast; `Catalog.scans`
wraps the same rows in a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, Row, select

from symcat.query.expr import scan_conditions
from symcat.store.models import Scan

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


def scan_rows(engine: Engine, where: str | None = None, filters: Mapping[str, Any] | None = None,
              *, limit: int | None = None) -> list[Row[Any]]:
    """The STANDARD_COLUMNS of the scans matching `where` and keyword `filters`."""
    columns = [getattr(Scan, name) for name in STANDARD_COLUMNS]
    query = select(*columns).where(*scan_conditions(where, filters or {}))
    query = query.order_by(Scan.acquired_at.desc().nulls_last(), Scan.file_name)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


__all__ = ["STANDARD_COLUMNS", "scan_rows"]
