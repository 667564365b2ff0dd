"""Ingest on a real database: every fixture file is catalogued or refused with a reason,
nothing twice, originals come back byte for byte, and every stored record validates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, text

from symcat.client import Catalog
from symcat.ingest.read import read_file
from symcat.ingest.validate import validate_document
from symcat.store.engine import get_engine
from symcat.store.models import Channel, OriginalFile, Refusal, Scan

# What each fixture must become: kind, or the refusal (checked by its reason's words).
EXPECTED_KINDS = {
    "dart_pfm/mfp3d_dart_scan_0001.ibw": "image",
    "pfm/cypher_pfm_P0089OP0027.ibw": "image",
    "ac/mfp3d_ac_treated_213nm-film.ibw": "image",
    "odd/gwyddion_resave_treated_213nm-substrate.ibw": "image",
    "odd/gwyddion_10x10_one_channel.ibw": "image",
    "curves/mfp3d_force_curve_from_map.ibw": "force_curve",
    "curves/mfp3d_fd_SiN.ibw": "force_curve",
    "curves/mfp3d_fd_X60_3_x4_0100.ibw": "force_curve",
    "non_asylum/matrix_stm_partial_frame.ibw": "image",
    "non_asylum/igor_mac_version2.ibw": "wave",
    "non_asylum/igor_win_version5.ibw": "wave",
}
EXPECTED_REFUSED = {
    "non_asylum/igor_mac_textwave.ibw": "text",
    "non_asylum/igor_mac_version3_dependent.ibw": "0 points",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_fixture_is_catalogued_or_refused(catalog: Catalog, fixtures_root: Path) -> None:
    summary = catalog.ingest([fixtures_root], jobs=2)

    assert summary.new == len(EXPECTED_KINDS)
    assert len(summary.refused) == len(EXPECTED_REFUSED)
    assert summary.skipped_other_suffix == 1  # MANIFEST.md
    frame = catalog.scans()
    kinds = {row.file_sha256: row.record_kind for row in frame.itertuples()}
    for relative, kind in EXPECTED_KINDS.items():
        assert kinds[_sha(fixtures_root / relative)] == kind, relative
    refusals = {Path(r.source_path).relative_to(fixtures_root).as_posix(): r.reason
                for r in catalog.refusals().itertuples()}
    assert set(refusals) == set(EXPECTED_REFUSED)
    for relative, words in EXPECTED_REFUSED.items():
        assert words in refusals[relative].lower(), refusals[relative]
    # site and instrument are recorded on every scan
    assert set(frame["site"]) == {"test-site"} and set(frame["instrument"]) == {"test-pc"}
    # The workers were forked with the pooled connections closed, and the catalog's engine
    # is still the cached one: a forgotten engine's connections were never closed.
    assert get_engine(catalog.settings) is catalog.engine


def test_ingest_is_idempotent(catalog: Catalog, fixtures_root: Path) -> None:
    first = catalog.ingest([fixtures_root])
    second = catalog.ingest([fixtures_root, fixtures_root / "dart_pfm"])

    assert first.new == len(EXPECTED_KINDS)
    assert second.new == 0
    assert second.present == len(EXPECTED_KINDS)
    with catalog.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Scan)).scalar_one() == first.new
        assert conn.execute(
            select(func.count()).select_from(OriginalFile)
        ).scalar_one() == first.new
        times = conn.execute(select(Refusal.times_seen)).scalars().all()
    assert sorted(times) == [1] * len(EXPECTED_REFUSED)  # refused again, not re-recorded


def test_originals_come_back_byte_for_byte(catalog: Catalog, fixtures_root: Path,
                                           tmp_path: Path) -> None:
    catalog.ingest([fixtures_root / "dart_pfm", fixtures_root / "curves"])
    for row in catalog.scans().itertuples():
        content = catalog.original_bytes(row.id)
        assert hashlib.sha256(content).hexdigest() == row.file_sha256
        assert content == Path(row.source_path).read_bytes()
    saved = catalog.save_original(row.id, tmp_path)
    assert saved.read_bytes() == Path(row.source_path).read_bytes()


def test_damaged_original_is_detected(catalog: Catalog, fixtures_root: Path) -> None:
    catalog.ingest([fixtures_root / "dart_pfm"])
    scan_id = catalog.scans().iloc[0]["id"]
    with catalog.engine.begin() as conn:
        conn.execute(text("UPDATE original_files SET content = content || '\\x00'::bytea"))
    try:
        catalog.original_bytes(scan_id)
    except OSError as exc:
        assert "damaged" in str(exc)
    else:
        raise AssertionError("a changed original was returned as if intact")


def test_stored_records_validate_and_channels_round_trip(
    catalog: Catalog, fixtures_root: Path
) -> None:
    catalog.ingest([fixtures_root])
    with catalog.engine.connect() as conn:
        documents = conn.execute(select(Scan.id, Scan.document, Scan.source_path)).all()
    assert documents
    for scan_id, document, source_path in documents:
        assert validate_document(document) == [], source_path
        stored = catalog.scan(scan_id)
        parsed = read_file(source_path)
        assert list(stored.channels) == [c["name"] for c in parsed.document["channels"]]
        for values, original in zip(stored.channels.values(), parsed.arrays, strict=True):
            assert values.shape == original.shape
            finite = np.isfinite(original)
            span = float(np.nanmax(original) - np.nanmin(original)) if finite.any() else 0.0
            # uint16 quantization: at most half a step of the channel's range
            assert np.allclose(values[finite], original[finite], atol=span / 65535 + 1e-30)


def test_images_get_thumbnails_and_curves_do_not(catalog: Catalog, fixtures_root: Path) -> None:
    catalog.ingest([fixtures_root / "dart_pfm", fixtures_root / "curves"])
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(Scan.record_kind, Channel.thumbnail_png).join(Channel)
        ).all()
    for kind, png in rows:
        if kind == "image":
            assert png is not None and png.startswith(b"\x89PNG")
        else:
            assert png is None


def test_site_filename_rules_fill_sample_columns(catalog: Catalog, tmp_path: Path) -> None:
    import csv
    import dataclasses

    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(tmp_path / "files", 6, seed=3, points=32)
    config = tmp_path / "site.toml"
    config.write_text(
        'site = "lab-a"\n'
        "[[filename_rules]]\n"
        "pattern = '/(?P<sample>(?P<material>[A-Z]+)-\\d+)/\\d{6}/'\n"
    )
    settings = dataclasses.replace(catalog.settings, site_config=config)
    summary = Catalog(settings=settings).ingest([tmp_path / "files"])
    assert summary.new == 6
    with open(tmp_path / "files" / "labels.csv") as f:
        expected = {Path(row["path"]).name: row["sample"] for row in csv.DictReader(f)}
    frame = catalog.scans()
    assert set(frame["site"]) == {"lab-a"}
    for row in frame.itertuples():
        assert row.sample_name == expected[row.file_name]
        assert row.material == row.sample_name.split("-")[0]


def test_unreadable_file_is_refused_once_per_path(catalog: Catalog, tmp_path: Path) -> None:
    locked = tmp_path / "locked.ibw"
    locked.mkdir()  # a folder named like a file: not a regular file, so never read
    from symcat.pipeline import ingest_file, site_config

    for _ in range(2):
        outcome = ingest_file(catalog.engine, locked, site_config(catalog.settings))
        assert outcome.status == "refused" and "a folder, not a regular file" in (
            outcome.reason or "")
    refusals = catalog.refusals()
    assert list(refusals["source_path"]) == [str(locked)]
    assert list(refusals["times_seen"]) == [2]
