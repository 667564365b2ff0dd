"""Files with the structures the held-out real files showed, for the reader's tests.

* `write_matrix_cits`: a Scienta Omicron MATRIX CITS spectroscopy volume as the
  MATRIX IGOR5 exporter writes it: a 3-D float wave (x, y, bias points) with no
  layer labels, one channel named in the note ("Channel name and data unit:
  Aux2(V) [V]"), the bias sweep stated in the note, a spectroscopy grid that
  samples every n-th point of the configured raster, and a partial frame;
* `write_nap`: an Asylum two-pass (nap) AC image, Height/Amplitude/Phase then
  NapAmplitude/NapPhase, with the nap tip voltage at 0 V (an SGM/EFM file).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from .dart import Acquisition, build_note
from .ibw_writer import Wave, igor_seconds, write_ibw

NAP_CHANNELS = ("Height", "Amplitude", "Phase", "NapAmplitude", "NapPhase")


def matrix_cits_note(*, name: str, raster: int, step: int, start_v: float, end_v: float,
                     points: int, when: datetime) -> str:
    """The note of a MATRIX CITS export (CR line ends, "=" separated free text)."""
    lines = [
        name,
        "SPM Volume",
        "",
        "Sample: Au(111)",
        f"Data set: {when:%Y-%m-%d}",
        "Creation Comment: CITS on the terrace",
        "Volume data:",
        f"Configured points per line ={raster}, lines per image = {raster}",
        f"Spectroscopy grid: every {step}. point, every {step}. line",
        "Channel name and data unit: Aux2(V) [V]",
        f"Width = {raster * 1e-11:g} [m], Height = {raster * 1e-11:g} [m]",
        f"Spectroscopy: V from {start_v:g} [V] to {end_v:g} [V], {points} points",
        "Experiment 'STM_Spectroscopy' (Project 'CITS') executed by user 'synth' "
        f"(MATRIX version V4.3.5-_v1849-tag-release-MatrixKit_4.3.5-207245) on "
        f"{when:%d-%b-%Y %H:%M:%S}",
        "Stripped 56 incomplete line(s) from forward up output!",
        "Export created by IGOR5 Exporter v120401",
    ]
    return "\r".join(lines) + "\r"


def write_matrix_cits(path: str | Path, *, nx: int = 64, ny: int = 8, points: int = 256,
                      raster: int = 512, start_v: float = -0.5, end_v: float = 0.504,
                      sweep_in_note: bool = True, seed: int = 0) -> Path:
    """A CITS volume: `nx` x `ny` pixels (a partial frame of the `raster`/`step` grid), each
    a `points`-point dI/dV-like spectrum from `start_v` to `end_v`, in volts; the sweep is
    stated in the note, or (`sweep_in_note=False`) only in the wave's third-axis scaling."""
    rng = np.random.default_rng(seed)
    bias = np.linspace(start_v, end_v, points)
    gap = rng.uniform(0.05, 0.15, size=(nx, ny, 1))
    data = (np.tanh((bias - gap) / 0.05) + np.tanh((bias + gap) / 0.05)) * 0.01
    data = (data + rng.normal(0, 1e-4, size=data.shape)).astype(np.float32)
    step = raster // nx
    when = datetime(2023, 1, 11, 9, 30, 5)
    name = "Aux2(V) 12-1 Forward Up"
    pixel = raster * 1e-11 / (raster // step)
    note = matrix_cits_note(name=name, raster=raster, step=step, start_v=start_v,
                            end_v=end_v, points=points, when=when)
    if not sweep_in_note:
        note = "\r".join(x for x in note.split("\r") if not x.startswith("Spectroscopy:"))
    wave = Wave(
        name=name[:31],
        data=data,
        note=note,
        data_units="V",
        dim_units=("m", "m", "" if sweep_in_note else "V"),
        scale=((pixel, -2e-9), (pixel, 1e-9),
               (1.0, 0.0) if sweep_in_note else ((end_v - start_v) / (points - 1), start_v)),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ibw(path, wave)
    return path


def write_nap(path: str | Path, *, points: int = 64, nap_tip_voltage: float = 0.0,
              seed: int = 0) -> Path:
    """An Asylum two-pass AC image with NapAmplitude and NapPhase channels."""
    rng = np.random.default_rng(seed)
    when = datetime(2024, 3, 5, 14, 2, 11)
    acq = Acquisition(base_name="SGM_", suffix=3, when=when, scan_size=5e-6, points=points,
                      lines=points)
    yy, xx = np.mgrid[0:points, 0:points] / points
    height = (1e-9 * np.sin(6 * xx) * np.cos(4 * yy)).astype(np.float32)
    layers = {
        "Height": height,
        "Amplitude": (0.5 + rng.normal(0, 1e-3, height.shape)).astype(np.float32),
        "Phase": (90 + 5 * np.sin(5 * yy) + rng.normal(0, 0.1, height.shape)).astype(
            np.float32),
        "NapAmplitude": (0.4 + rng.normal(0, 1e-3, height.shape)).astype(np.float32),
        "NapPhase": (88 + 2 * np.cos(7 * xx) + rng.normal(0, 0.1, height.shape)).astype(
            np.float32),
    }
    note = build_note(acq, layers)
    for old, new in (("ImagingMode:PFM Mode", "ImagingMode:AC Mode"),
                     ("NapMode:Off", "NapMode:Nap"),
                     ("NapTipVoltage: 3", f"NapTipVoltage: {nap_tip_voltage:g}"),
                     ("NapMode: 0", "NapMode: 1"),
                     ("DualACMode: 1", "DualACMode: 0"),
                     ("DFRTOn: 1", "DFRTOn: 0")):
        if old not in note:
            raise ValueError(f"the DART note template no longer has {old!r}")
        note = note.replace(old, new)
    stack = np.stack(list(layers.values()))
    wave = Wave(
        name=acq.wave_name,
        data=stack.transpose(2, 1, 0),
        note=note,
        data_units="m",
        dim_units=("m", "m", ""),
        scale=((5e-6 / (points - 1), 0.0), (5e-6 / (points - 1), 0.0)),
        labels={2: ["", *(f"{c}Retrace" for c in NAP_CHANNELS)]},
        created=igor_seconds(when),
        modified=igor_seconds(when),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ibw(path, wave)
    return path
