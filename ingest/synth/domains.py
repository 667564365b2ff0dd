"""Synthetic ferroelectric domain images of known classes, as a DART-PFM scan would show them.

Each class is a pattern function giving the vertical piezoresponse ``r`` (+1 up, -1 down,
near 0 for in-plane a-domains), the distance to the nearest domain wall in pixels and
an optional topography; ``render`` turns that into the six DART channels in physical
units (metres, degrees, hertz) with the artefacts real scans have: roughness, sample
tilt, scan-line offsets, wall amplitude dips, phase noise where the signal is weak.
Everything is drawn from one ``numpy.random.Generator``, so a seed fixes the image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.fft as sfft

from .dart import DART_CHANNELS

CLASSES = ("stripe", "bubble", "labyrinth", "checkerboard", "written_box", "featureless")
POLARIZED = frozenset({"bubble", "labyrinth", "checkerboard", "written_box"})
F32 = np.float32


@dataclass(frozen=True)
class Scene:
    """What one synthetic scan shows; these are the ground-truth labels of the image.

    ``period`` is the full period (up + down) in metres for periodic classes, the mean
    bubble diameter for ``bubble``, the outer box side for ``written_box``.
    ``angle`` is the pattern orientation in degrees, counter-clockwise from the fast axis.
    """

    cls: str
    points: int = 256
    lines: int = 256
    scan_size: float = 5e-6
    angle: float = 0.0
    noise: float = 0.05
    period: float | None = None
    variant: str = ""
    resonance: float = 3.5e5
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def pixel(self) -> float:
        """Pixel size in metres (square pixels; the slow axis is shorter when lines < points)."""
        return self.scan_size / self.points


@dataclass(frozen=True)
class Pattern:
    """Vertical response, wall distance (pixels) and topography (metres) of a domain pattern."""

    r: np.ndarray
    wall: np.ndarray | None
    topo: np.ndarray | None = None


@dataclass(frozen=True)
class DomainImage:
    """The six DART-PFM channels of one scan, each (lines, points) float32, row = scan line."""

    height: np.ndarray
    amplitude1: np.ndarray
    amplitude2: np.ndarray
    phase1: np.ndarray
    phase2: np.ndarray
    frequency: np.ndarray

    def layers(self) -> dict[str, np.ndarray]:
        """Channels by Asylum name, in the layer order of a DART file."""
        arrays = (
            self.height,
            self.amplitude1,
            self.amplitude2,
            self.phase1,
            self.phase2,
            self.frequency,
        )
        return dict(zip(DART_CHANNELS, arrays, strict=True))


# --- geometry helpers ---------------------------------------------------------------


def _grid(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates about the image centre, as broadcastable column/row vectors."""
    y = (np.arange(scene.lines, dtype=F32) - (scene.lines - 1) / 2)[:, None]
    x = (np.arange(scene.points, dtype=F32) - (scene.points - 1) / 2)[None, :]
    return x, y


def _rotated(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """(u, v): coordinates along and across the pattern direction, in pixels."""
    x, y = _grid(scene)
    a = np.deg2rad(scene.angle)
    c, s = F32(np.cos(a)), F32(np.sin(a))
    return x * c + y * s, y * c - x * s


@lru_cache(maxsize=16)
def _freqs(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Spatial frequencies (cycles per pixel) of an rfft2 of ``shape``."""
    ky = sfft.fftfreq(shape[0]).astype(F32)[:, None]
    kx = sfft.rfftfreq(shape[1]).astype(F32)[None, :]
    return kx, ky


def _filtered_noise(
    shape: tuple[int, int], rng: np.random.Generator, gain: Callable[..., np.ndarray]
) -> np.ndarray:
    """White noise shaped by ``gain(kx, ky)`` in Fourier space, scaled to unit rms."""
    white = rng.standard_normal(shape, dtype=F32)
    kx, ky = _freqs(shape)
    spec = sfft.rfft2(white)
    spec *= gain(kx, ky)
    spec[0, 0] = 0
    out = sfft.irfft2(spec, s=shape).astype(F32, copy=False)
    out /= max(float(out.std()), 1e-12)
    return out


def roughness(shape: tuple[int, int], rng: np.random.Generator, corr_px: float) -> np.ndarray:
    """Unit-rms self-affine surface with correlation length ``corr_px`` pixels."""
    kc = F32(1.0 / max(corr_px, 1.0))
    return _filtered_noise(shape, rng, lambda kx, ky: 1.0 / (1.0 + (kx**2 + ky**2) / kc**2))


def _wall_from_field(f: np.ndarray) -> np.ndarray:
    """Distance (pixels) to the zero set of a smooth field: |f| / |grad f|."""
    gy, gx = np.gradient(f)
    return np.abs(f) / np.maximum(np.sqrt(gx * gx + gy * gy), F32(1e-6))


def _tri(s: np.ndarray, duty: float) -> np.ndarray:
    """Unit triangle wave over a period fraction s in [0, 1) peaking at ``duty``."""
    return np.where(s < duty, s / duty, (1 - s) / (1 - duty))


# --- pattern classes ---------------------------------------------------------------------


def stripe(scene: Scene, rng: np.random.Generator) -> Pattern:
    """Parallel domains: 180° up/down stripes, or a/c stripes (in-plane a bands, tilted twins)."""
    p = scene.period / scene.pixel
    u, v = _rotated(scene)
    duty = scene.extra.get("duty", 0.5)
    wobble = scene.extra.get("wobble", 0.0) * p
    u = u + F32(wobble) * np.sin(v * F32(2 * np.pi / (4 * p)) + F32(rng.uniform(0, 2 * np.pi)))
    s = np.mod(u / F32(p) + F32(rng.uniform()), F32(1.0))
    up = s < duty
    wall = F32(p) * np.minimum(np.minimum(s, np.abs(s - F32(duty))), 1 - s)
    if scene.variant == "a/c":
        r = np.where(up, F32(1.0), F32(0.12))
        tilt = np.tan(np.deg2rad(scene.extra.get("twin_tilt_deg", 0.8)))
        topo = F32(tilt * duty * p * scene.pixel) * _tri(s, duty)
        return Pattern(r.astype(F32), wall, topo.astype(F32))
    return Pattern(np.where(up, F32(1.0), F32(-1.0)), wall)


def bubble(scene: Scene, rng: np.random.Generator) -> Pattern:
    """Isolated reversed (down) bubbles in an up matrix, slightly elliptic along ``angle``."""
    shape = (scene.lines, scene.points)
    radius = scene.period / scene.pixel / 2
    fraction = scene.extra.get("fraction", 0.2)
    count = max(1, int(fraction * shape[0] * shape[1] / (np.pi * radius**2)))
    sigma = radius / 1.4
    radii = radius * rng.uniform(0.7, 1.3, count)
    impulses = np.zeros(shape, dtype=F32)
    iy = rng.integers(0, shape[0], count)
    ix = rng.integers(0, shape[1], count)
    np.add.at(impulses, (iy, ix), np.exp(radii**2 / (2 * sigma**2)).astype(F32))
    ell = scene.extra.get("ellipticity", 1.0)
    a = np.deg2rad(scene.angle)
    c, s = F32(np.cos(a)), F32(np.sin(a))
    su, sv = F32(sigma * ell * 2 * np.pi), F32(sigma / ell * 2 * np.pi)
    kx, ky = _freqs(shape)
    ku, kv = kx * c + ky * s, ky * c - kx * s
    spec = sfft.rfft2(impulses) * np.exp(-0.5 * ((ku * su) ** 2 + (kv * sv) ** 2))
    f = sfft.irfft2(spec, s=shape).astype(F32, copy=False) - F32(1.0 / (2 * np.pi * sigma**2))
    return Pattern(np.where(f > 0, F32(-1.0), F32(1.0)), _wall_from_field(f))


def labyrinth(scene: Scene, rng: np.random.Generator) -> Pattern:
    """Meandering maze domains with a characteristic period: a thresholded ring-filtered field."""
    shape = (scene.lines, scene.points)
    k0 = F32(scene.pixel / scene.period)
    width = F32(k0 * scene.extra.get("ring_width", 0.15))
    aniso = scene.extra.get("anisotropy", 1.0)
    a = np.deg2rad(scene.angle)
    c, s = F32(np.cos(a)), F32(np.sin(a))

    def ring(kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
        ku, kv = (kx * c + ky * s) * F32(aniso), ky * c - kx * s
        return np.exp(-0.5 * ((np.sqrt(ku * ku + kv * kv) - k0) / width) ** 2)

    f = _filtered_noise(shape, rng, ring) - F32(scene.extra.get("bias", 0.0))
    return Pattern(np.where(f > 0, F32(1.0), F32(-1.0)), _wall_from_field(f))


def checkerboard(scene: Scene, rng: np.random.Generator) -> Pattern:
    """c/a/c/a crossed twins: up/down blocks from two perpendicular stripe sets."""
    p1 = scene.period / scene.pixel
    p2 = p1 * scene.extra.get("aspect", 1.0)
    u, v = _rotated(scene)
    s1 = np.mod(u / F32(p1) + F32(rng.uniform()), F32(1.0))
    s2 = np.mod(v / F32(p2) + F32(rng.uniform()), F32(1.0))
    r = np.where((s1 < 0.5) == (s2 < 0.5), F32(1.0), F32(-1.0))
    h1 = np.minimum(np.mod(s1, F32(0.5)), F32(0.5) - np.mod(s1, F32(0.5)))
    h2 = np.minimum(np.mod(s2, F32(0.5)), F32(0.5) - np.mod(s2, F32(0.5)))
    wall = np.minimum(F32(p1) * h1, F32(p2) * h2)
    tilt = np.tan(np.deg2rad(scene.extra.get("twin_tilt_deg", 0.4)))
    topo = F32(tilt * 0.5 * scene.pixel) * (F32(p1) * _tri(s1, 0.5) + F32(p2) * _tri(s2, 0.5))
    return Pattern(r, wall, topo.astype(F32))


def written_box(scene: Scene, rng: np.random.Generator) -> Pattern:
    """Box-in-box written by tip bias: outer square poled down, inner square poled back up."""
    shape = (scene.lines, scene.points)
    u, v = _rotated(scene)
    jitter = roughness(shape, rng, 6.0) * F32(scene.extra.get("edge_px", 0.8))
    m = np.maximum(np.abs(u), np.abs(v)) + jitter
    outer = F32(scene.period / scene.pixel / 2)
    inner = outer * F32(scene.extra.get("inner_ratio", 0.5))
    r = np.where((m < outer) & (m >= inner), F32(-1.0), F32(1.0))
    pristine = F32(scene.extra.get("pristine_response", 0.6))
    r = np.where(m >= outer, pristine, r)
    wall = np.minimum(np.abs(m - outer), np.abs(m - inner))
    topo = np.where(m < outer, F32(scene.extra.get("written_step_m", 3e-10)), F32(0.0))
    return Pattern(r, wall, topo)


def featureless(scene: Scene, rng: np.random.Generator) -> Pattern:
    """A single-domain (or unresponsive) area: nothing but noise and topography."""
    shape = (scene.lines, scene.points)
    sign = F32(scene.extra.get("sign", 1.0))
    return Pattern(np.full(shape, sign, dtype=F32), None)


PATTERNS: dict[str, Callable[[Scene, np.random.Generator], Pattern]] = {
    "stripe": stripe,
    "bubble": bubble,
    "labyrinth": labyrinth,
    "checkerboard": checkerboard,
    "written_box": written_box,
    "featureless": featureless,
}
assert tuple(PATTERNS) == CLASSES


# --- rendering ---------------------------------------------------------------------------


def render(scene: Scene, rng: np.random.Generator) -> DomainImage:
    """The DART channels of ``scene`` in physical units, with instrument-like artefacts."""
    if scene.cls not in PATTERNS:
        raise ValueError(f"expected a class in {CLASSES}, got {scene.cls!r}")
    pat = PATTERNS[scene.cls](scene, rng)
    shape = (scene.lines, scene.points)
    noise = F32(scene.noise)
    x, y = _grid(scene)
    px = scene.pixel

    # Height: offset + tilt + rough surface + scan-line offsets + domain topography.
    tilt_x, tilt_y = rng.normal(0.0, 2e-3, 2)
    rms = rng.uniform(0.2e-9, 2e-9)
    lines_sd = rng.uniform(0.05e-9, 0.6e-9)
    height = roughness(shape, rng, rng.uniform(3.0, 20.0)) * F32(rms)
    height += x * F32(tilt_x * px) + y * F32(tilt_y * px)
    height += rng.normal(0.0, lines_sd, (shape[0], 1)).astype(F32)
    height += F32(rng.uniform(-1.5e-6, 1.5e-6))
    if pat.topo is not None:
        height += pat.topo

    # Amplitude: |r| with dips at walls, per-line gain drift, additive noise.
    mag = np.abs(pat.r)
    a0 = F32(rng.uniform(1e-10, 1e-9))
    if pat.wall is not None:
        width = F32(rng.uniform(0.8, 2.0))
        depth = F32(rng.uniform(0.6, 0.95))
        mag = mag * (1 - depth * np.exp(-((pat.wall / width) ** 2)))
    gain = 1 + rng.normal(0.0, 0.02, (shape[0], 1)).astype(F32)
    amp1 = a0 * mag * gain + a0 * noise * rng.standard_normal(shape, dtype=F32)
    ratio = F32(rng.uniform(0.7, 1.1))
    amp2 = amp1 * ratio + a0 * noise * rng.standard_normal(shape, dtype=F32)

    # Phase: 180 degrees between up and down, noisier where the response is weak.
    base = F32(rng.uniform(-60.0, 60.0))
    flip = np.where(pat.r < 0, F32(180.0), F32(0.0))
    phase_sd = F32(2.0 + 40.0 * float(noise)) / np.maximum(mag, F32(0.15))
    phase1 = base + flip + phase_sd * rng.standard_normal(shape, dtype=F32)
    phase2 = (
        phase1
        + F32(rng.uniform(-10, 10))
        + phase_sd * rng.standard_normal(shape, dtype=F32) * F32(0.5)
    )

    # Frequency: contact resonance tracked by DART, drifting slowly, softened at walls.
    drift = rng.normal(0.0, 300.0)
    freq = F32(scene.resonance) + y * F32(drift / shape[0]) + F32(rng.uniform(50, 400)) * (mag - 1)
    freq = freq + F32(20.0 + 200.0 * float(noise)) * rng.standard_normal(shape, dtype=F32)
    return DomainImage(
        height.astype(F32, copy=False),
        amp1.astype(F32, copy=False),
        amp2.astype(F32, copy=False),
        phase1.astype(F32, copy=False),
        phase2.astype(F32, copy=False),
        freq.astype(F32, copy=False),
    )


# --- random scenes -----------------------------------------------------------------------


def _nice(x: float) -> float:
    """Round to two significant digits, as people type scan sizes."""
    return float(f"{x:.2g}")


def random_scene(
    cls: str, rng: np.random.Generator, *, points: int = 256, lines: int | None = None
) -> Scene:
    """Draw a scene of class ``cls`` with varied size, rotation, noise and class knobs."""
    if cls not in PATTERNS:
        raise ValueError(f"expected a class in {CLASSES}, got {cls!r}")
    lines = points if lines is None else lines
    scan_size = _nice(float(np.exp(rng.uniform(np.log(0.5e-6), np.log(20e-6)))))
    pixel = scan_size / points
    noise = float(np.exp(rng.uniform(np.log(0.02), np.log(0.4))))
    angle = float(rng.uniform(0.0, 180.0))
    resonance = float(rng.uniform(3.0e5, 4.0e5))
    short = min(points, lines)
    period: float | None = None
    variant = ""
    extra: dict[str, float] = {}
    if cls == "stripe":
        variant = "a/c" if rng.random() < 0.35 else "180"
        period = float(rng.uniform(8.0, max(short / 6, 8.0 + 1.0))) * pixel
        extra = {"duty": float(rng.uniform(0.35, 0.65)), "wobble": float(rng.uniform(0, 0.08))}
        if variant == "a/c":
            extra["twin_tilt_deg"] = float(rng.uniform(0.4, 1.5))
    elif cls == "bubble":
        period = float(rng.uniform(6.0, max(short / 8, 6.0 + 1.0))) * pixel
        extra = {
            "fraction": float(rng.uniform(0.05, 0.3)),
            "ellipticity": float(rng.uniform(1.0, 1.4)),
        }
    elif cls == "labyrinth":
        period = float(rng.uniform(10.0, max(short / 5, 10.0 + 1.0))) * pixel
        extra = {"anisotropy": float(rng.uniform(1.0, 1.5)), "bias": float(rng.uniform(-0.3, 0.3))}
    elif cls == "checkerboard":
        angle = float(rng.uniform(0.0, 90.0))
        period = float(rng.uniform(12.0, max(short / 4, 12.0 + 1.0))) * pixel
        extra = {
            "aspect": float(rng.uniform(0.8, 1.25)),
            "twin_tilt_deg": float(rng.uniform(0.2, 1.0)),
        }
    elif cls == "written_box":
        angle = float(rng.uniform(-20.0, 20.0))
        period = float(rng.uniform(0.4, 0.75)) * short * pixel
        extra = {
            "inner_ratio": float(rng.uniform(0.3, 0.6)),
            "pristine_response": float(rng.uniform(0.3, 0.9)),
            "edge_px": float(rng.uniform(0.3, 2.0)),
            "written_step_m": float(rng.uniform(0.0, 1e-9)),
        }
    else:
        angle = 0.0
        extra = {"sign": 1.0 if rng.random() < 0.7 else -1.0}
    return Scene(
        cls=cls,
        points=points,
        lines=lines,
        scan_size=scan_size,
        angle=angle,
        noise=noise,
        period=period,
        variant=variant,
        resonance=resonance,
        extra=extra,
    )
