"""Build the wave note of an Asylum DART-PFM image, consistent with the image it goes with.

The key skeleton lives in ``dart_template``; this module fills it from an
``Acquisition`` (scan geometry, tuning, calibration, clock, sample) and from the
image itself (per-line flatten offsets, display offsets), formatted the way the
Asylum software writes numbers: 5 significant digits, ``NaN``/``inf``, CR line ends.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .dart_template import NOTE_TEMPLATE
from .ibw_writer import IGOR_EPOCH

# Layer order of a DART image as the Asylum software saves it.
DART_CHANNELS = ("Height", "Amplitude1", "Amplitude2", "Phase1", "Phase2", "Frequency")
UNCALIBRATED_SPRING_CONSTANT = 1.0
UNCALIBRATED_INVOLS = 1e-7

# Software release -> (VerDate, XopVersion, OSVersion, IgorFileVersion).
SOFTWARE: dict[str, tuple[str, str, str, str]] = {
    "14.23.153": ("140709", "20140.28.3.0", "Windows 7 Professional (Build 7601)", "6.3.5.5"),
    "15.09.112": (
        "150112",
        "20143.35.27.0",
        "Windows 7 Professional Service Pack 1 (Build 7601)",
        "6.3.7.2",
    ),
    "16.14.216": ("180511", "20170.14.5.0", "Windows 10 Enterprise (Build 17134)", "7.0.8.1"),
}
MICROSCOPES: dict[str, tuple[int, float]] = {"MFP3D": (3, 9e-05), "Cypher": (10, 3e-05)}
_PHASE_CHANNELS = ("Phase1", "Phase2")


def layer_labels(channels: tuple[str, ...] = DART_CHANNELS) -> list[str]:
    """Asylum's labels for the layer dimension: an empty dimension label, then ``<Ch>Retrace``."""
    return ["", *(f"{c}Retrace" for c in channels)]


@dataclass(frozen=True)
class Acquisition:
    """Settings of one DART-PFM scan; every value the note states about the image comes here."""

    base_name: str
    suffix: int
    when: datetime
    scan_size: float
    points: int = 256
    lines: int = 256
    scan_rate: float = 1.0
    scan_angle: float = 0.0
    x_offset: float = 0.0
    y_offset: float = 0.0
    resonance: float = 3.5e5
    dfrt_width: float = 1e4
    drive_amplitude: float = 1.0
    q_factor: float = 120.0
    dart_i_gain: float = 1000.0
    phase_offset: float = 0.0
    setpoint_volts: float = 0.8
    spring_constant: float = 3.0
    invols: float = 1.2e-7
    amp_invols: float = 1.3e-7
    tip_voltage: float = 0.0
    surface_voltage: float = 0.0
    microscope: str = "MFP3D"
    software: str = "15.09.112"
    clock_24h: bool = False
    image_note: str = ""
    head_temp: float = 32.125
    scanner_temp: float = 28.0

    @property
    def seconds(self) -> float:
        """Igor's clock (seconds since 1904) for ``when``, local time as the instrument writes."""
        return (self.when - IGOR_EPOCH).total_seconds()

    @property
    def wave_name(self) -> str:
        return f"{self.base_name}{self.suffix:04d}"


def fmt(x: float) -> str:
    """A number the way Igor's ``num2str`` in the Asylum note writes it."""
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.5g}"


def clock_time(when: datetime, clock_24h: bool) -> str:
    """``08:30:46`` (24-hour) or ``8:30:46 AM`` (12-hour, no leading zero) as both occur."""
    if clock_24h:
        return when.strftime("%H:%M:%S")
    hour = when.hour % 12 or 12
    return f"{hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"


def _series(values: np.ndarray) -> str:
    return ",".join(f"{v:.9g}" for v in values.tolist()) + ","


def planefit_block(layers: Mapping[str, np.ndarray], scan_size: float) -> str:
    """The blank line and per-channel display/flatten block that ends an Asylum note.

    Height carries the per-line offsets and slopes of a first-order flatten, computed from
    the image so that a reader can check them against the data.
    """
    out = [""]
    for i, (name, img) in enumerate(layers.items()):
        img64 = np.asarray(img, dtype=np.float64)
        mean = float(img64.mean())
        is_height = name == "Height"
        out += [
            f"Planefit {i}: {'Flatten 1' if is_height else 'None'}",
            f"PlanefitOrder {i}: -1",
            f"FlattenOrder {i}: {1 if is_height else -1}",
            f"Planefit Offset {i}: {fmt(mean)}",
            f"Planefit X Slope {i}: 0",
            f"Planefit Y Slope {i}: 0",
        ]
        if is_height:
            x = np.linspace(0.0, scan_size, img64.shape[1])
            xc = x - x.mean()
            out += [
                f"Flatten Offsets {i}: {_series(img64.mean(axis=1))}",
                f"Flatten Slopes {i}: {_series((img64 @ xc) / float(xc @ xc))}",
            ]
            offset, span = 0.0, 6.0 * float(img64.std())
        elif name in _PHASE_CHANNELS or name == "Frequency":
            offset, span = mean, float("nan")
        else:
            offset, span = mean, 4.0 * float(img64.std())
        out += [
            f"Display Offset {i}: {fmt(offset)}",
            f"Display Range {i}: {fmt(float(f'{span:.2g}'))}",
            f"ColorMap {i}: {'VioletOrangeYellow' if name in _PHASE_CHANNELS else 'Grays256'}",
        ]
    return "\n".join(out)


def note_values(acq: Acquisition) -> dict[str, str]:
    """Placeholder values of the note template for one acquisition."""
    ver_date, xop, os_version, igor_version = SOFTWARE[acq.software]
    microscope_id, max_scan = MICROSCOPES[acq.microscope]
    drive1 = acq.resonance - acq.dfrt_width / 2
    drive2 = acq.resonance + acq.dfrt_width / 2
    sample_rate = acq.points * acq.scan_rate * 2.5
    seconds = acq.seconds
    jitter = zlib.crc32(acq.wave_name.encode()) % 10_000
    save_path = f"C:Users:Asylum User:Documents:Asylum Research Data:{acq.when:%y%m%d}:"
    return {
        "blank": "",
        "scan_size": fmt(acq.scan_size),
        "fast_scan_size": fmt(acq.scan_size),
        "slow_scan_size": fmt(acq.scan_size * acq.lines / acq.points),
        "scan_rate": fmt(acq.scan_rate),
        "scan_speed": fmt(2.5 * acq.scan_size * acq.scan_rate),
        "x_offset": fmt(acq.x_offset),
        "y_offset": fmt(acq.y_offset),
        "points": str(acq.points),
        "lines": str(acq.lines),
        "slow_ratio": fmt(acq.lines / acq.points),
        "top_line": str(acq.lines - 1),
        "scan_angle": fmt(acq.scan_angle),
        "invols": fmt(acq.invols),
        "spring_constant": fmt(acq.spring_constant),
        "display_spring_constant": fmt(acq.spring_constant * 1e-9),
        "amp_invols": fmt(acq.amp_invols),
        "amp2_invols": fmt(acq.amp_invols),
        "phase_offset_long": f"{acq.phase_offset:.15g}",
        "phase_offset1_long": f"{acq.phase_offset:.15g}",
        "phase_offset": fmt(acq.phase_offset),
        "phase_offset1": fmt(acq.phase_offset),
        "setpoint_volts": fmt(acq.setpoint_volts),
        "setpoint_meters": fmt(acq.setpoint_volts * acq.amp_invols),
        "drive_amplitude": fmt(acq.drive_amplitude),
        "drive_amplitude1": fmt(acq.drive_amplitude),
        "drive_frequency": fmt(drive1),
        "drive_frequency1": fmt(drive2),
        "frequency_ratio": fmt(drive2 / drive1),
        "sweep_width": fmt(1e5),
        "sweep_width1": fmt(round(acq.dfrt_width * 1.7853)),
        "dfrt_center": fmt(acq.resonance),
        "dfrt_width": fmt(acq.dfrt_width),
        "resonance": fmt(acq.resonance),
        "thermal_frequency": fmt(round(acq.resonance, -4)),
        "q_factor": fmt(acq.q_factor),
        "tune_peak": fmt(0.004 * acq.drive_amplitude),
        "dart_i_gain": fmt(acq.dart_i_gain),
        "tip_voltage": fmt(acq.tip_voltage),
        "surface_voltage": fmt(acq.surface_voltage),
        "imaging_mode_code": "3",
        "microscope": acq.microscope,
        "microscope_id": str(microscope_id),
        "max_scan_size": fmt(max_scan),
        "base_name": acq.base_name,
        "base_suffix": str(acq.suffix),
        "update_counter": str(100 + acq.suffix),
        "thread_handle": str(20_000 + jitter),
        "button_time": fmt(seconds * 477.47 + jitter),
        "decimation": str(round(50_000 / sample_rate)),
        "sample_rate": fmt(sample_rate),
        "lockin_filter": fmt(sample_rate * 11.025),
        "fb_filter_bw": "1500",
        "head_temp": f"{fmt(acq.head_temp)} °C",
        "scanner_temp": f"{fmt(acq.scanner_temp)} °C",
        "head_temp_end": f"{fmt(acq.head_temp + 0.125)} °C",
        "scanner_temp_end": f"{fmt(acq.scanner_temp)} °C",
        "date": f"{acq.when:%Y-%m-%d}",
        "time": clock_time(acq.when, acq.clock_24h),
        "seconds": f"{seconds:.3f}",
        "save_path": save_path,
        "ver_date": ver_date,
        "version": acq.software,
        "xop_version": xop,
        "os_version": os_version,
        "igor_file_version": igor_version,
        "image_note": acq.image_note,
    }


def build_note(acq: Acquisition, layers: Mapping[str, np.ndarray]) -> str:
    """The full note text (CR line ends, as Asylum writes it) for ``acq`` and its image layers.

    ``layers`` maps channel names (``DART_CHANNELS`` order) to (lines, points) images.
    """
    if any(c in acq.image_note for c in "\r\n"):
        raise ValueError("expected a one-line image_note")
    values = note_values(acq)
    values["planefit"] = planefit_block(layers, acq.scan_size)
    return NOTE_TEMPLATE.format_map(values).replace("\n", "\r")
