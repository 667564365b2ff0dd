"""Listing scans: the standard columns of those passing a filter, newest first, and
each scan's plane group under the newest symmetry model that answered for it.

Plain rows, no pandas, so that `symcat scans` starts fast; `Catalog.scans`
wraps the same rows in a DataFrame.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Row, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, distinct_on

from symcat.query.expr import scan_conditions
from symcat.query.filters import edge_in_metres, newest_symmetry_first
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


class NewestSymmetry(NamedTuple):
    """A scan's plane group (or "none") under its newest symmetry model, the calibrated p,
    and the cell edges that prediction found, in metres (None where it found no lattice
    or the scan size is unknown). Its fields are the filters' names."""

    symmetry: str
    symmetry_p: float
    lattice_a_m: float | None
    lattice_b_m: float | None


# the `symmetry`, `symmetry_p`, `lattice_a_m` and `lattice_b_m` filters' values, shown
# beside the standard columns
SYMMETRY_COLUMNS: tuple[str, ...] = NewestSymmetry._fields


def newest_symmetry(conn: Connection, ids: Sequence[uuid.UUID]
                    ) -> dict[uuid.UUID, NewestSymmetry]:
    """`NewestSymmetry` of each of ``ids`` that has a prediction, under its newest symmetry
    model (as the `symmetry` filter reads it); one query."""
    if not ids:
        return {}
    wanted = bindparam("ids", list(ids), type_=ARRAY(UUID(as_uuid=True)))
    query = (select(SymmetryPrediction.scan_id, SymmetryPrediction.symmetry,
                    SymmetryPrediction.probability,
                    edge_in_metres(SymmetryPrediction.period_a_px).label("a_m"),
                    edge_in_metres(SymmetryPrediction.period_b_px).label("b_m"))
             .select_from(SymmetryPrediction)
             .join(EmbeddingModel, EmbeddingModel.id == SymmetryPrediction.model_id)
             .join(Scan, Scan.id == SymmetryPrediction.scan_id)
             .where(SymmetryPrediction.scan_id == any_(wanted))
             .order_by(SymmetryPrediction.scan_id, *newest_symmetry_first())
             .ext(distinct_on(SymmetryPrediction.scan_id)))
    return {row.scan_id: NewestSymmetry(row.symmetry, float(row.probability), _float(row.a_m),
                                        _float(row.b_m))
            for row in conn.execute(query)}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def stored_symmetry(conn: Connection, scan_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every symmetry model's stored prediction for one scan, the newest model first (the
    one the filters read), its cell edges in the scan's pixel widths and in metres."""
    prediction = SymmetryPrediction
    query = (select(EmbeddingModel.name.label("model"), prediction.symmetry,
                    prediction.probability.label("p"), prediction.top_group, prediction.p_none,
                    prediction.reason, prediction.period_a_px, prediction.period_b_px,
                    edge_in_metres(prediction.period_a_px).label("lattice_a_m"),
                    edge_in_metres(prediction.period_b_px).label("lattice_b_m"),
                    prediction.angle_deg, prediction.created_at)
             .select_from(prediction)
             .join(EmbeddingModel, EmbeddingModel.id == prediction.model_id)
             .join(Scan, Scan.id == prediction.scan_id)
             .where(prediction.scan_id == scan_id)
             .order_by(*newest_symmetry_first()))
    return [dict(row._mapping) for row in conn.execute(query)]


def symmetry_columns(groups: Mapping[uuid.UUID, NewestSymmetry], ids: Sequence[uuid.UUID]
                     ) -> dict[str, list[Any]]:
    """`SYMMETRY_COLUMNS` of ``ids``, in their order, from `newest_symmetry`'s ``groups``:
    None (the group) and NaN (the numbers) where nothing is stored."""
    columns: dict[str, list[Any]] = {"symmetry": [groups[i].symmetry if i in groups else None
                                                  for i in ids]}
    for name in SYMMETRY_COLUMNS[1:]:
        values = (getattr(groups[i], name) if i in groups else None for i in ids)
        columns[name] = [math.nan if v is None else v for v in values]
    return columns


__all__ = ["STANDARD_COLUMNS", "SYMMETRY_COLUMNS", "NewestSymmetry", "newest_symmetry",
           "scan_rows", "stored_symmetry", "symmetry_columns"]
