"""The filter language: what it accepts, what it refuses, and that values never become SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql

from symcat.client import Catalog
from symcat.query.expr import ExpressionError, compile_expression


def sql(text: str) -> str:
    return str(compile_expression(text).compile(dialect=postgresql.dialect()))


def test_compiles_to_bound_parameters() -> None:
    compiled = compile_expression("sample = 'x'' OR 1=1 --' and scan_size_x_m > 2um")
    assert compiled.compile().params["sample_name_1"] == "x' OR 1=1 --"
    text = str(compiled.compile(dialect=postgresql.dialect()))
    assert "OR 1=1" not in text and "%(sample_name_1)s" in text
    params = compiled.compile(dialect=postgresql.dialect()).params
    assert params["scan_size_x_m_1"] == pytest.approx(2e-6)


def test_units_dates_sets_ranges_and_nulls() -> None:
    assert "BETWEEN" in sql("acquired_at between 2024-01-01 and 2024-06-30")
    assert "IN (" in sql("mode in (pfm, dart_pfm)")
    assert "IS NULL" in sql("material is null")
    assert "IS NOT NULL" in sql("material is not null")
    assert "ILIKE" in sql("sample = PZT*") and "ILIKE" in sql("note ~ poled")
    params = compile_expression("drive_frequency_hz >= 300kHz").compile().params
    assert list(params.values()) == [pytest.approx(3e5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = red", "unknown column 'colour'"),
        ("scan_size_x_m > abc", "expects a number"),
        ("acquired_at > 5", "expects a date"),
        ("sample = 5", "quote it"),
        ("mode in (pfm, ac", "expected '\\)'"),
        ("mode = pfm and", "expected a column name"),
        ("x = 1; DROP TABLE scans", "unexpected character ';'"),
        ("scan_size_x_m > 5furlongs", "unknown unit 'furlongs'"),
        ("   ", None),
    ],
)
def test_bad_expressions_say_where(text: str, message: str | None) -> None:
    if message is None:
        assert sql(text) == "true"
        return
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)


def test_expressions_select_the_right_scans(catalog: Catalog, fixtures_root: Path) -> None:
    catalog.ingest([fixtures_root])
    assert len(catalog.scans("kind = force_curve")) == 3
    both = catalog.scans("mode in (dart_pfm, pfm) and scan_size_x_m >= 1um")
    assert set(both["imaging_mode"]) == {"dart_pfm", "pfm"}
    assert len(catalog.scans("scan_size_x_m > 4um")) == 2  # DART (5 um), Gwyddion (5.02 um)
    assert catalog.count("not (kind = image)") == catalog.count() - catalog.count(kind="image")
    assert catalog.count("uncalibrated") >= 1
    assert catalog.count("material is null and sample is null") >= 1
    for attempt in ["sample = 'a'' OR ''1''=''1'", "sample ~ '%'' ; DROP TABLE scans; --'"]:
        assert catalog.scans(attempt).empty
    assert catalog.count() == 11
