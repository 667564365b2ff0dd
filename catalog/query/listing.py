"""Listing scans: the standard columns of those passing a filter, newest first, and
each scan's plane group under the newest symmetry model that answered for it.

Plain rows, no pandas, so that `symcat scans` starts fast; `Catalog.scans`
wraps the same rows in a DataFrame.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, distinct_on

from symcat.query.expr import scan_conditions
from symcat.query.filters import newest_symmetry_first
from symcat.store.models import EmbeddingModel, Scan, SymmetryPrediction

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


# the `symmetry` and `symmetry_p` filters' values, shown beside the standard columns
SYMMETRY_COLUMNS = ("symmetry", "symmetry_p")


def newest_symmetry(conn: Connection, ids: Sequence[uuid.UUID]
                    ) -> dict[uuid.UUID, tuple[str, float]]:
    """(plane group or "none", calibrated p) of each of ``ids`` that has a prediction,
    under its newest symmetry model (as the `symmetry` filter reads it); one query."""
    if not ids:
        return {}
    wanted = bindparam("ids", list(ids), type_=ARRAY(UUID(as_uuid=True)))
    query = (select(SymmetryPrediction.scan_id, SymmetryPrediction.symmetry,
                    SymmetryPrediction.probability)
             .join(EmbeddingModel, EmbeddingModel.id == SymmetryPrediction.model_id)
             .where(SymmetryPrediction.scan_id == any_(wanted))
             .order_by(SymmetryPrediction.scan_id, *newest_symmetry_first())
             .ext(distinct_on(SymmetryPrediction.scan_id)))
    return {row.scan_id: (row.symmetry, float(row.probability))
            for row in conn.execute(query)}


def symmetry_columns(groups: Mapping[uuid.UUID, tuple[str, float]], ids: Sequence[uuid.UUID]
                     ) -> dict[str, list[Any]]:
    """`SYMMETRY_COLUMNS` of ``ids``, in their order, from `newest_symmetry`'s ``groups``:
    None and NaN where no prediction is stored."""
    return {"symmetry": [groups[i][0] if i in groups else None for i in ids],
            "symmetry_p": [groups[i][1] if i in groups else math.nan for i in ids]}


__all__ = ["STANDARD_COLUMNS", "SYMMETRY_COLUMNS", "newest_symmetry", "scan_rows",
           "symmetry_columns"]
