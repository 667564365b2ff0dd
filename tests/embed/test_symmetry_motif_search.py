"""How the averaged cell's supercell is settled (`motif.Search`) and symcat_symmetry.v10,
which takes any supercell that explains more of the scan than its subcell (v9: 0.05
more), so glide groups keep their whole cell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from symcat.embed import packed
from symcat.embed.symmetry import motif
from symcat.embed.symmetry.extract import (
    WEIGHTS_V5_DIR,
    WEIGHTS_V9_DIR,
    WEIGHTS_V10_DIR,
    SymmetryExtractor,
)
from symcat.embed.symmetry.motif import V9_SEARCH, Binner, Search
from symcat.ingest.synth.domains import random_scene, render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_symmetry_motif import dots  # noqa: E402

V10_SEARCH = Search(supercell_gain=0.01, all_index_3=True)

# Clean glide groups of the held-out glyph generator (the evaluation's draws of seeds 11
# and 3) whose glides hide the lowest peaks: v9 keeps a half cell (its supercell explains
# 0.016 and 0.041 more of the variance, under v9's 0.05) and reads p4m / cmm
HALF_CELLS = [
    {"group": "p4g", "cells": 41.816435587658205, "size": 256, "distort": False,
     "seed": 763191540},
    {"group": "pgg", "cells": 38.60555537342988, "size": 256, "distort": False,
     "seed": 1942096543},
]


def true_cell_area(item: dict) -> float:
    """The primitive cell's area in px (the generator's basis; centred groups: half)."""
    basis = heldout.lattice_basis(item["group"], item["size"] / item["cells"],
                                  np.random.default_rng(item["seed"]))
    return abs(float(np.linalg.det(basis))) / (2 if item["group"] in ("cm", "cmm") else 1)


def area(cell: motif.Cell) -> float:
    return 1.0 / abs(float(np.linalg.det(cell.reciprocal)))


def recipe_configs(before: Path, after: Path) -> tuple[dict, dict]:
    """Two versions' configs, after checking that ``after`` is a recipe on ``before``'s
    network: no weight files of its own, and the same weights, delta, temperature,
    groups, lattice and native-view settings."""
    old = json.loads((before / "config.json").read_text())
    new = json.loads((after / "config.json").read_text())
    assert not packed.find(after, "*.safetensors")
    for key in ("lattice", "native", "files", "delta", "temperature", "abstain_below",
                "groups", "weights_from"):
        assert new[key] == old[key], key
    return old, new


def test_v10_config_is_v9s_with_the_search_settings():
    v9, v10 = recipe_configs(WEIGHTS_V9_DIR, WEIGHTS_V10_DIR)
    search = v10["motif"].pop("search")
    assert v10["motif"] == v9["motif"] and "search" not in v9["motif"]
    assert Search.from_config(search) == V10_SEARCH
    assert Search.from_config({}) == V9_SEARCH  # v9's numbers, as it shipped
    assert len(V10_SEARCH.supercells) == len(V9_SEARCH.supercells) + 2


@pytest.mark.parametrize(("edge", "angle"), [(4.7, 17.0), (6.3, 60.0), (9.1, 33.0)])
def test_a_true_cells_supercells_explain_less(edge, angle):
    """Why any gain means a glide or a centring: with the same number of bins a
    supercell's bins are coarser, so on a p1 pattern (no extinction) every supercell
    explains less, and both searches keep the true cell."""
    img, vectors = dots(256, edge, angle)
    cell = motif.estimate(img, search=V10_SEARCH)
    prep, _ = motif.prepared(img)
    sample = Binner(prep, motif.SAMPLE)
    r2 = sample.fit(cell.reciprocal)[0]
    for sup in V10_SEARCH.supercells:
        assert sample.fit(sup @ cell.reciprocal)[0] < r2
    assert area(cell) == pytest.approx(abs(np.linalg.det(vectors)), rel=0.005)
    assert np.allclose(motif.estimate(img).reciprocal, cell.reciprocal)


@pytest.mark.parametrize("item", HALF_CELLS, ids=[it["group"] for it in HALF_CELLS])
def test_glide_groups_get_their_whole_cell(item):
    img = heldout.make(item)
    true = true_cell_area(item)
    old, new = motif.estimate(img), motif.estimate(img, search=V10_SEARCH)
    assert area(old) == pytest.approx(true / 2, rel=0.03)
    assert area(new) == pytest.approx(true, rel=0.03) and new.r2 > old.r2


@pytest.fixture(scope="module")
def v10() -> SymmetryExtractor:
    torch.set_num_threads(2)
    return SymmetryExtractor(WEIGHTS_V10_DIR)


def test_v10_names_what_v9_misread(v10):
    """v9 reads these as p4m and cmm (RESULTS.md); v10 names them from the whole cell."""
    items = HALF_CELLS
    imgs = [heldout.make(it) for it in items]
    for it, new in zip(items, v10.analyse(imgs), strict=True):
        assert new.seen == "averaged cell" and new.symmetry == it["group"]
        edge = it["size"] / it["cells"]
        assert max(new.lattice.periods) == pytest.approx(edge, rel=0.15)


def domain_scenes() -> list[np.ndarray]:
    """Phase and amplitude of one stripe, labyrinth, bubble and written-box scene each:
    non-periodic scans every symmetry model must answer "none" (also v11's and v12's)."""
    rng = np.random.default_rng(5)
    imgs = []
    for kind in ("stripe", "labyrinth", "bubble", "written_box"):
        img = render(random_scene(kind, rng, points=256), rng)
        imgs += [img.phase1, img.amplitude1]
    return imgs


# (image, what its reason says): bad input every symmetry model abstains on
BAD_INPUT = pytest.mark.parametrize(("image", "words"), [
    (np.full((64, 64), np.nan), "NaN"),
    (np.ones((100, 100)), "constant"),
    (np.ones((10, 10)), "too small"),
    (np.random.default_rng(0).normal(size=(128, 128)) * 1e300, "no lattice"),
], ids=["all-nan", "constant", "tiny", "huge-noise"])


def test_stripes_and_domains_still_abstain_under_v10(v10):
    res = v10.analyse(domain_scenes())
    assert all(r.symmetry == "none" and r.reason for r in res)


@BAD_INPUT
def test_bad_input_under_v10_abstains_with_a_reason(v10, image, words):
    result = v10.analyse([image])[0]
    assert result.symmetry == "none" and words in result.reason


def test_v10_registry_module_embeds():
    from symcat.embed.registry import create_extractor, get_cfg

    cfg = get_cfg("symcat_symmetry.v10")
    assert cfg.weights()[-1].parent == WEIGHTS_V5_DIR
    assert cfg.weights_sha256() != get_cfg("symcat_symmetry.v9").weights_sha256()
    x = torch.from_numpy(heldout.make(HALF_CELLS[0]))[None, None].repeat(1, 3, 1, 1)
    out = create_extractor("symcat_symmetry.v10")(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()
