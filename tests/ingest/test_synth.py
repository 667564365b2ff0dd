"""The synthetic DART-PFM generator: its .ibw bytes, its note, its domain images, its dataset.

The writer is checked by reading back through igor2 and against the real DART fixture's
structure; the images by measuring the property each class promises (period, angle,
two phase populations 180 degrees apart, no dominant frequency for featureless scans).
"""

from __future__ import annotations

import csv
import re
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from igor2 import binarywave
from scipy import ndimage

from symcat.ingest.synth import dart, dataset, domains, ibw_writer
from symcat.ingest.synth.dart import DART_CHANNELS, Acquisition, build_note, layer_labels
from symcat.ingest.synth.dataset import LABELS_FILE, generate_dataset
from symcat.ingest.synth.domains import Scene, random_scene, render
from symcat.ingest.synth.ibw_writer import Wave, encode_wave, igor_seconds, write_ibw

LABELS = layer_labels()


# --- helpers ---------------------------------------------------------------------------


def note_lines(note: bytes) -> list[tuple[str, str, str]]:
    """(key, separator, value) per note line; the separator is ' ' or '' after the colon."""
    out = []
    for line in note.decode("cp1252").split("\r")[:-1]:
        key, _, rest = line.partition(":")
        sep = " " if rest.startswith(" ") else ""
        out.append((key, sep, rest[len(sep) :]))
    return out


def note_dict(note: bytes) -> dict[str, str]:
    """First occurrence of each key, the block readers rely on."""
    d: dict[str, str] = {}
    for key, _, value in note_lines(note):
        d.setdefault(key, value)
    return d


def raw_layer_labels(path: Path) -> list[str]:
    """Layer labels read from the file's bytes, cut at the first NUL like Igor does."""
    raw = path.read_bytes()
    order = "<" if raw[0] else ">"
    fields = struct.unpack(order + "hhllll4l4llll", raw[:64])
    wfm, formula, note, data_eunits = fields[2:6]
    dim_eunits, dim_labels = fields[6:10], fields[10:14]
    start = 64 + wfm + formula + note + data_eunits + sum(dim_eunits) + sum(dim_labels[:2])
    block = raw[start : start + dim_labels[2]]
    chunks = [block[i : i + 32] for i in range(0, len(block), 32)]
    return [c.split(b"\0", 1)[0].decode("cp1252") for c in chunks]


def dominant_frequency(img: np.ndarray, pad: int = 4) -> tuple[float, float]:
    """(period in pixels, direction in degrees mod 180) of the strongest spatial frequency."""
    a = img.astype(np.float64) - img.mean()
    a *= np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    shape = (pad * a.shape[0], pad * a.shape[1])
    power = np.abs(np.fft.rfft2(a, s=shape)) ** 2
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.rfftfreq(shape[1])[None, :]
    k = np.hypot(kx, ky)
    power[k < 3.0 / min(a.shape)] = 0
    iy, ix = np.unravel_index(np.argmax(power), power.shape)
    fx, fy = kx[0, ix], ky[iy, 0]
    return 1.0 / np.hypot(fx, fy), float(np.degrees(np.arctan2(fy, fx)) % 180)


def peak_to_mean(img: np.ndarray) -> float:
    """Strongest spatial frequency over the mean, ignoring DC and the scan-line axes."""
    a = img.astype(np.float64) - img.mean()
    power = np.abs(np.fft.rfft2(a)) ** 2
    power[0, :] = 0
    power[:, 0] = 0
    return float(power.max() / power[power > 0].mean())


def phase_populations(phase: np.ndarray) -> tuple[float, float, float]:
    """Two-cluster split of a phase image: (low centre, high centre, minority fraction)."""
    p = phase.ravel().astype(np.float64)
    lo, hi = np.percentile(p, [2, 98])
    for _ in range(30):
        high = np.abs(p - hi) < np.abs(p - lo)
        lo, hi = float(np.median(p[~high])), float(np.median(p[high]))
    frac = float(high.mean())
    return lo, hi, min(frac, 1 - frac)


def angle_diff(a: float, b: float) -> float:
    d = abs(a - b) % 180
    return min(d, 180 - d)


def scene(cls: str, seed: int, **changes) -> Scene:
    base = random_scene(cls, np.random.default_rng(seed))
    return Scene(**{**base.__dict__, **changes})


@pytest.fixture(scope="module")
def real_dart(fixtures_root: Path) -> Path:
    """The real DART fixture, read in place (`fixtures_root` skips or fails when absent)."""
    return fixtures_root / "dart_pfm" / "mfp3d_dart_scan_0001.ibw"


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> list[dataset.SynthFile]:
    out = tmp_path_factory.mktemp("synth")
    return generate_dataset(out, 12, seed=7)


# --- the .ibw writer ---------------------------------------------------------------------


def small_wave(**changes) -> Wave:
    rng = np.random.default_rng(0)
    stack = rng.standard_normal((6, 8, 16)).astype(np.float32)  # (layer, line, point)
    fields = dict(
        name="PZT-123_0001",
        data=stack.transpose(2, 1, 0),
        note="ScanSize: 5e-06\rImageNote:Sample: PZT-123, 25 °C\r",
        data_units="m",
        dim_units=("m", "m", ""),
        scale=((2e-8, -1e-7), (3e-8, 0.0)),
        labels={2: LABELS},
        created=3_700_000_000,
        modified=3_806_987_446,
    )
    fields.update(changes)
    return Wave(**fields)


@pytest.mark.parametrize("order", ["<", ">"])
def test_round_trip_through_igor2(tmp_path: Path, order: str) -> None:
    wave = small_wave()
    path = tmp_path / "w.ibw"
    size = write_ibw(path, wave, byte_order=order)
    assert size == path.stat().st_size
    loaded = binarywave.load(path)
    w = loaded["wave"]
    head = w["wave_header"]
    assert loaded["version"] == 5
    assert w["wData"].dtype == np.dtype(order + "f4")
    np.testing.assert_array_equal(w["wData"], wave.data)
    assert w["labels"][2] == [s.encode() for s in LABELS]
    assert w["labels"][:2] == [[], []]
    assert w["note"] == wave.note.encode("cp1252")
    assert head["bname"] == b"PZT-123_0001"
    assert list(head["nDim"]) == [16, 8, 6, 0]
    np.testing.assert_array_equal(head["sfA"], [2e-8, 3e-8, 1, 1])
    np.testing.assert_array_equal(head["sfB"], [-1e-7, 0, 0, 0])
    assert b"".join(head["dataUnits"]) == b"m"
    assert [b"".join(u) for u in head["dimUnits"]] == [b"m", b"m", b"", b""]
    assert (head["creationDate"], head["modDate"]) == (3_700_000_000, 3_806_987_446)
    assert w["bin_header"]["dimLabelsSize"].tolist() == [0, 0, 7 * 32, 0]


@pytest.mark.parametrize("order", ["<", ">"])
def test_header_checksum_sums_to_zero(order: str) -> None:
    raw = b"".join(encode_wave(small_wave(), byte_order=order))
    total = int(np.frombuffer(raw[:384], dtype=order + "i2").sum(dtype=np.int64))
    assert total & 0xFFFF == 0
    assert raw[:2] == (b"\x05\x00" if order == "<" else b"\x00\x05")


def test_checksum_rule_reproduces_the_real_files_checksum(real_dart: Path) -> None:
    raw = real_dart.read_bytes()
    stored = struct.unpack("<h", raw[2:4])[0]
    zeroed = raw[:2] + b"\0\0" + raw[4:384]
    assert ibw_writer._checksum(zeroed, "<") == stored


def test_long_units_go_to_the_extended_blocks(tmp_path: Path) -> None:
    wave = Wave(name="v", data=np.arange(5.0), data_units="Volts", dim_units=("seconds",))
    write_ibw(tmp_path / "v.ibw", wave)
    w = binarywave.load(tmp_path / "v.ibw")["wave"]
    assert (w["data_units"], w["dimension_units"]) == (b"Volts", b"seconds")
    np.testing.assert_array_equal(w["wData"], np.arange(5.0))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"labels": {2: ["", "x" * 32, "a", "b", "c", "d", "e"]}}, "at most 31 bytes"),
        ({"labels": {2: ["HeightRetrace"]}}, "expected 7 labels"),
        ({"name": "n" * 32}, "wave name of 1 to 31 bytes"),
        ({"data": np.zeros((2, 2), dtype=np.complex64)}, "numeric dtype"),
    ],
)
def test_writer_refuses_what_igor_cannot_hold(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_wave(small_wave(**changes))


# --- structure compared with the real DART file ----------------------------------------


def test_synthetic_file_has_the_real_dart_structure(
    real_dart: Path, synth_files: list[dataset.SynthFile]
) -> None:
    real = binarywave.load(real_dart)
    ours = binarywave.load(synth_files[0].path)
    rw, ow = real["wave"], ours["wave"]
    assert ours["version"] == real["version"] == 5
    assert ow["wData"].dtype == rw["wData"].dtype
    assert ow["wData"].ndim == rw["wData"].ndim == 3
    assert ow["wData"].shape == rw["wData"].shape
    assert raw_layer_labels(synth_files[0].path) == raw_layer_labels(real_dart) == LABELS
    for field in ("dataUnits", "dimUnits", "sfB"):
        np.testing.assert_array_equal(ow["wave_header"][field], rw["wave_header"][field])
    assert ow["bin_header"]["dimLabelsSize"].tolist() == rw["bin_header"]["dimLabelsSize"].tolist()


def test_note_repeats_every_real_key_in_the_real_order(
    real_dart: Path, synth_files: list[dataset.SynthFile]
) -> None:
    real = note_lines(binarywave.load(real_dart)["wave"]["note"])
    ours = note_lines(binarywave.load(synth_files[0].path)["wave"]["note"])
    # Same keys, same order, same repeats, same "Key: v" / "Key:v" separators.
    assert [(k, s) for k, s, _ in ours] == [(k, s) for k, s, _ in real]
    repeated = {k for k, _, _ in real if [r for r, _, _ in real].count(k) > 1}
    assert {"Channel1DataType", "SaveImage", "NapMode", "NapParms", "NapPhaseOffset"} <= repeated


def test_scale_follows_the_real_files_convention(real_dart: Path) -> None:
    """Asylum's x delta is ScanSize / (points - 1); ours must follow the same rule."""
    w = binarywave.load(real_dart)["wave"]
    size = float(note_dict(w["note"])["ScanSize"])
    assert w["wave_header"]["sfA"][0] * (w["wData"].shape[0] - 1) == pytest.approx(size)


def test_note_is_cp1252_with_cr_line_ends(synth_files: list[dataset.SynthFile]) -> None:
    note = binarywave.load(synth_files[0].path)["wave"]["note"]
    assert b"\n" not in note
    assert note.endswith(b"\r")
    assert "°C" in note.decode("cp1252")
    assert b"\xb0C" in note  # the degree sign as Windows-1252, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        note.decode("utf-8")


def test_note_agrees_with_the_image(synth_files: list[dataset.SynthFile]) -> None:
    for sf in synth_files:
        w = binarywave.load(sf.path)["wave"]
        data, head, note = w["wData"], w["wave_header"], note_dict(w["note"])
        assert float(note["ScanSize"]) == pytest.approx(sf.scan_size)
        assert head["sfA"][0] * (data.shape[0] - 1) == pytest.approx(sf.scan_size, rel=1e-6)
        assert (int(note["ScanPoints"]), int(note["ScanLines"])) == data.shape[:2]
        assert note["ImagingMode"] == "PFM Mode"
        assert note["DualACMode"] == "1" and note["DFRTOn"] == "1"
        assert note["MicroscopeModel"] in ("MFP3D", "Cypher")
        for axis in ("XOffset", "YOffset"):
            assert abs(float(note[axis])) + sf.scan_size / 2 <= float(note["MaxScanSize"]) / 2
        freq = data[:, :, DART_CHANNELS.index("Frequency")]
        assert float(freq.mean()) == pytest.approx(float(note["DFRTFrequencyCenter"]), rel=0.01)
        assert 3e5 <= float(note["DFRTFrequencyCenter"]) <= 4e5
        lo, hi = float(note["DriveFrequency"]), float(note["DriveFrequency1"])
        assert hi - lo == pytest.approx(float(note["DFRTFrequencyWidth"]), rel=1e-3)
        name = f"{note['BaseName']}{int(note['BaseSuffix']):04d}"
        assert name == head["bname"].decode() == sf.path.stem
        assert note["ImageNote"].startswith(f"Sample: {sf.sample},")
        when = note["Date"] + " " + note["Time"]
        fmt = "%Y-%m-%d %I:%M:%S %p" if note["Time"].endswith("M") else "%Y-%m-%d %H:%M:%S"
        stamp = datetime.strptime(when, fmt)
        assert igor_seconds(stamp) == int(float(note["Seconds"])) == head["modDate"]
        if sf.uncalibrated:
            assert (note["SpringConstant"], note["InvOLS"]) == ("1", "1e-07")
        else:
            assert float(note["SpringConstant"]) != 1.0


def test_flatten_offsets_are_the_height_line_means(synth_files: list[dataset.SynthFile]) -> None:
    w = binarywave.load(synth_files[1].path)["wave"]
    offsets = note_dict(w["note"])["Flatten Offsets 0"].rstrip(",").split(",")
    height = w["wData"][:, :, 0].astype(np.float64)  # (point, line)
    np.testing.assert_allclose([float(v) for v in offsets], height.mean(axis=0), rtol=1e-6)


def test_clock_formats_match_both_real_styles() -> None:
    morning, evening = datetime(2024, 8, 20, 8, 30, 46), datetime(2020, 11, 25, 19, 9, 19)
    assert dart.clock_time(morning, clock_24h=True) == "08:30:46"
    assert dart.clock_time(evening, clock_24h=False) == "7:09:19 PM"
    assert dart.clock_time(datetime(2020, 1, 1, 0, 5, 0), clock_24h=False) == "12:05:00 AM"


def test_build_note_refuses_a_multiline_image_note() -> None:
    acq = Acquisition(
        base_name="a_", suffix=1, when=datetime(2024, 1, 1), scan_size=1e-6, image_note="one\rtwo"
    )
    with pytest.raises(ValueError, match="one-line image_note"):
        build_note(acq, {})


# --- domain classes ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_stripe_period_and_angle_are_what_was_asked(seed: int) -> None:
    sc = scene("stripe", seed, noise=0.2)
    img = render(sc, np.random.default_rng(seed))
    channel = img.amplitude1 if sc.variant == "a/c" else img.phase1
    period, angle = dominant_frequency(channel)
    assert period == pytest.approx(sc.period / sc.pixel, rel=0.10)
    assert angle_diff(angle, sc.angle) < 5


def test_labyrinth_has_its_characteristic_period() -> None:
    for seed in range(3):
        sc = scene("labyrinth", seed, extra={"anisotropy": 1.0, "bias": 0.0})
        img = render(sc, np.random.default_rng(seed))
        a = img.phase1.astype(np.float64) - img.phase1.mean()
        power = np.abs(np.fft.rfft2(a)) ** 2
        k = np.hypot(np.fft.rfftfreq(a.shape[1])[None, :], np.fft.fftfreq(a.shape[0])[:, None])
        bins = np.round(k * a.shape[0]).astype(int)
        radial = np.bincount(bins.ravel(), power.ravel()) / np.bincount(bins.ravel())
        radial[:2] = 0
        assert a.shape[0] / np.argmax(radial[: a.shape[0] // 2]) == pytest.approx(
            sc.period / sc.pixel, rel=0.2
        )


@pytest.mark.parametrize("cls", sorted(domains.POLARIZED) + ["stripe"])
def test_polarized_classes_show_two_phases_180_degrees_apart(cls: str) -> None:
    for seed in range(3):
        sc = scene(cls, seed)
        if cls == "stripe":
            sc = Scene(**{**sc.__dict__, "variant": "180"})
        img = render(sc, np.random.default_rng(seed))
        lo, hi, minority = phase_populations(img.phase1)
        assert hi - lo == pytest.approx(180, abs=12), (cls, seed)
        assert minority > 0.02, (cls, seed)


def test_bubbles_are_many_isolated_minority_domains() -> None:
    sc = scene("bubble", 1, extra={"fraction": 0.15, "ellipticity": 1.0})
    img = render(sc, np.random.default_rng(1))
    lo, hi, _ = phase_populations(img.phase1)
    down = ndimage.median_filter(img.phase1, 3) > (lo + hi) / 2
    _, n_bubbles = ndimage.label(down)
    _, n_matrix = ndimage.label(~down)
    assert 0.05 < down.mean() < 0.3
    assert n_bubbles >= 5 and n_matrix <= 3


def test_written_box_has_a_down_ring_around_an_up_centre() -> None:
    sc = scene("written_box", 2, angle=0.0, extra={"inner_ratio": 0.4, "pristine_response": 0.6})
    img = render(sc, np.random.default_rng(2))
    n = sc.points
    outer_half = sc.period / sc.pixel / 2
    ring = int(n / 2 + 0.7 * outer_half)
    centre = np.median(img.phase1[n // 2 - 3 : n // 2 + 3, n // 2 - 3 : n // 2 + 3])
    band = np.median(img.phase1[n // 2 - 3 : n // 2 + 3, ring - 1 : ring + 2])
    outside = np.median(img.phase1[:5, :5])
    assert band - centre == pytest.approx(180, abs=15)
    assert outside == pytest.approx(centre, abs=15)
    assert np.median(img.amplitude1[:5, :5]) < np.median(img.amplitude1[n // 2, n // 2 - 2 :][:4])


def test_checkerboard_peaks_on_the_diagonal_of_its_two_periods() -> None:
    sc = scene("checkerboard", 3, extra={"aspect": 1.0, "twin_tilt_deg": 0.5})
    img = render(sc, np.random.default_rng(3))
    period, angle = dominant_frequency(img.phase1)
    p = sc.period / sc.pixel
    assert period == pytest.approx(p / np.sqrt(2), rel=0.1)
    assert min(angle_diff(angle, sc.angle + 45), angle_diff(angle, sc.angle - 45)) < 5


def test_featureless_has_no_dominant_spatial_frequency() -> None:
    for seed in range(3):
        flat = render(scene("featureless", seed), np.random.default_rng(seed))
        assert peak_to_mean(flat.amplitude1) < 30
        assert peak_to_mean(flat.phase1) < 30
        assert np.std(flat.phase1) < 30  # one phase population
    striped = render(scene("stripe", 0, noise=0.2), np.random.default_rng(0))
    assert peak_to_mean(striped.phase1) > 300  # the measure does see a pattern


def test_channels_have_physical_units_and_scales() -> None:
    img = render(scene("labyrinth", 4), np.random.default_rng(4))
    layers = img.layers()
    assert tuple(layers) == DART_CHANNELS
    assert all(a.dtype == np.float32 and a.shape == (256, 256) for a in layers.values())
    height = img.height - img.height.mean()
    assert 1e-11 < height.std() < 1e-7  # nanometres of topography, in metres
    assert 1e-11 < float(np.median(img.amplitude1)) < 2e-9  # picometres to nm, in metres
    assert -200 < float(img.phase1.mean()) < 300  # degrees
    assert 2.9e5 < float(img.frequency.mean()) < 4.1e5  # hertz


@pytest.mark.parametrize("cls", domains.CLASSES)
def test_rectangular_scans_render_every_class(cls: str) -> None:
    sc = random_scene(cls, np.random.default_rng(9), points=128, lines=64)
    layers = render(sc, np.random.default_rng(9)).layers()
    assert {a.shape for a in layers.values()} == {(64, 128)}
    assert all(np.isfinite(a).all() for a in layers.values())
    acq = Acquisition(
        base_name="PZT-1_",
        suffix=3,
        when=datetime(2021, 5, 4, 13, 2, 1),
        scan_size=sc.scan_size,
        points=128,
        lines=64,
    )
    note = build_note(acq, layers).encode("cp1252")
    values = note_dict(note)
    assert float(values["SlowScanSize"]) == pytest.approx(sc.scan_size / 2, rel=1e-4)
    assert (values["ScanPoints"], values["ScanLines"], values["SlowRatio"]) == ("128", "64", "0.5")


def test_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a class in"):
        random_scene("spiral", np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected classes from"):
        dataset.plan(3, classes=["stripe", "spiral"])


# --- determinism and the dataset ---------------------------------------------------------


def test_render_is_determined_by_the_seed() -> None:
    sc = scene("bubble", 5)
    a = render(sc, np.random.default_rng(11)).layers()
    b = render(sc, np.random.default_rng(11)).layers()
    c = render(sc, np.random.default_rng(12)).layers()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["Height"], c["Height"])


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_dataset_is_identical_for_a_seed_whatever_the_jobs(tmp_path: Path) -> None:
    one = generate_dataset(tmp_path / "a", 5, seed=3, points=64)
    two = generate_dataset(tmp_path / "b", 5, seed=3, points=64, jobs=2)
    other = generate_dataset(tmp_path / "c", 5, seed=4, points=64)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")
    assert [f.cls for f in one] == [f.cls for f in two]
    assert len(other) == 5


def test_labels_csv_describes_every_file(synth_files: list[dataset.SynthFile]) -> None:
    root = synth_files[0].path.parents[2]
    with open(root / LABELS_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["path"] for r in rows] == [sf.path.relative_to(root).as_posix() for sf in synth_files]
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ibw")) == sorted(
        r["path"] for r in rows
    )
    rule = re.compile(r"(?P<sample>(?:PZT|BFO|BTO|PTO|PPLN)-\d+)")
    for row, sf in zip(rows, synth_files, strict=True):
        assert row["class"] == sf.cls in domains.CLASSES
        assert rule.search(Path(row["path"]).name)["sample"] == row["sample"] == sf.sample
        assert Path(row["path"]).parts[0] == sf.sample
        assert float(row["scan_size_m"]) == pytest.approx(sf.scan_size)
        assert (row["period_m"] == "") == (sf.period is None)


def test_dataset_covers_the_requested_classes(tmp_path: Path) -> None:
    files = generate_dataset(tmp_path, 8, seed=1, classes=["bubble", "featureless"], points=64)
    assert {f.cls for f in files} == {"bubble", "featureless"}
