"""Mapping tables from vendor vocabulary to the standard document.

Data, not code: to support a new channel or note key, add a row here.
"""

from __future__ import annotations

# Channel base name (lower case, trace/retrace and Nap prefix removed, digits
# kept apart) -> (quantity, unit). Asylum stores images in SI units already
# (amplitude and deflection scaled by the InvOLS to metres).
CHANNEL_QUANTITIES: dict[str, tuple[str, str | None]] = {
    "height": ("height", "m"),
    "zsensor": ("zsensor", "m"),
    "zsnsr": ("zsensor", "m"),
    "amplitude": ("amplitude", "m"),
    "amp": ("amplitude", "m"),
    "deflection": ("deflection", "m"),
    "defl": ("deflection", "m"),
    "phase": ("phase", "deg"),
    "frequency": ("frequency", "Hz"),
    "freq": ("frequency", "Hz"),
    "potential": ("potential", "V"),
    "current": ("current", "A"),
    "cur": ("current", "A"),
    "raw": ("raw", "m"),  # force curve: Z piezo drive, in metres
    "lvdt": ("zsensor", "m"),
    "lateral": ("lateral", "V"),
    "userin": ("user", None),  # unit from the note's UserIn<N>Unit
    "usercalc": ("user", None),
    "deflv": ("deflection", "V"),
    "ampv": ("amplitude", "V"),
    "dissipation": ("dissipation", None),
    "count": ("count", None),
    "bias": ("bias", "V"),
    "time": ("time", "s"),
}

# Header data unit -> quantity, for waves whose channel name means nothing.
UNIT_QUANTITIES: dict[str, str] = {"A": "current", "V": "potential", "Hz": "frequency"}

# Asylum ImagingMode values (lower case) -> normalized mode, before the DART,
# nap and channel rules in `normalize.imaging_mode` refine them.
IMAGING_MODES_RAW: dict[str, str] = {
    "ac mode": "ac",
    "ac": "ac",
    "tapping": "ac",
    "contact": "contact",
    "contact mode": "contact",
    "pfm mode": "pfm",
    "pfm": "pfm",
    "dart mode": "dart_pfm",
    "ss-pfm": "ss_pfm",
    "sspfm": "ss_pfm",
    "switching spectroscopy": "ss_pfm",
    "kpfm": "kpfm",
    "skpm": "kpfm",
    "efm": "efm",
    "fm mode": "ac",
}

# Modes whose height feedback is on the cantilever amplitude (else deflection).
AMPLITUDE_FEEDBACK_MODES = {"ac", "kpfm", "efm", "nap"}

# Note keys that prove an Asylum Research note (need at least three).
ASYLUM_MARKERS = (
    "MicroscopeModel", "ImagingMode", "InvOLS", "SpringConstant", "ScanSize", "BaseName",
    "IgorFileVersion", "XOPVersion", "ForceDist",
)

# Note keys of Asylum force curves and point spectroscopy.
CURVE_MARKERS = ("NumOfSegments", "ForceDist", "Direction", "TriggerChannel", "ARDFForceMap")
CURVE_CHANNELS = {"raw", "defl", "deflection", "zsnsr", "lvdt", "deflv", "bias", "amp", "phase"}

# Document field -> Asylum note keys, first present wins. Units: the note is SI.
SCAN_KEYS: dict[str, tuple[str, ...]] = {
    "size_x_m": ("FastScanSize", "ScanSize"),
    "size_y_m": ("SlowScanSize", "ScanSize"),
    "rate_hz": ("ScanRate",),
    "speed_m_s": ("ScanSpeed",),
    "angle_deg": ("ScanAngle",),
    "x_offset_m": ("XOffset",),
    "y_offset_m": ("YOffset",),
}
CANTILEVER_KEYS: dict[str, tuple[str, ...]] = {
    "spring_constant_n_m": ("SpringConstant",),
    "invols_m_v": ("InvOLS",),
    "amp_invols_m_v": ("AmpInvOLS",),
    "thermal_q": ("ThermalQ",),
    "thermal_frequency_hz": ("ThermalFrequency",),
}
EXCITATION_KEYS: dict[str, tuple[str, ...]] = {
    "drive_frequency_hz": ("DriveFrequency",),
    "drive_amplitude_v": ("DriveAmplitude",),
    "tip_bias_v": ("TipVoltage",),
    "sample_bias_v": ("SurfaceVoltage",),
}
# Only meaningful with a second tone (DualACMode) or DART on; else stale defaults.
SECOND_TONE_KEYS: dict[str, tuple[str, ...]] = {
    "drive_frequency_2_hz": ("DriveFrequency1",),
    "drive_amplitude_2_v": ("DriveAmplitude1",),
}
DART_KEYS: dict[str, tuple[str, ...]] = {
    "dart_center_frequency_hz": ("DFRTFrequencyCenter",),
    "dart_frequency_width_hz": ("DFRTFrequencyWidth",),
    "dart_i_gain": ("DARTIGain",),
}
ENVIRONMENT_KEYS: dict[str, tuple[str, ...]] = {
    "sample_temperature_c": ("EnvironSampleTemp", "SampleTemp"),
    "head_temperature_c": ("StartHeadTemp", "HeadTemp"),
    "scanner_temperature_c": ("StartScannerTemp", "ScannerTemp"),
}
# Explicit note keys (exact, any case) that name sample metadata.
NOTE_SAMPLE_KEYS: dict[str, tuple[str, ...]] = {
    "sample": ("Sample", "SampleName", "Sample Name", "Sample ID"),
    "material": ("Material", "SampleMaterial", "Sample Material"),
    "operator": ("Operator", "User", "UserName"),
    "project": ("Project",),
}

# Defaults Asylum software writes before a cantilever is calibrated.
DEFAULT_SPRING_CONSTANT_N_M = 1.0
DEFAULT_INVOLS_M_V = 1e-7
