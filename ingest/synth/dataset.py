"""Generate a folder of synthetic DART-PFM .ibw files laid out like an instrument PC.

Files go to ``out_dir/<sample>/<YYMMDD>/<BaseName><NNNN>.ibw`` (Asylum's default save
folders are named by date), and ``labels.csv`` records each file's ground truth so that
retrieval quality can be measured. The whole plan (samples, sessions, names, clocks) is
drawn in the parent from ``seed``; each file then has its own generator seeded by
``(seed, index)``, so the output is identical for any ``jobs``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from .dart import (
    DART_CHANNELS,
    MICROSCOPES,
    SOFTWARE,
    UNCALIBRATED_INVOLS,
    UNCALIBRATED_SPRING_CONSTANT,
    Acquisition,
    build_note,
    layer_labels,
)
from .domains import CLASSES, random_scene, render
from .ibw_writer import Wave, igor_seconds, write_ibw

LABELS_FILE = "labels.csv"
# Sample prefix -> material; sample names look like "PZT-123".
MATERIALS = {
    "PZT": "Pb(Zr0.2Ti0.8)O3",
    "BFO": "BiFeO3",
    "BTO": "BaTiO3",
    "PTO": "PbTiO3",
    "PPLN": "LiNbO3",
}
SUBSTRATES = ("SrTiO3", "DyScO3", "GdScO3", "SrRuO3/SrTiO3", "Nb:SrTiO3")
BASE_TAGS = ("", "dart", "after", "pol", "map")
LABEL_COLUMNS = (
    "path",
    "class",
    "variant",
    "period_m",
    "angle_deg",
    "scan_size_m",
    "points",
    "lines",
    "noise",
    "sample",
    "material",
    "microscope",
    "uncalibrated",
    "acquired",
    "params",
)


@dataclass(frozen=True)
class SynthFile:
    """One generated file and its ground truth (``path`` is absolute)."""

    path: Path
    cls: str
    variant: str
    sample: str
    material: str
    scan_size: float
    points: int
    lines: int
    angle: float
    noise: float
    period: float | None
    microscope: str
    uncalibrated: bool
    acquired: datetime
    extra: dict[str, float] = field(default_factory=dict)

    def label_row(self, root: Path) -> dict[str, str]:
        """The file's row in labels.csv, with ``path`` relative to the dataset root."""
        return {
            "path": self.path.relative_to(root).as_posix(),
            "class": self.cls,
            "variant": self.variant,
            "period_m": "" if self.period is None else f"{self.period:.6g}",
            "angle_deg": f"{self.angle:.4g}",
            "scan_size_m": f"{self.scan_size:.6g}",
            "points": str(self.points),
            "lines": str(self.lines),
            "noise": f"{self.noise:.4g}",
            "sample": self.sample,
            "material": self.material,
            "microscope": self.microscope,
            "uncalibrated": str(int(self.uncalibrated)),
            "acquired": self.acquired.isoformat(timespec="milliseconds"),
            "params": json.dumps(self.extra, sort_keys=True),
        }


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs for one file; drawn in the parent, so it is jobs-independent."""

    seed: int
    index: int
    cls: str
    relpath: str
    sample: str
    material: str
    base_name: str
    suffix: int
    when: datetime
    microscope: str
    software: str
    clock_24h: bool
    uncalibrated: bool
    scan_angle: float
    points: int
    image_note: str


def _sessions(seed: int, n: int, classes: Sequence[str], points: int) -> list[_Job]:
    """Plan ``n`` files as measurement sessions: a sample, a day, a base name, a run of scans."""
    rng = np.random.default_rng(seed)
    n_samples = max(1, round(np.sqrt(n) / 2))
    prefixes = list(MATERIALS)
    samples = [
        f"{prefixes[int(rng.integers(len(prefixes)))]}-{int(rng.integers(1, 1000)):03d}"
        for _ in range(n_samples)
    ]
    samples = list(dict.fromkeys(samples))
    start = datetime(2019, 1, 7, 8, 0, 0)
    counters: dict[tuple[str, str], int] = {}
    jobs: list[_Job] = []
    while len(jobs) < n:
        sample = samples[int(rng.integers(len(samples)))]
        material = MATERIALS[sample.split("-")[0]]
        day = start + timedelta(days=int(rng.integers(0, 5 * 365)))
        when = day + timedelta(seconds=float(rng.uniform(0, 9 * 3600)))
        tag = BASE_TAGS[int(rng.integers(len(BASE_TAGS)))]
        base_name = f"{sample}_{tag}" if tag else f"{sample}_"
        microscope = "Cypher" if rng.random() < 0.3 else "MFP3D"
        software = list(SOFTWARE)[int(rng.integers(len(SOFTWARE)))]
        clock_24h = bool(rng.random() < 0.3)
        uncalibrated = bool(rng.random() < 0.05)
        scan_angle = 90.0 if rng.random() < 0.2 else 0.0
        substrate = SUBSTRATES[int(rng.integers(len(SUBSTRATES)))]
        image_note = f"Sample: {sample}, {material} on {substrate}; DART PFM"
        folder = f"{sample}/{day:%y%m%d}"
        for _ in range(int(rng.integers(3, 40))):
            if len(jobs) == n:
                break
            key = (folder, base_name)
            counters[key] = suffix = counters.get(key, 0) + 1
            jobs.append(
                _Job(
                    seed=seed,
                    index=len(jobs),
                    cls=classes[int(rng.integers(len(classes)))],
                    relpath=f"{folder}/{base_name}{suffix:04d}.ibw",
                    sample=sample,
                    material=material,
                    base_name=base_name,
                    suffix=suffix,
                    when=when.replace(microsecond=int(rng.integers(0, 1000)) * 1000),
                    microscope=microscope,
                    software=software,
                    clock_24h=clock_24h,
                    uncalibrated=uncalibrated,
                    scan_angle=scan_angle,
                    points=points,
                    image_note=image_note,
                )
            )
            when += timedelta(seconds=float(rng.uniform(120, 900)))
    return jobs


def make_file(job: _Job, out_dir: Path) -> SynthFile:
    """Render, annotate and write one file of the plan."""
    rng = np.random.default_rng([job.seed, job.index])
    scene = random_scene(job.cls, rng, points=job.points)
    image = render(scene, rng)
    layers = image.layers()
    if job.uncalibrated:
        spring, invols, amp_invols = (
            UNCALIBRATED_SPRING_CONSTANT,
            UNCALIBRATED_INVOLS,
            UNCALIBRATED_INVOLS,
        )
    else:
        spring = float(f"{rng.uniform(1.5, 45.0):.5g}")
        invols = float(f"{rng.uniform(40e-9, 150e-9):.5g}")
        amp_invols = float(f"{invols * rng.uniform(1.0, 1.2):.5g}")
    travel = (MICROSCOPES[job.microscope][1] - scene.scan_size) / 2  # offsets stay in range
    acq = Acquisition(
        base_name=job.base_name,
        suffix=job.suffix,
        when=job.when,
        scan_size=scene.scan_size,
        points=scene.points,
        lines=scene.lines,
        scan_rate=float(f"{rng.uniform(0.3, 2.0):.5g}"),
        scan_angle=job.scan_angle,
        x_offset=float(f"{rng.uniform(-travel, travel):.5g}"),
        y_offset=float(f"{rng.uniform(-travel, travel):.5g}"),
        resonance=float(f"{scene.resonance:.5g}"),
        dfrt_width=float(rng.choice([5e3, 1e4, 2e4])),
        drive_amplitude=float(f"{rng.uniform(0.5, 5.0):.2g}"),
        q_factor=float(f"{rng.uniform(60, 250):.5g}"),
        dart_i_gain=float(rng.choice([500.0, 1000.0, 2000.0, 5000.0])),
        phase_offset=float(rng.uniform(-180, 180)),
        spring_constant=spring,
        invols=invols,
        amp_invols=amp_invols,
        microscope=job.microscope,
        software=job.software,
        clock_24h=job.clock_24h,
        image_note=job.image_note,
        head_temp=float(rng.choice([30.25, 31.5, 32.125, 33.0])),
        scanner_temp=float(rng.choice([27.0, 28.0, 29.5])),
    )
    seconds = igor_seconds(job.when)
    stack = np.stack(list(layers.values()))  # (layer, line, point), C order
    wave = Wave(
        name=acq.wave_name,
        data=stack.transpose(2, 1, 0),  # Igor order (point, line, layer); same bytes
        note=build_note(acq, layers),
        data_units="m",
        dim_units=("m", "m", ""),
        scale=(
            (scene.scan_size / (scene.points - 1), 0.0),
            (scene.scan_size * scene.lines / scene.points / (scene.lines - 1), 0.0),
        ),
        labels={2: layer_labels(DART_CHANNELS)},
        created=seconds - int(rng.integers(0, 3 * 365 * 86400)),
        modified=seconds,
    )
    path = out_dir / job.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ibw(path, wave)
    return SynthFile(
        path=path,
        cls=scene.cls,
        variant=scene.variant,
        sample=job.sample,
        material=job.material,
        scan_size=scene.scan_size,
        points=scene.points,
        lines=scene.lines,
        angle=scene.angle,
        noise=scene.noise,
        period=scene.period,
        microscope=job.microscope,
        uncalibrated=job.uncalibrated,
        acquired=job.when,
        extra=dict(scene.extra),
    )


def _make_star(args: tuple[_Job, Path]) -> SynthFile:
    return make_file(*args)


def _progress(items: Iterator[SynthFile], total: int, show: bool) -> Iterator[SynthFile]:
    if not show:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency, this is a courtesy
        return items
    return iter(tqdm(items, total=total, unit="file", desc="synth", file=sys.stderr))


def plan(
    n: int, *, seed: int = 0, classes: Sequence[str] | None = None, points: int = 256
) -> list[_Job]:
    """The files ``generate_dataset`` would write, without writing them (jobs in index order)."""
    classes = tuple(CLASSES if classes is None else classes)
    unknown = sorted(set(classes) - set(CLASSES))
    if unknown:
        raise ValueError(f"expected classes from {CLASSES}, got {unknown}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _sessions(seed, n, classes, points)


def generate_dataset(
    out_dir: str | Path,
    n: int,
    *,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    jobs: int = 1,
    progress: bool = False,
    points: int = 256,
) -> list[SynthFile]:
    """Write ``n`` synthetic DART-PFM files and ``labels.csv`` under ``out_dir``.

    Deterministic for a ``seed`` whatever ``jobs`` is; ``jobs > 1`` uses processes.
    Returns the files in generation order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    root = Path(out_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    work = [(job, root) for job in plan(n, seed=seed, classes=classes, points=points)]
    if jobs == 1 or len(work) < 2:
        files = list(_progress(map(_make_star, work), len(work), progress))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunk = max(1, min(64, len(work) // (jobs * 8)))
            made = pool.map(_make_star, work, chunksize=chunk)
            files = list(_progress(made, len(work), progress))
    with open(root / LABELS_FILE, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=LABEL_COLUMNS)
        writer.writeheader()
        writer.writerows(sf.label_row(root) for sf in files)
    return files
