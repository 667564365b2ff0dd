"""The Python client on a real catalog: keyword filters, scans, sessions, errors."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

import symcat
from symcat.client import Catalog, ScanNotFound
from symcat.query.filters import FilterError
from symcat.store.models import Scan


@pytest.fixture()
def filled(catalog: Catalog, fixtures_root: Path) -> Catalog:
    catalog.ingest([fixtures_root])
    return catalog


def test_catalog_is_importable_from_the_top(settings) -> None:
    assert symcat.Catalog is Catalog


def test_scans_returns_standard_columns(filled: Catalog) -> None:
    frame = filled.scans()
    assert len(frame) == 11
    assert {"id", "imaging_mode", "sample_name", "scan_size_x_m", "channel_names"} <= set(frame)
    assert frame["id"].map(lambda v: isinstance(v, uuid.UUID)).all()


def test_keyword_filters(filled: Catalog) -> None:
    assert set(filled.scans(kind="force_curve")["record_kind"]) == {"force_curve"}
    assert len(filled.scans(kind="force_curve")) == 3
    both = filled.scans(mode=["dart_pfm", "pfm"])
    assert set(both["imaging_mode"]) == {"dart_pfm", "pfm"}
    assert len(filled.scans(file_name="mfp3d_*")) == 5
    assert len(filled.scans(file_name="MFP3D_*")) == 5  # patterns ignore case
    ranged = filled.scans(scan_size_x_m=(3e-6, None))
    assert len(ranged) >= 1 and (ranged["scan_size_x_m"] >= 3e-6).all()
    assert filled.count(kind="image") + filled.count(kind="force_curve") + filled.count(
        kind="wave") == 11
    with_channel = filled.scans(channel="Amplitude1Retrace")
    assert list(with_channel["imaging_mode"]) == ["dart_pfm"]


def test_filter_values_are_parameters_not_sql(filled: Catalog) -> None:
    attempts = ["x' OR '1'='1", "'; DROP TABLE scans; --", "PZT%' --", "\\' OR 1=1"]
    for attempt in attempts:
        assert filled.scans(sample=attempt).empty
        assert filled.scans(file_name=attempt + "*").empty
    assert filled.count() == 11  # nothing was dropped


def test_bad_filters_say_what_is_valid(filled: Catalog) -> None:
    with pytest.raises(FilterError, match="unknown filter 'colour'.*valid filters"):
        filled.scans(colour="red")
    with pytest.raises(FilterError, match="a range is a \\(low, high\\) pair"):
        filled.scans(scan_size_x_m=(1, 2, 3))
    with pytest.raises(FilterError, match="empty list"):
        filled.scans(mode=[])


def test_scan_and_missing_scan(filled: Catalog) -> None:
    row = filled.scans(mode="dart_pfm").iloc[0]
    data = filled.scan(row["id"])
    assert data.kind == "image"
    assert list(data.channels)[0] == "HeightRetrace"
    assert data.channels["HeightRetrace"].shape == (256, 256)
    with pytest.raises(ScanNotFound, match="no scan with id"):
        filled.scan(uuid.uuid4())


def test_orm_session_for_power_users(filled: Catalog) -> None:
    with filled.session() as session:
        n = session.scalar(select(func.count()).select_from(Scan).where(Scan.uncalibrated))
        scan = session.scalars(select(Scan).where(Scan.imaging_mode == "dart_pfm")).one()
        assert [c.name for c in scan.channels][:2] == ["HeightRetrace", "Amplitude1Retrace"]
    assert n is not None and n >= 1


def test_thumbnails_prefer_the_named_channel(filled: Catalog) -> None:
    dart = filled.scans(mode="dart_pfm").iloc[0]["id"]
    curve = filled.scans(kind="force_curve").iloc[0]["id"]
    by_height = filled.thumbnails([dart, curve])
    assert set(by_height) == {dart}  # curves have no thumbnails
    assert by_height[dart] == filled.scan(dart).thumbnails["HeightRetrace"]
    phase = filled.thumbnails([dart], channel="phase1")
    assert phase[dart] == filled.scan(dart).thumbnails["Phase1Retrace"]
    first = filled.thumbnails([dart], channel=None)
    assert first[dart] == by_height[dart]
    assert filled.thumbnails([]) == {}
