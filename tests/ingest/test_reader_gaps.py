"""The reader's gaps found on held-out real files: MATRIX CITS spectroscopy volumes, two-pass
(nap) images at 0 V, and partial-frame warnings of a sampled grid; checked on generated files
with the same structure (`ingest.synth.special`) and on the real fixtures (no regressions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symcat.ingest.read import read_file
from symcat.ingest.records import ScanRecord
from symcat.ingest.site import SiteConfig
from symcat.ingest.synth.dataset import generate_dataset
from symcat.ingest.synth.special import write_matrix_cits, write_nap


def _record(path: Path, site: SiteConfig | None = None) -> ScanRecord:
    result = read_file(path, site)
    assert isinstance(result, ScanRecord), result
    return result


@pytest.mark.parametrize("in_note", [True, False], ids=["sweep-in-note", "sweep-in-scaling"])
def test_cits_volume_is_a_spectroscopy_map(tmp_path: Path, in_note: bool) -> None:
    record = _record(write_matrix_cits(tmp_path / "cits.ibw", sweep_in_note=in_note))
    doc = record.document
    assert doc["record_kind"] == "spectroscopy_map" and doc["imaging_mode"] == "stm"
    assert [(c["name"], c["unit"]) for c in doc["channels"]] == [("Aux2(V)", "V")]
    sweep = doc["sweep"]
    assert (sweep["quantity"], sweep["unit"], sweep["points"]) == ("bias", "V", 256)
    assert sweep["start"] == pytest.approx(-0.5) and sweep["end"] == pytest.approx(0.504)
    assert sweep["source"] == ("note" if in_note else "wave_scaling")
    assert record.arrays.shape == (1, 8, 64, 256)  # (channel, y, x, sweep)
    assert (doc["scan"]["pixels_x"], doc["scan"]["pixels_y"]) == (64, 8)
    assert "partial frame: 8 of 64 configured lines" in doc["warnings"]
    assert not any("512" in w for w in doc["warnings"])
    assert doc["acquired_at"] == "2023-01-11T09:30:05.000Z"


def test_nap_images_are_nap_whatever_the_bias(tmp_path: Path) -> None:
    at_zero = _record(write_nap(tmp_path / "sgm.ibw", nap_tip_voltage=0.0)).document
    biased = _record(write_nap(tmp_path / "efm.ibw", nap_tip_voltage=3.0)).document
    assert at_zero["imaging_mode"] == "nap" and biased["imaging_mode"] == "efm"
    assert at_zero["imaging_mode_raw"] == "AC Mode"  # the note alone says plain AC
    generate_dataset(tmp_path / "dart", 1, seed=1, points=64)  # no nap: unchanged
    dart = _record(next((tmp_path / "dart").rglob("*.ibw"))).document
    assert dart["imaging_mode"] == "dart_pfm"


def test_site_timezone_makes_acquired_at_utc_and_says_so(tmp_path: Path) -> None:
    path = write_matrix_cits(tmp_path / "cits.ibw")
    plain = _record(path).document
    zoned = _record(path, SiteConfig(timezone="Europe/Berlin")).document
    assert plain["acquired_at_timezone"] is None  # wall clock stored as if UTC, and said so
    assert (zoned["acquired_at"], zoned["acquired_at_timezone"]) == (
        "2023-01-11T08:30:05.000Z", "Europe/Berlin")


def test_real_fixtures_keep_their_kinds(fixtures_root: Path) -> None:
    kinds = {}
    for path in sorted(fixtures_root.rglob("*.ibw")):
        result = read_file(path)
        if isinstance(result, ScanRecord):
            kinds[path.name] = (result.kind, result.document["imaging_mode"])
    assert "spectroscopy_map" not in {k for k, _ in kinds.values()}
    assert "nap" not in {m for _, m in kinds.values()}
    stm = _record(fixtures_root / "non_asylum" / "matrix_stm_partial_frame.ibw").document
    assert stm["record_kind"] == "image" and stm["imaging_mode"] == "stm"
    assert "partial frame: 58 of 256 configured lines" in stm["warnings"]
    assert stm["acquired_at"] == "2023-01-10T22:53:08.000Z"
    assert np.isfinite(stm["channels"][0]["stats"]["mean"])
