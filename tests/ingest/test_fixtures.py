"""Every real fixture file: what it becomes, with values read from the files by hand.

Expected values were read from each file's note (CR-separated "Key: value"
lines) and header, not from our own output.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import igor2.binarywave as binarywave
import numpy as np
import pytest

from symcat.ingest import clock
from symcat.ingest.read import read_file
from symcat.ingest.records import PARSER_VERSION, Refused, ScanRecord
from symcat.ingest.validate import validate_document

DART = "dart_pfm/mfp3d_dart_scan_0001.ibw"
CYPHER = "pfm/cypher_pfm_P0089OP0027.ibw"
AC = "ac/mfp3d_ac_treated_213nm-film.ibw"
GWY_RESAVE = "odd/gwyddion_resave_treated_213nm-substrate.ibw"
GWY_10 = "odd/gwyddion_10x10_one_channel.ibw"
FMAP = "curves/mfp3d_force_curve_from_map.ibw"
FD_SIN = "curves/mfp3d_fd_SiN.ibw"
FD_X60 = "curves/mfp3d_fd_X60_3_x4_0100.ibw"
MATRIX = "non_asylum/matrix_stm_partial_frame.ibw"
V2 = "non_asylum/igor_mac_version2.ibw"
V5 = "non_asylum/igor_win_version5.ibw"
TEXT = "non_asylum/igor_mac_textwave.ibw"
DEPENDENT = "non_asylum/igor_mac_version3_dependent.ibw"

ACCEPTED = [DART, CYPHER, AC, GWY_RESAVE, GWY_10, FMAP, FD_SIN, FD_X60, MATRIX, V2, V5]
REFUSED = {
    TEXT: r"^text wave \(Igor type TEXT\) has no numeric data$",
    DEPENDENT: r"^empty wave \(0 points",
}

# relative path -> (record_kind, imaging_mode, [(name, quantity, unit, direction), ...])
SHAPES: dict[str, tuple[str, str, list[tuple[str, str, str | None, str | None]]]] = {
    DART: ("image", "dart_pfm", [
        ("HeightRetrace", "height", "m", "retrace"),
        ("Amplitude1Retrace", "amplitude", "m", "retrace"),
        ("Amplitude2Retrace", "amplitude", "m", "retrace"),
        ("Phase1Retrace", "phase", "deg", "retrace"),
        ("Phase2Retrace", "phase", "deg", "retrace"),
        ("FrequencyRetrace", "frequency", "Hz", "retrace"),
    ]),
    CYPHER: ("image", "pfm", [
        ("HeightRetrace", "height", "m", "retrace"),
        ("AmplitudeRetrace", "amplitude", "m", "retrace"),
        ("DeflectionRetrace", "deflection", "m", "retrace"),
        ("PhaseRetrace", "phase", "deg", "retrace"),
        ("UserIn0Retrace", "user", "V", "retrace"),  # unit from the note's UserIn0Unit
    ]),
    AC: ("image", "ac", [
        ("HeightRetrace", "height", "m", "retrace"),
        ("AmplitudeRetrace", "amplitude", "m", "retrace"),
        ("PhaseRetrace", "phase", "deg", "retrace"),
        ("ZSensorRetrace", "zsensor", "m", "retrace"),
    ]),
    GWY_RESAVE: ("image", "unknown", [
        ("HeightRetrace", "height", "m", "retrace"),
        ("AmplitudeRetrace", "amplitude", "m", "retrace"),
        ("ZSensorRetrace", "zsensor", "m", "retrace"),
    ]),
    GWY_10: ("image", "unknown", [("Generated 1", "unknown", None, None)]),
    FMAP: ("force_curve", "force_curve", [
        ("Raw", "raw", "m", None), ("Defl", "deflection", "m", None),
        ("ZSnsr", "zsensor", "m", None),
    ]),
    FD_SIN: ("force_curve", "force_curve", [
        ("Raw", "raw", "m", None), ("Defl", "deflection", "m", None),
        ("ZSnsr", "zsensor", "m", None),
    ]),
    FD_X60: ("force_curve", "force_curve", [
        ("Raw", "raw", "m", None), ("Defl", "deflection", "m", None),
        ("ZSnsr", "zsensor", "m", None),
    ]),
    MATRIX: ("image", "stm", [("I 3", "current", "A", "retrace")]),
    V2: ("wave", "unknown", [("version2", "unknown", None, None)]),
    V5: ("wave", "unknown", [("version5", "unknown", None, None)]),
}

# relative path -> {dotted document path: expected value}; floats compared to 1e-9 relative.
VALUES: dict[str, dict[str, Any]] = {
    DART: {
        "vendor": "Asylum Research", "instrument_model": "MFP3D",
        "software_version": "15.09.112", "imaging_mode_raw": "PFM Mode",
        "acquired_at": "2024-08-20T08:30:46.857Z", "acquired_at_source": "note_seconds",
        "base_name": "image_after", "base_suffix": "1", "wave_name": "image_after0001",
        "image_note": None,
        "scan.size_x_m": 5e-6, "scan.size_y_m": 5e-6, "scan.pixels_x": 256, "scan.pixels_y": 256,
        "scan.rate_hz": 0.40064, "scan.speed_m_s": 5.008e-6, "scan.angle_deg": 0.0,
        "scan.x_offset_m": -2.5933e-6, "scan.y_offset_m": -6.07e-6, "scan.direction": "down",
        "scan.loop": "closed", "scan.frame_time_s": None,  # ImageFrameTime: 0
        "feedback.setpoint": 0.3, "feedback.setpoint_kind": "deflection",
        "feedback.integral_gain": 10.0,
        "cantilever.spring_constant_n_m": 3.0542, "cantilever.invols_m_v": 1.2266e-7,
        "cantilever.amp_invols_m_v": 1.337e-7, "cantilever.uncalibrated": False,
        "cantilever.thermal_q": 20.0, "cantilever.tip_serial": None,
        "excitation.drive_frequency_hz": 3.7407e5, "excitation.drive_amplitude_v": 3.0,
        "excitation.drive_frequency_2_hz": 3.8407e5, "excitation.drive_amplitude_2_v": 3.0,
        "excitation.dart_on": True, "excitation.dart_center_frequency_hz": 3.7907e5,
        "excitation.dart_frequency_width_hz": 10000.0, "excitation.dart_i_gain": 1000.0,
        "excitation.tip_bias_v": 0.0,
        "environment.head_temperature_c": 32.125, "environment.scanner_temperature_c": 28.0,
        "wave.igor_version": 5, "wave.dtype": "float32", "wave.shape": [256, 256, 6],
        "wave.byte_order": "little",
    },
    CYPHER: {
        "vendor": "Asylum Research", "instrument_model": "Cypher",
        "software_version": "14.23.153", "imaging_mode_raw": "PFM Mode",
        "acquired_at": "2020-11-25T19:09:19.381Z",  # Time: 7:09:19 PM (12-hour)
        "base_name": "P0089OP", "base_suffix": "27",
        "image_note": "IDS at 350 kHz with correct sensitivity",
        "scan.size_x_m": 2e-6, "scan.pixels_x": 256, "scan.pixels_y": 256,
        "scan.rate_hz": 1.0016, "scan.direction": "up", "scan.frame_time_s": 255.59,
        "feedback.setpoint": 4.0, "feedback.setpoint_kind": "deflection",
        "feedback.integral_gain": 30.0,
        "cantilever.spring_constant_n_m": 8.3589, "cantilever.invols_m_v": 4e-8,
        "cantilever.amp_invols_m_v": 4.48e-8, "cantilever.uncalibrated": False,
        "cantilever.thermal_q": 134.21, "cantilever.thermal_frequency_hz": 59162.0,
        "excitation.drive_frequency_hz": 71000.0, "excitation.drive_amplitude_v": 1.0,
        "excitation.tip_bias_v": 1.0, "excitation.dart_on": False,
        "excitation.drive_frequency_2_hz": None,  # DualACMode 0: the note's 4.5e5 is stale
        "excitation.dart_center_frequency_hz": None,
        "environment.head_temperature_c": None,
    },
    AC: {
        "instrument_model": "MFP3D", "software_version": "14.48.159",
        "imaging_mode_raw": "AC Mode", "acquired_at": "2022-06-30T15:28:05.044Z",
        "base_name": "afm", "base_suffix": "1", "wave_name": "afm0001",
        "scan.size_x_m": 2e-6, "scan.size_y_m": 2e-6, "scan.pixels_x": 256,
        "feedback.setpoint": 0.42326, "feedback.setpoint_unit": "V",
        "feedback.setpoint_kind": "amplitude",
        "cantilever.spring_constant_n_m": 1.0, "cantilever.invols_m_v": 1e-7,
        "cantilever.uncalibrated": True,
        "excitation.drive_frequency_hz": 2.9261e5, "excitation.drive_amplitude_v": 0.12373,
        "environment.head_temperature_c": 30.062, "environment.scanner_temperature_c": 25.5,
    },
    GWY_RESAVE: {
        "vendor": None, "acquired_at": None, "acquired_at_source": None, "raw_note": {},
        "scan.pixels_x": 256, "scan.pixels_y": 256,
        "scan.pixel_size_x_m": 1.96078431372549e-08,
        "scan.size_x_m": 256 * 1.96078431372549e-08,  # header step x points
        "cantilever.uncalibrated": None, "wave.header_created_at": None,
    },
    GWY_10: {
        "vendor": None, "scan.pixels_x": 10, "scan.pixels_y": 10, "scan.size_x_m": None,
        "raw_note": {}, "wave.shape": [10, 10, 1],
    },
    FMAP: {
        "instrument_model": "MFP3D", "software_version": "13.16.100",
        "imaging_mode_raw": "Contact",
        "acquired_at": "2016-02-25T14:32:00.083Z", "acquired_at_source": "note_seconds",
        "cantilever.spring_constant_n_m": 0.018189, "cantilever.invols_m_v": 1e-7,
        "cantilever.uncalibrated": True,  # InvOLS is the 1e-7 default
        "excitation.drive_frequency_hz": 6629.5,
        "curve.points": 1261, "curve.segments": 3, "curve.direction": [None, 1.0, -1.0, 0.0],
        "curve.sample_interval_s": 5e-4,
        "scan.size_x_m": None, "scan.pixels_x": None, "feedback.setpoint": None,
        "raw_note.XLVDT": ["-2.28341570559982e-06", "3.1665e-06"],
        "raw_note.MostPosZVoltage": ["150", "150"],
        "wave.shape": [1261, 3],
    },
    FD_SIN: {
        "software_version": "16.11.212", "acquired_at": "2020-02-05T10:47:32.000Z",
        "base_suffix": "325", "wave_name": "SiN_1240325",
        "cantilever.spring_constant_n_m": 1.1841, "cantilever.invols_m_v": 4.499e-8,
        "cantilever.uncalibrated": False, "cantilever.thermal_q": 139.13,
        "excitation.drive_frequency_hz": 23251.0,
        "environment.head_temperature_c": 29.5625,
        "curve.points": 2016, "curve.segments": 2, "curve.direction": [None, 1.0, -1.0],
        "raw_note.Time": "10:47:31",
    },
    FD_X60: {
        "software_version": "14.16.136", "acquired_at": "2016-11-06T15:16:41.000Z",
        "base_suffix": "100",
        "cantilever.spring_constant_n_m": 0.98415, "cantilever.invols_m_v": 2.9757e-8,
        "cantilever.thermal_frequency_hz": 35614.0, "excitation.drive_frequency_hz": 34270.0,
        "curve.points": 1320, "curve.segments": 2, "curve.sample_interval_s": 1e-4,
    },
    MATRIX: {
        "vendor": "Scienta Omicron", "instrument_model": None,
        # "executed by user ... on 10-Jan-2023 22:53:08": the PC's wall clock
        "acquired_at": "2023-01-10T22:53:08.000Z", "acquired_at_source": "note_date_time",
        "wave_name": "I 3 37-1 Backward Down",
        "scan.pixels_x": 256, "scan.pixels_y": 58, "scan.size_x_m": 5e-9,
        "scan.pixel_size_x_m": 1.953125e-11, "scan.direction": "down",
        "sample.name": "ScV6Sn6", "sample.operator": "7xj", "sample.project": "STM",
        "sample.sources": {"name": "note", "operator": "note", "project": "note"},
        "raw_note.Sample": "ScV6Sn6",
        "wave.dtype": "float64", "wave.shape": [256, 58],
    },
    V2: {
        "raw_note": {"_text": "This is a test."}, "acquired_at_source": "wave_header",
        "wave.igor_version": 2, "wave.byte_order": "big", "wave.shape": [5],
    },
    V5: {
        "raw_note": {"_text": "This is a test."}, "wave.igor_version": 5,
        "wave.byte_order": "little",
    },
}


def _lookup(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for i, part in enumerate(dotted.split(".")):
        if part == "raw_note" and i == 0:
            return value["raw_note"].get(dotted.split(".", 1)[1]) if "." in dotted else value[
                "raw_note"]
        value = value[part]
    return value


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    return bool(actual == expected) and type(actual) is type(expected)


def test_every_fixture_is_covered(fixtures_dir: Path) -> None:
    present = {p.relative_to(fixtures_dir).as_posix() for p in fixtures_dir.rglob("*.ibw")}
    assert present == set(ACCEPTED) | set(REFUSED)


@pytest.mark.parametrize("relative", ACCEPTED)
def test_kind_mode_and_channels(read_fixture, relative: str) -> None:
    record = read_fixture(relative)
    assert isinstance(record, ScanRecord), getattr(record, "reason", None)
    kind, mode, channels = SHAPES[relative]
    doc = record.document
    assert (doc["record_kind"], doc["imaging_mode"]) == (kind, mode)
    got = [(c["name"], c["quantity"], c["unit"], c["direction"]) for c in doc["channels"]]
    assert got == channels
    assert [c["index"] for c in doc["channels"]] == list(range(len(channels)))


@pytest.mark.parametrize("relative", ACCEPTED)
def test_metadata_values(read_fixture, relative: str) -> None:
    record = read_fixture(relative)
    assert isinstance(record, ScanRecord)
    wrong = {
        key: (_lookup(record.document, key), expected)
        for key, expected in VALUES[relative].items()
        if not _same(_lookup(record.document, key), expected)
    }
    assert wrong == {}


@pytest.mark.parametrize("relative", ACCEPTED)
def test_document_is_standard(fixtures_dir: Path, read_fixture, relative: str) -> None:
    record = read_fixture(relative)
    assert isinstance(record, ScanRecord)
    doc = record.document
    assert validate_document(doc) == []
    assert validate_document(doc, full=True) == []  # the fast raw_note check agrees
    json.dumps(doc, allow_nan=False)  # no NaN or infinity anywhere
    data = (fixtures_dir / relative).read_bytes()
    assert doc["file_sha256"] == hashlib.sha256(data).hexdigest() == record.file_sha256
    assert doc["file_size_bytes"] == len(data)
    assert doc["source_path"] == os.path.abspath(fixtures_dir / relative)
    assert doc["file_name"] == Path(relative).name
    assert doc["parser_version"] == PARSER_VERSION
    assert record.arrays.dtype == np.float32
    assert record.arrays.shape[0] == len(doc["channels"])
    assert record.warnings == tuple(doc["warnings"])


@pytest.mark.parametrize(("relative", "reason"), sorted(REFUSED.items()))
def test_refusals(fixtures_dir: Path, read_fixture, relative: str, reason: str) -> None:
    refused = read_fixture(relative)
    assert isinstance(refused, Refused)
    assert refused.reason == refused.reason.strip() and "\n" not in refused.reason
    data = (fixtures_dir / relative).read_bytes()
    assert refused.file_sha256 == hashlib.sha256(data).hexdigest()
    assert refused.file_size_bytes == len(data)
    assert re.search(reason, refused.reason), refused.reason


def test_labels_lose_the_junk_after_nul(fixtures_dir: Path, read_fixture) -> None:
    raw_bytes = (fixtures_dir / DART).read_bytes()
    assert b"Phase1Retrace\x00ce" in raw_bytes  # the quirk is really in the file
    record = read_fixture(DART)
    assert [c["label_raw"] for c in record.document["channels"]][3:5] == [
        "Phase1Retrace", "Phase2Retrace"]


def test_gwyddion_labels_have_no_leading_slot(read_fixture) -> None:
    channels = read_fixture(GWY_RESAVE).document["channels"]
    assert [c["label_raw"] for c in channels] == [
        "HeightRetrace", "AmplitudeRetrace", "ZSensorRetrace"]


def test_image_orientation_matches_igor(fixtures_dir: Path, read_fixture) -> None:
    """arrays[c, row = y, col = x] == igor2 wData[x, y, c]."""
    wdata = binarywave.load(str(fixtures_dir / DART))["wave"]["wData"]
    arrays = read_fixture(DART).arrays
    assert arrays.shape == (6, 256, 256)
    for c, y, x in [(0, 0, 0), (1, 3, 200), (5, 255, 7), (3, 100, 0)]:
        assert arrays[c, y, x] == wdata[x, y, c]
    np.testing.assert_array_equal(arrays[2], wdata[:, :, 2].T)


def test_partial_matrix_frame(read_fixture) -> None:
    record = read_fixture(MATRIX)
    assert record.arrays.shape == (1, 58, 256)
    assert any("partial frame: 58 of 256" in w for w in record.warnings)
    assert record.document["software_version"].startswith("MATRIX V4.3.5")


def test_curve_orientation(fixtures_dir: Path, read_fixture) -> None:
    wdata = binarywave.load(str(fixtures_dir / FD_SIN))["wave"]["wData"]
    np.testing.assert_array_equal(read_fixture(FD_SIN).arrays, wdata.T)


def test_channel_stats(fixtures_dir: Path, read_fixture) -> None:
    wdata = binarywave.load(str(fixtures_dir / CYPHER))["wave"]["wData"]
    for channel in read_fixture(CYPHER).document["channels"]:
        layer = wdata[:, :, channel["index"]].astype(np.float64)
        stats = channel["stats"]
        assert stats["min"] == pytest.approx(layer.min(), rel=1e-6)
        assert stats["max"] == pytest.approx(layer.max(), rel=1e-6)
        assert stats["mean"] == pytest.approx(layer.mean(), rel=1e-4, abs=1e-6 * layer.std())
        assert stats["std"] == pytest.approx(layer.std(), rel=1e-4)
        assert stats["nan_fraction"] == 0.0


def test_twelve_hour_and_seconds_agree(read_fixture) -> None:
    """Seconds is local wall time: it matches Date + Time in 12- and 24-hour files."""
    for relative in (CYPHER, FD_X60, DART):
        note = read_fixture(relative).document["raw_note"]
        from_seconds = clock.from_igor_seconds(float(note["Seconds"]), None)
        from_text = clock.from_date_time(note["Date"], note["Time"], None)
        assert from_seconds is not None and from_text is not None
        assert from_seconds[:19] == from_text[:19]


def test_bytes_and_path_give_the_same_document(fixtures_dir: Path, read_fixture) -> None:
    path = fixtures_dir / CYPHER
    from_bytes = read_file(path, data=path.read_bytes())
    assert isinstance(from_bytes, ScanRecord)
    a = {k: v for k, v in from_bytes.document.items() if k != "ingested_at"}
    b = {k: v for k, v in read_fixture(CYPHER).document.items() if k != "ingested_at"}
    assert a == b
    np.testing.assert_array_equal(from_bytes.arrays, read_fixture(CYPHER).arrays)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.spm"
    path.write_bytes(b"not igor")
    refused = read_file(path)
    assert isinstance(refused, Refused)
    assert refused.reason == "unsupported file type '.spm' (readers exist for: .ibw)"
    with_data = read_file(path, data=b"not igor")
    assert isinstance(with_data, Refused)
    assert with_data.file_sha256 == hashlib.sha256(b"not igor").hexdigest()


def test_missing_file_is_refused(tmp_path: Path) -> None:
    refused = read_file(tmp_path / "gone.ibw")
    assert isinstance(refused, Refused)
    assert refused.reason.startswith("cannot read the file: No such file")
    assert refused.file_sha256 is None


def test_not_igor_is_refused(tmp_path: Path) -> None:
    refused = read_file(tmp_path / "fake.ibw", data=b"%PDF-1.4 hello")
    assert isinstance(refused, Refused)
    assert refused.reason.startswith("not an Igor binary wave: version field is")


def test_suffix_registry() -> None:
    from symcat.ingest.readers import SUFFIXES, reader_for, register

    assert SUFFIXES == (".ibw",)
    assert reader_for(".IBW") is reader_for(".ibw") is not None
    with pytest.raises(ValueError, match="a reader for '.ibw' is already registered"):
        register(".IBW", lambda data: None)  # type: ignore[arg-type, return-value]


def test_caller_sha_is_trusted(fixtures_dir: Path) -> None:
    data = (fixtures_dir / V5).read_bytes()
    record = read_file(fixtures_dir / V5, data=data, file_sha256=hashlib.sha256(data).hexdigest())
    assert isinstance(record, ScanRecord)
    assert record.file_sha256 == hashlib.sha256(data).hexdigest()
