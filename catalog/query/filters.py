"""Keyword filters over the standard columns, compiled to parameterized SQL clauses.

`scans(sample="PZT-12", mode=["pfm", "dart_pfm"], scan_size_x_m=(1e-6, 5e-6))`:
a scalar means equality (a string with * or ? is a case-insensitive pattern), a
list or set means "any of", a (low, high) tuple means an inclusive range where
None leaves that side open. Values are always bound parameters, never text
pasted into SQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, func, select
from sqlalchemy.orm import InstrumentedAttribute

from symcat.store.models import EmbeddingModel, Scan, SymmetryPrediction

# Public filter name -> column. Aliases keep the client short to type.
FILTER_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Scan.id,
    "sha256": Scan.file_sha256,
    "kind": Scan.record_kind,
    "record_kind": Scan.record_kind,
    "mode": Scan.imaging_mode,
    "imaging_mode": Scan.imaging_mode,
    "site": Scan.site,
    "instrument": Scan.instrument,
    "instrument_model": Scan.instrument_model,
    "sample": Scan.sample_name,
    "sample_name": Scan.sample_name,
    "material": Scan.material,
    "operator": Scan.operator,
    "project": Scan.project,
    "file_name": Scan.file_name,
    "source_path": Scan.source_path,
    "acquired_at": Scan.acquired_at,
    "ingested_at": Scan.ingested_at,
    "scan_size_x_m": Scan.scan_size_x_m,
    "scan_size_y_m": Scan.scan_size_y_m,
    "pixels_x": Scan.pixels_x,
    "pixels_y": Scan.pixels_y,
    "scan_rate_hz": Scan.scan_rate_hz,
    "scan_angle_deg": Scan.scan_angle_deg,
    "drive_frequency_hz": Scan.drive_frequency_hz,
    "drive_amplitude_v": Scan.drive_amplitude_v,
    "tip_bias_v": Scan.tip_bias_v,
    "sample_bias_v": Scan.sample_bias_v,
    "spring_constant_n_m": Scan.spring_constant_n_m,
    "uncalibrated": Scan.uncalibrated,
}



def _newest_symmetry(column: Any) -> Any:
    """A scan's value of `column` in its newest symmetry model's prediction (or null).

    Newest by version (``symcat_symmetry.v12@<weights>-pp1`` over ``.v9@...``): model
    ids are hashes of the names (migration 0005), so the highest id is no order at all,
    and re-running an older version to compare must not change what the filter answers.
    Names without a version come after versioned ones, the one registered last first.
    """
    return (select(column).select_from(SymmetryPrediction)
            .join(EmbeddingModel, EmbeddingModel.id == SymmetryPrediction.model_id)
            .where(SymmetryPrediction.scan_id == Scan.id)
            .order_by(*newest_symmetry_first())
            .limit(1).scalar_subquery())


def newest_symmetry_first() -> list[Any]:
    """ORDER BY terms that put a scan's newest symmetry model's prediction first (joined
    with `EmbeddingModel`), as `_newest_symmetry` and `listing.newest_symmetry` read it."""
    version = func.substring(EmbeddingModel.name, r"\.v([0-9]+)(?:@[^@]*)?$").cast(Integer)
    return [version.desc().nulls_last(), EmbeddingModel.created_at.desc(),
            SymmetryPrediction.model_id.desc()]


def edge_in_metres(period_px: Any) -> Any:
    """A stored cell edge in metres. Predictions store edges in the scan's pixel widths
    (v32 resamples non-square pixels but reports in x widths), so one width, the scan's
    x size over its columns, converts both; computed when read, so a scan size corrected
    later converts the edges it found. Null where the size or the edge is unknown."""
    return period_px * Scan.scan_size_x_m / func.nullif(Scan.pixels_x, 0)


# Symmetry predictions (issue 12): `symmetry = p4m and symmetry_p >= 0.9`, `symmetry = none`,
# and the lattice the same prediction found, in metres: `lattice_a_m between 3um and 4um`.
FILTER_COLUMNS.update({
    "symmetry": _newest_symmetry(SymmetryPrediction.symmetry),
    "symmetry_p": _newest_symmetry(SymmetryPrediction.probability),
    "lattice_a_m": _newest_symmetry(edge_in_metres(SymmetryPrediction.period_a_px)),
    "lattice_b_m": _newest_symmetry(edge_in_metres(SymmetryPrediction.period_b_px)),
})


class FilterError(ValueError):
    """A filter that names an unknown column or has a value of the wrong shape."""


def _vocabularies() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Filter name -> (what it is, its closed vocabulary), from the metadata standard."""
    from symcat.ingest.records import IMAGING_MODES, RECORD_KINDS

    modes = ("imaging mode", IMAGING_MODES)
    kinds = ("record kind", RECORD_KINDS)
    return {"mode": modes, "imaging_mode": modes, "kind": kinds, "record_kind": kinds}


def _wildcard_regex(value: str) -> re.Pattern[str]:
    return re.compile(re.escape(value).replace(r"\*", ".*").replace(r"\?", "."), re.DOTALL)


def check_vocabulary(name: str, value: Any, where: str = "", *, pattern: bool = False) -> Any:
    """A mode or kind that exists (lower-cased, as stored), or FilterError listing the valid
    ones: `mode = DART` would otherwise silently match nothing. With `pattern` (a `~`
    match or a * ? pattern) at least one valid value must match."""
    entry = _vocabularies().get(name)
    if entry is None or not isinstance(value, str):
        return value
    what, valid = entry
    lowered = value.lower()
    if pattern:
        if "*" in value or "?" in value:
            regex = _wildcard_regex(lowered)
            matched = any(regex.fullmatch(v) for v in valid)
        else:
            matched = any(lowered in v for v in valid)
        if matched:
            return value
    elif lowered in valid:
        return lowered
    raise FilterError(f"unknown {what} {value!r}{where}; valid: {', '.join(valid)}")


def _pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _clause(name: str, column: InstrumentedAttribute[Any], value: Any) -> ColumnElement[bool]:
    if isinstance(value, tuple):
        if len(value) != 2:
            raise FilterError(f"{name}: a range is a (low, high) pair, got {len(value)} values")
        low, high = value
        parts = []
        if low is not None:
            parts.append(column >= low)
        if high is not None:
            parts.append(column <= high)
        if not parts:
            raise FilterError(f"{name}: a range needs a low or a high end")
        return and_(*parts)
    if isinstance(value, list | set | frozenset):
        if not value:
            raise FilterError(f"{name}: an empty list matches nothing; leave the filter out")
        return column.in_([_checked(name, v) for v in value])
    if value is None:
        return column.is_(None)
    if isinstance(value, str) and ("*" in value or "?" in value):
        check_vocabulary(name, value, pattern=True)
        return column.ilike(_pattern(value), escape="\\")
    value = _checked(name, value)
    if isinstance(value, str | int | float | bool | date | datetime) or hasattr(value, "hex"):
        return column == value
    raise FilterError(f"{name}: cannot filter on a value of type {type(value).__name__}")


def _checked(name: str, value: Any) -> Any:
    """A keyword filter's value, refused here when the database would fail on it."""
    if name == "id" and not isinstance(value, uuid.UUID):
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise FilterError(f"id: {value!r} is not a full scan id (32 hex digits); "
                              "Catalog.resolve() accepts a prefix") from None
    if isinstance(value, str) and ("\x00" in value or any(
            "\ud800" <= c <= "\udfff" for c in value)):
        raise FilterError(f"{name}: the value holds a NUL or lone surrogate character")
    return check_vocabulary(name, value)


def compile_filters(filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """Turn keyword filters into SQLAlchemy clauses; unknown names fail with the valid list."""
    clauses: list[ColumnElement[bool]] = []
    for name, value in filters.items():
        if name == "channel":
            names = [value] if isinstance(value, str) else list(value)
            clauses.append(Scan.channel_names.contains(names))
            continue
        if name == "selection":  # saved selections by name (symcat.query.selections)
            from symcat.query.selections import as_names, membership

            clauses.append(membership(as_names(value)))
            continue
        column = FILTER_COLUMNS.get(name)
        if column is None:
            valid = ", ".join(sorted([*FILTER_COLUMNS, "channel", "selection"]))
            raise FilterError(f"unknown filter {name!r}; valid filters: {valid}")
        clauses.append(_clause(name, column, value))
    return clauses
