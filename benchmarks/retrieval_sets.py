"""Labeled image sets for `benchmarks/retrieval.py`: hard domain classes and lattices.

Both yield whole scans as a user passes them to the catalog or the client (stored
channels, any size, non-square too), never centre crops.

* ``hard``: five domain types (180-degree stripes, a/c stripes, bubbles, labyrinths,
  checkerboards) drawn from ONE shared period range in pixels, so neither period nor
  scan size separates the classes; scans of 128 to 1024 px (a quarter non-square),
  the generator's own noise, line offsets and gain drift, plus thermal drift (rows
  sheared by up to 0.15 px per line) and a slow creep along the slow axis.
* ``lattice``: wallpaper-group patterns (class = plane group) from the project's
  generator, 256 to 512 px, 4 to 12 cells across, two motif families, with scan-line
  noise and drift: the "lattice-like" images where symmetry features should help.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

HARD_CLASSES = ("stripe_180", "stripe_ac", "bubble", "labyrinth", "checkerboard")
HARD_SIZES = (128, 192, 256, 384, 512, 768, 1024)
PERIOD_PX = (10.0, 40.0)  # shared by every class, scaled to the scan


def _drift(image: np.ndarray, shear: float, creep: float) -> np.ndarray:
    """Rows shifted by `shear` px per line and a slow quadratic creep (linear interp)."""
    h, w = image.shape
    rows = np.arange(h, dtype=np.float32)
    shifts = shear * rows + creep * w * (rows / max(h - 1, 1)) ** 2
    cols = np.arange(w, dtype=np.float32)
    out = np.empty_like(image)
    for i in range(h):
        out[i] = np.interp(cols - shifts[i], cols, image[i])
    return out


def hard_set(n: int, seed: int) -> Iterator[tuple[str, dict[str, np.ndarray], dict]]:
    """(class, {stored channel name: pixels}, info) for n scans, classes in turn."""
    from symcat.ingest.synth.domains import random_scene, render

    rng = np.random.default_rng(seed)
    for i in range(n):
        label = HARD_CLASSES[i % len(HARD_CLASSES)]
        cls = "stripe" if label.startswith("stripe") else label
        points = int(rng.choice(HARD_SIZES))
        lines = points if rng.random() < 0.75 else int(points * rng.choice([0.5, 0.75]))
        scene = random_scene(cls, rng, points=points, lines=lines)
        # one period range for all classes, in pixels relative to a 256-px scan
        period_px = float(np.exp(rng.uniform(*np.log(PERIOD_PX)))) * max(points, 128) / 256
        variant = {"stripe_180": "180", "stripe_ac": "a/c"}.get(label, scene.variant)
        extra = dict(scene.extra)
        if variant == "a/c":
            extra.setdefault("twin_tilt_deg", float(rng.uniform(0.4, 1.5)))
        scene = replace(scene, period=period_px * scene.pixel, variant=variant, extra=extra)
        layers = render(scene, rng).layers()
        shear, creep = float(rng.uniform(-0.15, 0.15)), float(rng.uniform(0.0, 0.03))
        channels = {f"{name}Retrace": _drift(pixels, shear, creep)
                    for name, pixels in layers.items()
                    if name in ("Height", "Amplitude1", "Phase1")}
        yield label, channels, {"points": points, "lines": lines, "period_px": period_px}


def _wallpaper_generator():
    """The wallpaper generator, wherever it lives now (it is moving to training/)."""
    for module in ("training.symmetry.generate", "training.generate",
                   "symcat.embed.symmetry.generate"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(mod, "generate"):
            return mod
    raise ImportError("no wallpaper generator found (training/ or symcat.embed.symmetry)")


def lattice_set(n: int, seed: int) -> Iterator[tuple[str, dict[str, np.ndarray], dict]]:
    """(plane group, {"Height": pixels}, info) for n patterns, groups in turn."""
    import torch

    from symcat.embed.symmetry.groups import GROUPS as groups

    mod = _wallpaper_generator()
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    sources = ("noise", "atoms")  # the texture family needs scikit-image's sample images
    for i in range(n):
        label = i % len(groups)
        size = int(rng.choice([256, 384, 512]))
        cells = float(rng.uniform(4.0, 12.0))
        source = sources[i % len(sources)]
        batch = mod.generate(torch.tensor([label]), source, g, size=size, min_cells=cells,
                             min_len=max(12.0, size / cells * 0.6))
        image = batch.images[0, 0].numpy().astype(np.float32)
        image = image + rng.normal(0, 0.05, image.shape).astype(np.float32)  # pixel noise
        image += rng.normal(0, 0.03, (size, 1)).astype(np.float32)  # scan-line offsets
        image = _drift(image, float(rng.uniform(-0.1, 0.1)), float(rng.uniform(0, 0.02)))
        yield groups[label], {"Height": image}, {"size": size, "cells": cells,
                                                  "source": source}
