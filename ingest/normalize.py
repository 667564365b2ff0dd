"""A `RawWave` to the standard document (``schemas/scan/v1.json``) and its arrays.

Array orientation: igor2 gives image data as (x, y, layer), x being the fast
scan axis (Igor "rows"). The catalog stores ``arrays[c, j, i]``: channel c,
row j along the slow axis y (``pixels_y`` rows), column i along the fast axis
x (``pixels_x`` columns). Row 0 is the first line in y, which Igor draws at
the *bottom* of the image; flip rows to display it the way Igor does. Asylum
stores lines in y order whatever the scan direction (``scan.direction``).
Curves become (channel, point).

Numbers come from the note, which Asylum writes in SI units; a value that is
missing, unparsable, NaN or infinite becomes null, never a guess.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

from symcat.ingest import clock, vocab
from symcat.ingest.channels import clean_label, quantity_and_unit, split_name
from symcat.ingest.notes import Note, parse_note
from symcat.ingest.readers import RawWave
from symcat.ingest.readers.ibw import NUMERIC_TYPES, decode_text
from symcat.ingest.records import PARSER_VERSION, SCHEMA_VERSION
from symcat.ingest.site import SAMPLE_FIELDS, SiteConfig

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_MATRIX_VERSION = re.compile(r"MATRIX version (\S+?)[)\s]")
_MATRIX_WHO = re.compile(r"\(Project '([^']+)'\) executed by user '([^']+)'")
_NOTE_FIELD = re.compile(
    r"(?i)\b(sample|material|operator|user|project)\s*[:=]\s*([^;,\r\n]+)"
)
_MATRIX_LINES = re.compile(r"lines per image = (\d+)")
_MATRIX_WHEN = re.compile(r"\) on (\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}:\d{2}:\d{2})")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MATRIX_POINTS = re.compile(r"points per line =\s*(\d+)")
# A sweep stated in a note: "Spectroscopy: V from -0.5 [V] to 0.504 [V]" (MATRIX CITS).
_SWEEP = re.compile(
    r"(?i)\bfrom\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*\[([^\]]*)\]\s*to\s+"
    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*\[([^\]]*)\]"
)
# An unlabeled 3-D wave with more layers than this is a volume, not a stack of channels.
_MAX_UNLABELED_LAYERS = 16
_CHANNEL_AND_UNIT = re.compile(r"^(.+?)\s*\[([^\]]*)\]\s*$")


def number(text: str | None) -> float | None:
    """Leading number of a note value ("32.125 °C" -> 32.125); None if absent or not finite."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        match = _NUMBER.match(text)
        if match is None:
            return None
        value = float(match[1])
    return value if math.isfinite(value) else None


def _int(text: str | None) -> int | None:
    """An integer note value that fits a 32-bit SQL column, else None."""
    value = number(text)
    if value is None or not value.is_integer() or abs(value) >= 2**31:
        return None
    return int(value)


def _flag(text: str | None) -> bool | None:
    value = number(text)
    return None if value is None else value != 0


def _text(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def _from_keys(note: Note, table: dict[str, tuple[str, ...]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, keys in table.items():
        out[name] = next((v for k in keys if (v := number(note.get(k))) is not None), None)
    return out


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _is_asylum(note: Note) -> bool:
    return note.structured and sum(k in note.first for k in vocab.ASYLUM_MARKERS) >= 3


# --- classification ------------------------------------------------------------------


def record_kind(raw: RawWave, note: Note, asylum: bool) -> str:
    """image, force_curve, spectrum or wave (module docstring of read.py has the rules)."""
    shape = raw.data.shape
    curve_labels: set[str] = set()
    if len(shape) == 2:
        curve_labels = {split_name(clean_label(x)).base for x in raw.labels[1]}
    if asylum and (len(shape) == 1 or (len(shape) == 2 and shape[1] <= 16)):
        markers = any(k in note.first for k in vocab.CURVE_MARKERS)
        if markers or (curve_labels and curve_labels <= vocab.CURVE_CHANNELS):
            if _flag(note.get("ARDoIVCurve")) or "bias" in curve_labels:
                return "spectrum"
            return "force_curve"
    if len(shape) == 3 and not asylum and _is_volume(raw, note):
        return "spectroscopy_map"
    if len(shape) in (2, 3) and shape[0] >= 2 and shape[1] >= 2:
        return "image"
    return "wave"


def _is_volume(raw: RawWave, note: Note) -> bool:
    """A spectroscopy volume (CITS, a grid of spectra): a 3-D wave whose layers carry no
    channel labels and are a sweep (one stated in the note or the wave's scaling), or are
    too many to be channels."""
    if any(clean_label(x) for x in raw.labels[2]):
        return False
    if raw.data.shape[0] < 1 or raw.data.shape[1] < 1:
        return False
    swept = _SWEEP.search(str(note.raw.get("_text", ""))) is not None or bool(raw.dim_units[2])
    return swept or raw.data.shape[2] > _MAX_UNLABELED_LAYERS


def _sweep(raw: RawWave, kind: str, note: Note) -> dict[str, Any] | None:
    """The sweep axis of a spectroscopy map: quantity, unit, start, end, points, source."""
    if kind != "spectroscopy_map":
        return None
    points = int(raw.data.shape[2])
    out: dict[str, Any] = {"quantity": None, "unit": None, "start": None, "end": None,
                           "points": points, "source": None}
    stated = _SWEEP.search(str(note.raw.get("_text", "")))
    if stated is not None and stated[2] == stated[4]:
        out.update(unit=stated[2] or None, start=number(stated[1]), end=number(stated[3]),
                   source="note")
    elif raw.dim_units[2] and raw.sf_a[2] != 0 and math.isfinite(raw.sf_a[2]):
        out.update(unit=raw.dim_units[2], start=_finite(raw.sf_b[2]),
                   end=_finite(raw.sf_b[2] + raw.sf_a[2] * (points - 1)), source="wave_scaling")
    if out["unit"] == "V":
        out["quantity"] = "bias"
    elif out["unit"] == "m":
        out["quantity"] = "zsensor"
    elif out["unit"] == "s":
        out["quantity"] = "time"
    return out


def imaging_mode(kind: str, vendor: str | None, note: Note, channels: list[dict[str, Any]]) -> str:
    """Normalized mode from ImagingMode, refined by DART state and channel names."""
    raw = (note.get("ImagingMode") or "").strip().lower()
    base = vocab.IMAGING_MODES_RAW.get(raw, "unknown")
    if base == "unknown" and raw:
        for word, mode in (("pfm", "pfm"), ("contact", "contact"), ("ac", "ac")):
            if re.search(rf"\b{word}\b", raw):
                base = mode
                break
    if kind == "force_curve":
        return "force_curve"
    if kind == "spectrum":
        return "ss_pfm" if base in ("pfm", "dart_pfm", "ss_pfm") else "unknown"
    if vendor == "Scienta Omicron":
        if kind == "spectroscopy_map":  # CITS: tunnelling spectroscopy on an STM
            return "stm"
        return "stm" if any(c["quantity"] == "current" for c in channels) else "unknown"
    if vendor != "Asylum Research":
        return "unknown"
    names = {(split_name(c["name"]).base, split_name(c["name"]).number) for c in channels}
    dual = {("amplitude", "1"), ("amplitude", "2")} <= names
    if _flag(note.get("DFRTOn")) or (dual and base in ("pfm", "contact", "unknown")):
        return "dart_pfm"
    if any(c["quantity"] == "potential" for c in channels):
        return "kpfm"
    nap_channels = [c for c in channels if split_name(c["name"]).nap]
    nap_phase = any(c["quantity"] == "phase" for c in nap_channels)
    if nap_phase and (number(note.get("NapTipVoltage")) or 0) != 0:
        return "efm"
    if nap_channels or _nap_on(note.get("NapMode")):  # two-pass, whatever the bias
        return "nap"
    return base


def _nap_on(value: str | None) -> bool:
    """Asylum's NapMode: "Off"/0 when off; "Nap", "Parm", 1, 2... when a second pass runs."""
    if value is None or not value.strip():
        return False
    numeric = number(value)
    if numeric is not None:
        return numeric != 0
    return value.strip().lower() not in ("off", "none", "no")


# --- parts of the document -----------------------------------------------------------


_MAX_COLUMN_CHANNELS = 64


def _columns_are_channels(raw: RawWave, kind: str) -> bool:
    """A 2-D curve or wave is (point, channel) unless it has too many columns for that."""
    shape = raw.data.shape
    return len(shape) == 2 and (kind != "wave" or shape[1] <= _MAX_COLUMN_CHANNELS)


def _layout(raw: RawWave, kind: str) -> tuple[int, list[str]]:
    """Number of channels and their labels, from the axis that holds channels."""
    shape = raw.data.shape
    if kind == "spectroscopy_map":
        return 1, []
    if kind == "image":
        return (shape[2], raw.labels[2]) if len(shape) == 3 else (1, [])
    if _columns_are_channels(raw, kind):
        return shape[1], raw.labels[1]
    return 1, []


def _channels(raw: RawWave, kind: str, note: Note, vendor: str | None) -> list[dict[str, Any]]:
    n, labels = _layout(raw, kind)
    header_unit = raw.data_units or None
    named = None  # MATRIX: "Channel name and data unit: I 3 [A]"
    if n == 1 and (value := note.get("Channel name and data unit")):
        named = _CHANNEL_AND_UNIT.match(value)
    lowered = raw.name.lower()
    out = []
    for i in range(n):
        label_raw = labels[i] if i < len(labels) else None
        name = clean_label(label_raw) if label_raw else ""
        if name:
            parts = split_name(name)
            quantity, unit = quantity_and_unit(parts, note, header_unit if n == 1 else None)
            direction = parts.direction
        else:
            if named is not None:
                name, header_unit = named[1], header_unit or named[2] or None
            else:
                name = raw.name if n == 1 and raw.name else f"layer{i}"
            unit = header_unit if n == 1 else None
            quantity = vocab.UNIT_QUANTITIES.get(unit or "", "unknown")
            direction = None
        if vendor == "Scienta Omicron":
            direction = ("retrace" if "backward" in lowered
                         else "trace" if "forward" in lowered else None)
        out.append({"index": i, "name": name, "label_raw": label_raw, "quantity": quantity,
                    "unit": unit, "direction": direction})
    return out


def _stats(arrays: np.ndarray) -> list[dict[str, float | None]]:
    """min, max, mean, std over finite values; nan_fraction counts NaN and +-inf.

    The fast path needs no mask: NaN propagates into min/max, so finite
    extremes prove every value finite. Mean and std use numpy's pairwise
    float32 sums (relative error ~1e-7, plenty for catalog statistics).
    """
    flat = arrays.reshape(arrays.shape[0], -1)
    if flat.shape[1] == 0:
        empty = {"min": None, "max": None, "mean": None, "std": None, "nan_fraction": 0.0}
        return [dict(empty) for _ in range(len(flat))]
    lows, highs = flat.min(axis=1), flat.max(axis=1)
    rows: list[tuple[float, float, float, float, float]] = []
    if np.isfinite(lows).all() and np.isfinite(highs).all():
        with np.errstate(over="ignore", invalid="ignore"):
            means, stds = flat.mean(axis=1), flat.std(axis=1)
        overflow = ~(np.isfinite(means) & np.isfinite(stds))
        if overflow.any():  # |values| near float32's limit: redo those rows in float64
            means = np.where(overflow, flat.mean(axis=1, dtype=np.float64), means)
            stds = np.where(overflow, flat.std(axis=1, dtype=np.float64), stds)
        rows = [(lo, hi, mu, sd, 0.0) for lo, hi, mu, sd in zip(lows, highs, means, stds,
                                                                   strict=True)]
    else:
        for values in flat:
            good = values[np.isfinite(values)]
            bad = 1.0 - good.size / values.size
            if good.size == 0:
                rows.append((math.nan, math.nan, math.nan, math.nan, bad))
            else:
                rows.append((good.min(), good.max(), good.mean(dtype=np.float64),
                             good.std(dtype=np.float64), bad))
    return [
        {"min": _finite(lo), "max": _finite(hi), "mean": _finite(mu), "std": _finite(sd),
         "nan_fraction": float(bad)}
        for lo, hi, mu, sd, bad in rows
    ]


def _arrays(raw: RawWave, kind: str, warnings: list[str]) -> np.ndarray:
    data = raw.data
    if kind == "spectroscopy_map":
        view = data.transpose(1, 0, 2)[np.newaxis]  # (x, y, sweep) -> (1, y, x, sweep)
    elif kind == "image":
        if data.ndim == 2:
            data = data[:, :, np.newaxis]
        view = data.transpose(2, 1, 0)  # (x, y, layer) -> (layer, y, x)
    elif data.ndim == 1:
        view = data[np.newaxis, :]
    elif _columns_are_channels(raw, kind):
        view = data.T  # (point, channel) -> (channel, point)
    else:
        view = data.reshape(1, -1, order="F")
    with np.errstate(over="ignore", invalid="ignore"):
        arrays = np.array(view, dtype=np.float32, order="C")
    if view.dtype.itemsize > 4 and np.isinf(arrays).any() and not np.isinf(view).any():
        warnings.append("values beyond the float32 range became +-inf in the stored arrays")
    return arrays


def _scan(raw: RawWave, kind: str, note: Note, asylum: bool, vendor: str | None,
          warnings: list[str]) -> dict[str, Any]:
    scan: dict[str, Any] = dict.fromkeys(
        ("size_x_m", "size_y_m", "pixels_x", "pixels_y", "pixel_size_x_m", "pixel_size_y_m",
         "rate_hz", "speed_m_s", "angle_deg", "x_offset_m", "y_offset_m", "direction", "loop",
         "frame_time_s"))
    if kind not in ("image", "spectroscopy_map"):
        return scan
    nx, ny = int(raw.data.shape[0]), int(raw.data.shape[1])
    scan["pixels_x"], scan["pixels_y"] = nx, ny
    metres = [raw.dim_units[d] == "m" and raw.sf_a[d] > 0 and math.isfinite(raw.sf_a[d])
              for d in (0, 1)]
    if asylum:
        scan.update(_from_keys(note, vocab.SCAN_KEYS))
        for key, n in (("ScanPoints", nx), ("ScanLines", ny)):
            declared = _int(note.get(key))
            if declared is not None and declared != n:
                warnings.append(f"note says {key} {declared} but the image has {n}")
        direction = _flag(note.get("ScanDown"))
        scan["direction"] = None if direction is None else "down" if direction else "up"
        loop = (note.get("ScanMode") or "").lower()
        scan["loop"] = "closed" if "closed" in loop else "open" if "open" in loop else None
        frame = number(note.get("ImageFrameTime"))
        scan["frame_time_s"] = frame if frame is not None and frame > 0 else None
    else:
        if metres[0]:
            scan["size_x_m"] = raw.sf_a[0] * nx
        if metres[1]:
            scan["size_y_m"] = raw.sf_a[1] * ny
        if vendor == "Scienta Omicron":
            lowered = raw.name.lower()
            scan["direction"] = "down" if "down" in lowered else "up" if " up" in lowered else None
            configured = _configured_lines(str(note.raw.get("_text", "")), nx)
            if configured is not None and configured != ny:
                warnings.append(f"partial frame: {ny} of {configured} configured lines")
    for axis, n, d in (("x", nx, 0), ("y", ny, 1)):
        size = scan[f"size_{axis}_m"]
        if metres[d]:
            scan[f"pixel_size_{axis}_m"] = raw.sf_a[d]
        elif size is not None:
            scan[f"pixel_size_{axis}_m"] = size / n
    return scan


def _configured_lines(text: str, nx: int) -> int | None:
    """Lines of the frame this wave belongs to. MATRIX states the raster ("points per
    line =512, lines per image = 512"); a spectroscopy grid samples every n-th point and
    line of it, so a 64-point grid of a 512-point raster has 512 / 8 = 64 lines."""
    lines = _MATRIX_LINES.search(text)
    if lines is None:
        return None
    configured = int(lines[1])
    points = _MATRIX_POINTS.search(text)
    if points is not None and nx > 0 and int(points[1]) > nx and int(points[1]) % nx == 0:
        configured //= int(points[1]) // nx
    return configured


def _feedback(kind: str, mode: str, note: Note, asylum: bool) -> dict[str, Any]:
    feedback: dict[str, Any] = {"setpoint": None, "setpoint_unit": None, "setpoint_kind": None,
                                "integral_gain": None, "proportional_gain": None}
    if not asylum or kind != "image":
        return feedback
    if mode in vocab.AMPLITUDE_FEEDBACK_MODES:
        value, kind_name = number(note.get("AmplitudeSetpointVolts")), "amplitude"
    elif mode in ("contact", "pfm", "dart_pfm", "ss_pfm"):
        value, kind_name = number(note.get("DeflectionSetpointVolts")), "deflection"
    else:
        value, kind_name = None, None
    if value is not None:
        feedback.update(setpoint=value, setpoint_unit="V", setpoint_kind=kind_name)
    feedback["integral_gain"] = number(note.get("IntegralGain"))
    feedback["proportional_gain"] = number(note.get("ProportionalGain"))
    return feedback


def _cantilever(note: Note, asylum: bool) -> dict[str, Any]:
    values = _from_keys(note, vocab.CANTILEVER_KEYS) if asylum else dict.fromkeys(
        vocab.CANTILEVER_KEYS)
    k, invols = values["spring_constant_n_m"], values["invols_m_v"]
    if k is None and invols is None:
        uncalibrated = None
    else:
        uncalibrated = (k is not None and math.isclose(k, vocab.DEFAULT_SPRING_CONSTANT_N_M)) or (
            invols is not None and math.isclose(invols, vocab.DEFAULT_INVOLS_M_V))
    return {**values, "uncalibrated": uncalibrated,
            "tip_serial": _text(note.get("TipSerialNumber")) if asylum else None}


def _excitation(note: Note, asylum: bool) -> dict[str, Any]:
    names = [*vocab.EXCITATION_KEYS, *vocab.SECOND_TONE_KEYS, "dart_on", *vocab.DART_KEYS]
    out: dict[str, Any] = dict.fromkeys(names)
    if not asylum:
        return out
    out.update(_from_keys(note, vocab.EXCITATION_KEYS))
    dart_on = _flag(note.get("DFRTOn"))
    out["dart_on"] = dart_on
    if dart_on or _flag(note.get("DualACMode")):
        out.update(_from_keys(note, vocab.SECOND_TONE_KEYS))
    if dart_on:
        out.update(_from_keys(note, vocab.DART_KEYS))
    return out


def _sample(path: str, note: Note, site: SiteConfig) -> dict[str, Any]:
    sample: dict[str, Any] = dict.fromkeys(("name", *SAMPLE_FIELDS[1:]))
    sources: dict[str, str] = {}

    def put(field: str, value: str | None, source: str) -> None:
        target = "name" if field == "sample" else field
        value = (value or "").strip()
        if value and sample[target] is None:
            sample[target] = value
            sources[target] = source

    for field, value in site.sample_fields(path).items():
        put(field, value, "filename_rule")
    for match in _NOTE_FIELD.finditer(note.get("ImageNote") or ""):
        field = match[1].lower()
        put("operator" if field == "user" else field, match[2], "image_note")
    for field, keys in vocab.NOTE_SAMPLE_KEYS.items():
        for key in keys:
            put(field, note.get(key), "note")
    if (who := _MATRIX_WHO.search(note.raw.get("_text", "") if not note.structured else "")):
        put("project", who[1], "note")
        put("operator", who[2], "note")
    sample["sources"] = sources
    return sample


def _curve(raw: RawWave, kind: str, note: Note) -> dict[str, Any] | None:
    if kind not in ("force_curve", "spectrum"):
        return None
    direction = None
    if (text := note.get("Direction")) is not None:
        items = [x.strip() for x in text.split(",") if x.strip()]
        direction = [number(x) for x in items]
    segments = _int(note.get("NumOfSegments"))
    if segments is None and direction is not None:
        segments = sum(d is not None for d in direction) or None
    interval = raw.sf_a[0] if raw.dim_units[0] == "s" and raw.sf_a[0] > 0 else None
    return {"points": int(raw.data.shape[0]), "segments": segments, "direction": direction,
            "sample_interval_s": _finite(interval) if interval is not None else None}


def _acquired(raw: RawWave, note: Note, timezone: str | None,
              warnings: list[str]) -> tuple[str | None, str | None]:
    seconds = number(note.get("Seconds"))
    if seconds is not None and (value := clock.from_igor_seconds(seconds, timezone)):
        return value, "note_seconds"
    date, time = note.get("Date"), note.get("Time")
    if date and time and (value := clock.from_date_time(date, time, timezone)):
        return value, "note_date_time"
    # MATRIX: "... executed by user 'x' (MATRIX version ...) on 10-Jan-2023 22:53:08"
    stamp = _MATRIX_WHEN.search(str(note.raw.get("_text", "")))
    if stamp and stamp[2].lower() in _MONTHS:
        month = _MONTHS.index(stamp[2].lower()) + 1
        when = f"{stamp[3]}-{month:02d}-{int(stamp[1]):02d}"
        if value := clock.from_date_time(when, stamp[4], timezone):
            return value, "note_date_time"
    for stamp in (raw.creation_date, raw.mod_date):
        if stamp and (value := clock.from_igor_seconds(stamp, timezone)):
            warnings.append("acquisition time taken from the wave header, which is unreliable")
            return value, "wave_header"
    return None, None


# --- the document --------------------------------------------------------------------


def normalize(raw: RawWave, *, source_path: str, file_name: str, file_sha256: str,
              file_size_bytes: int, site: SiteConfig) -> tuple[dict[str, Any], np.ndarray]:
    """Build the scan/v1 document and the float32 arrays for one wave."""
    warnings = list(raw.warnings)
    note = parse_note(decode_text(raw.note)) if raw.note else parse_note("")
    asylum = _is_asylum(note)
    text = note.raw.get("_text")
    vendor = "Asylum Research" if asylum else (
        "Scienta Omicron" if isinstance(text, str) and "MATRIX version" in text else None)
    if not raw.note:
        warnings.append("file has no wave note: only the header's metadata is known")
    kind = record_kind(raw, note, asylum)
    arrays = _arrays(raw, kind, warnings)
    channels = _channels(raw, kind, note, vendor)
    for channel, stats in zip(channels, _stats(arrays), strict=True):
        channel["stats"] = stats
    mode = imaging_mode(kind, vendor, note, channels)
    software = note.get("Version") if asylum else None
    matrix_version = _MATRIX_VERSION.search(text) if isinstance(text, str) else None
    if vendor == "Scienta Omicron" and matrix_version:
        software = f"MATRIX {matrix_version[1]}"
    acquired_at, acquired_source = _acquired(raw, note, site.timezone, warnings)
    header_created = (clock.from_igor_seconds(raw.creation_date, site.timezone)
                      if raw.creation_date else None)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "record_kind": kind,
        "file_sha256": file_sha256,
        "file_size_bytes": file_size_bytes,
        "source_path": source_path,
        "file_name": file_name,
        "site": site.site,
        "instrument": site.instrument,
        "parser_version": PARSER_VERSION,
        "ingested_at": clock.iso_utc(datetime.now(UTC)),
        "acquired_at": acquired_at,
        "acquired_at_source": acquired_source,
        "acquired_at_timezone": site.timezone if acquired_at else None,
        "vendor": vendor,
        "instrument_model": _text(note.get("MicroscopeModel")) if asylum else None,
        "software_version": _text(software),
        "imaging_mode": mode,
        "imaging_mode_raw": _text(note.get("ImagingMode")) if asylum else None,
        "base_name": _text(note.get("BaseName")) if asylum else None,
        "base_suffix": _text(note.get("BaseSuffix")) if asylum else None,
        "wave_name": raw.name or None,
        "image_note": _text(note.get("ImageNote")) if asylum else None,
        "channels": channels,
        "scan": _scan(raw, kind, note, asylum, vendor, warnings),
        "feedback": _feedback(kind, mode, note, asylum),
        "cantilever": _cantilever(note, asylum),
        "excitation": _excitation(note, asylum),
        "environment": _from_keys(note, vocab.ENVIRONMENT_KEYS) if asylum else dict.fromkeys(
            vocab.ENVIRONMENT_KEYS),
        "sample": _sample(source_path, note, site),
        "curve": _curve(raw, kind, note),
        "sweep": _sweep(raw, kind, note),
        "wave": {
            "igor_version": raw.version,
            "dtype": NUMERIC_TYPES.get(raw.type_code, str(raw.data.dtype)),
            "shape": [int(n) for n in raw.data.shape],
            "byte_order": raw.byte_order,
            "header_created_at": header_created,
        },
        "raw_note": note.raw,
        "warnings": warnings,
    }
    return document, arrays
