"""Unit-cell averaging (symcat.embed.symmetry.motif) and symcat_symmetry.v9, which reads
small cells from their averaged cell."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from symcat.embed import packed
from symcat.embed.symmetry import lattice, motif
from symcat.embed.symmetry.extract import (
    WEIGHTS_V2_DIR,
    WEIGHTS_V5_DIR,
    WEIGHTS_V8_DIR,
    WEIGHTS_V9_DIR,
    SymmetryExtractor,
)
from symcat.ingest.synth.domains import random_scene, render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

# Clean images of the held-out glyph generator (seed 7's evaluation draw) with cells of
# 4.1, 4.6 and 5.9 px: point-sampled strokes thinner than a pixel alias into a moire
ALIASED = [
    {"group": "pg", "cells": 47.12134692792547, "size": 192, "distort": False,
     "seed": 64500171},
    {"group": "p6", "cells": 42.01980569246591, "size": 192, "distort": False,
     "seed": 1308686902},
    {"group": "pgg", "cells": 32.544631084700015, "size": 192, "distort": False,
     "seed": 209572842},
]


def dots(size: int, edge: float, angle_deg: float, ratio: float = 0.8,
         gamma_deg: float = 75.0) -> tuple[np.ndarray, np.ndarray]:
    """A p1 pattern of two sharp dots per cell, sampled at pixel centres (no
    band limit), and its cell vectors (columns, px)."""
    g, t = math.radians(gamma_deg), math.radians(angle_deg)
    cell = np.array([[edge, edge * ratio * math.cos(g)], [0.0, edge * ratio * math.sin(g)]])
    vectors = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]) @ cell
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(vectors), np.stack([xx, yy])) + 0.3
    f = u - np.floor(u)
    near = ((f - 0.5) ** 2).sum(0)
    other = ((f - np.array([0.2, 0.7])[:, None, None]) ** 2).sum(0)
    return np.exp(-near / 0.005) + 0.6 * np.exp(-other / 0.0032), vectors


@pytest.mark.parametrize("edge", [4.7, 6.3, 9.1])
@pytest.mark.parametrize("angle", [0.0, 17.0, 33.0, 60.0])
def test_known_lattices_are_found_to_a_thousandth_of_a_cell(edge, angle):
    """Cells of 4.7 to 9.1 px at four angles: the found lattice is the true one (the
    true vectors are whole-number combinations of the found ones, det +-1) to 0.002 of
    a cell over the whole 256 px, where the autocorrelation finds a moire supercell."""
    img, vectors = dots(256, edge, angle)
    cell = motif.estimate(img)
    assert cell.found and cell.r2 > 0.9
    combo = np.linalg.inv(vectors) @ np.linalg.inv(cell.reciprocal)
    assert np.abs(combo - np.round(combo)).max() < 0.002
    assert abs(round(np.linalg.det(np.round(combo)))) == 1
    true_edges = sorted(np.linalg.norm(vectors, axis=0))
    found_edges = sorted(math.hypot(*v) for v in cell.vectors)
    assert found_edges == pytest.approx(true_edges, rel=0.005)


def test_the_autocorrelation_misses_most_of_those_lattices():
    """Why the averaged cell exists: on the same images the autocorrelation estimate
    finds a cell at least twice the true one in most cases."""
    wrong = 0
    for edge in (4.7, 6.3, 9.1):
        for angle in (0.0, 17.0, 33.0, 60.0):
            img, vectors = dots(256, edge, angle)
            found = lattice.estimate(img)
            true_area = abs(np.linalg.det(vectors))
            area = abs(np.linalg.det(np.array([found.a1, found.a2]))) if found.found else 0
            if not found.found or area > 1.9 * true_area:
                wrong += 1
    assert wrong >= 8


def test_render_draws_cells_of_the_target_size():
    img, vectors = dots(256, 5.3, 21.0)
    cell = motif.estimate(img)
    for target in (30.0, 45.0):
        view = motif.render(cell.average, cell.reciprocal, target)
        assert view.shape == (224, 224) and view.dtype == np.float32
        assert view.min() >= 0.0 and view.max() <= 1.0
        seen = lattice.estimate(view)
        assert seen.found and max(seen.periods) == pytest.approx(target, rel=0.05)


def test_non_periodic_scans_have_no_cell_that_explains_them():
    rng = np.random.default_rng(3)
    for kind in ("labyrinth", "bubble", "stripe"):
        img = render(random_scene(kind, rng, points=256), rng).phase1
        cell = motif.estimate(img)
        assert not cell.found or cell.r2 < 0.85, kind


@pytest.mark.parametrize(("image", "words"), [
    (np.full((64, 64), np.nan), "NaN"),
    (np.ones((100, 100)), "constant"),
    (np.ones((10, 10)), "too small"),
    (np.zeros((2, 3, 4, 5)), "2-D image"),
    (np.random.default_rng(0).normal(size=(128, 128)) * 1e300, "no lattice"),
    (np.sin(np.mgrid[0:128, 0:128][1] * 2 * np.pi / 7.3), "no lattice"),
], ids=["all-nan", "constant", "tiny", "4-d", "huge-noise", "stripes"])
def test_bad_input_gets_no_cell_and_a_reason(image, words):
    cell = motif.estimate(image)
    assert not cell.found and words in cell.reason and motif.views(cell, (30.0,)) == []


@pytest.fixture(scope="module")
def v8() -> SymmetryExtractor:
    torch.set_num_threads(2)
    return SymmetryExtractor(WEIGHTS_V8_DIR)


@pytest.fixture(scope="module")
def v9() -> SymmetryExtractor:
    return SymmetryExtractor(WEIGHTS_V9_DIR)


def test_v9_is_v8s_network_and_recipe_plus_the_rule(v8, v9):
    assert not packed.find(WEIGHTS_V9_DIR, "*.safetensors")
    assert v9.name == "symcat_symmetry.v9" and v9.files_dir == WEIGHTS_V2_DIR.resolve()
    assert v9.delta_dir == WEIGHTS_V5_DIR.resolve()
    for key, t in v8.model.state_dict().items():
        assert torch.equal(v9.model.state_dict()[key], t), key
    old = json.loads((WEIGHTS_V8_DIR / "config.json").read_text())
    new = json.loads((WEIGHTS_V9_DIR / "config.json").read_text())
    for key in ("lattice", "native", "files", "delta", "temperature", "abstain_below"):
        assert new[key] == old[key], key
    assert v8.motif is None and v9.motif is not None and v9.motif.below_px == 12.0


def test_aliased_small_cells_are_named_from_their_averaged_cell(v8, v9):
    """v8 misses all three (abstains or names another group); v9 names each."""
    imgs = [heldout.make(it) for it in ALIASED]
    for it, old, new in zip(ALIASED, v8.analyse(imgs, workers=2), v9.analyse(imgs, workers=2),
                            strict=True):
        assert old.symmetry != it["group"]
        assert new.seen == "averaged cell" and new.symmetry == it["group"] and new.p > 0.9
        edge = it["size"] / it["cells"]
        assert max(new.lattice.periods) < 2.2 * edge  # the cell, not the moire


def test_stripes_and_domains_still_abstain_under_v9(v9):
    rng = np.random.default_rng(4)
    imgs = []
    for kind in ("stripe", "labyrinth", "bubble"):
        for _ in range(2):
            img = render(random_scene(kind, rng, points=256), rng)
            imgs += [img.phase1, img.amplitude1]
    res = v9.analyse(imgs, workers=2)
    assert all(r.symmetry == "none" and r.reason for r in res)
    assert not any(r.seen == "averaged cell" for r in res)


@pytest.mark.parametrize(("image", "words"), [
    (np.full((64, 64), np.nan), "NaN"),
    (np.ones((100, 100)), "constant"),
    (np.ones((10, 10)), "too small"),
    (np.where(np.arange(256)[:, None] % 7 == 0, np.nan, dots(256, 5.3, 21.0)[0]), "NaN"),
], ids=["all-nan", "constant", "tiny", "nan-rows"])
def test_bad_input_under_v9_abstains_with_a_reason(v9, image, words):
    result = v9.analyse([image])[0]
    assert result.symmetry == "none" and words in result.reason


def test_v9_registry_module_embeds():
    from symcat.embed.registry import create_extractor, get_cfg

    cfg = get_cfg("symcat_symmetry.v9")
    assert cfg.weights()[-1].parent == WEIGHTS_V5_DIR
    assert cfg.weights_sha256() != get_cfg("symcat_symmetry.v8").weights_sha256()
    assert cfg.details["symmetry_predictions"]
    x = torch.from_numpy(heldout.make(ALIASED[0]))[None, None].repeat(1, 3, 1, 1)
    out = create_extractor("symcat_symmetry.v9")(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()


def test_fuzzed_pixels_never_raise_or_warn():
    """Random shapes, scales from 1e-300 to 1e300, infinities, NaNs, few levels, one
    bright pixel: an answer (found or not) and no exception or numpy warning."""
    import warnings

    rng = np.random.default_rng(1)
    for i in range(60):
        h, w = (int(n) for n in rng.integers(1, 300, 2))
        a = rng.normal(size=(h, w))
        kind = i % 6
        if kind == 1:
            a *= 10.0 ** int(rng.integers(-300, 300))
        elif kind == 2:
            a[rng.uniform(size=a.shape) < rng.uniform()] = np.inf
        elif kind == 3:
            a[rng.uniform(size=a.shape) < 0.05] = np.nan
        elif kind == 4:
            a = np.round(a)
        elif kind == 5:
            a = np.zeros((h, w))
            a[0, 0] = 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cell = motif.estimate(a)
            views = motif.views(cell, (30.0,))
        assert cell.found == bool(views) and (cell.found or cell.reason)
