"""symcat_symmetry.v8: v5's network; one-direction findings get native views, stripes abstain."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from symcat.embed import packed
from symcat.embed.symmetry.extract import (
    WEIGHTS_V2_DIR,
    WEIGHTS_V5_DIR,
    WEIGHTS_V8_DIR,
    SymmetryExtractor,
)
from symcat.ingest.synth.domains import random_scene, render

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

# Two clean images of the held-out glyph generator (seed 11's evaluation draw) whose cells
# (5.5 and 8.5 px) alias so that the autocorrelation finds one period direction only
ONE_DIRECTION = [
    {"group": "p31m", "cells": 34.92251487108402, "size": 192, "distort": False,
     "seed": 1168697835},
    {"group": "p1", "cells": 22.47891694426531, "size": 192, "distort": False,
     "seed": 1597453990},
]


@pytest.fixture(scope="module")
def v5() -> SymmetryExtractor:
    torch.set_num_threads(2)
    return SymmetryExtractor(WEIGHTS_V5_DIR)


@pytest.fixture(scope="module")
def v8() -> SymmetryExtractor:
    return SymmetryExtractor(WEIGHTS_V8_DIR)


def test_v8_is_v5s_network_without_files_of_its_own(v5, v8):
    assert not packed.find(WEIGHTS_V8_DIR, "*.safetensors")
    assert v8.name == "symcat_symmetry.v8" and v8.files_dir == WEIGHTS_V2_DIR.resolve()
    assert v8.delta_dir == WEIGHTS_V5_DIR.resolve()
    for key, t in v5.model.state_dict().items():
        assert torch.equal(v8.model.state_dict()[key], t), key
    assert v8.temperature == pytest.approx(v5.temperature, abs=0.01)
    assert v8.native.one_direction_native and not v5.native.one_direction_native
    old = json.loads((WEIGHTS_V5_DIR / "config.json").read_text())
    new = json.loads((WEIGHTS_V8_DIR / "config.json").read_text())
    assert new["lattice"] == old["lattice"] and new["files"] == old["files"]
    assert new["delta"]["files"] == old["delta"]["files"]


def test_one_direction_findings_are_read_from_native_views(v5, v8):
    """v5 refuses these (the whole view, "one period direction"); v8 names their groups."""
    imgs = [heldout.make(it) for it in ONE_DIRECTION]
    for it, old, new in zip(ONE_DIRECTION, v5.analyse(imgs), v8.analyse(imgs), strict=True):
        assert old.lattice.one_direction and old.seen == "whole"
        assert old.symmetry == "none" and "one period direction" in old.reason
        assert new.lattice == old.lattice and new.seen == "native, no lattice"
        assert new.symmetry == it["group"] and new.p >= v8.native.no_lattice_min_p


def test_stripes_still_abstain(v8):
    rng = np.random.default_rng(4)
    imgs = []
    for _ in range(4):
        img = render(random_scene("stripe", rng, points=256), rng)
        imgs += [img.phase1, img.amplitude1]
    res = v8.analyse(imgs)
    assert all(r.symmetry == "none" for r in res)
    asked = [r for r in res if r.lattice.one_direction]
    assert asked and all(r.seen == "native, no lattice" for r in asked)
    assert all("native views not confident enough" in r.reason for r in asked)


def test_v8_checks_v5s_delta(tmp_path):
    for folder in (WEIGHTS_V2_DIR, WEIGHTS_V5_DIR, WEIGHTS_V8_DIR):
        shutil.copytree(folder, tmp_path / folder.name)
    SymmetryExtractor(tmp_path / "weights_v8")  # the copy loads
    delta = packed.locate(tmp_path / "weights_v5", "delta.part00.safetensors")
    raw = bytearray(packed.read_bytes(delta))  # one byte of the weights changed, repacked
    raw[-1] ^= 0xFF
    delta.write_bytes(packed.pack_bytes(bytes(raw)) if packed.is_packed(delta) else raw)
    with pytest.raises(ValueError, match="delta.part00.safetensors does not match its sha256"):
        SymmetryExtractor(tmp_path / "weights_v8")


def test_v8_registry_module_embeds():
    from symcat.embed.registry import create_extractor, get_cfg

    cfg = get_cfg("symcat_symmetry.v8")
    names = [packed.plain_name(p) for p in cfg.weights()]
    assert names[0] == "config.json" and names[-1] == "delta.part00.safetensors"
    assert cfg.weights()[-1].parent == WEIGHTS_V5_DIR
    assert cfg.weights_sha256() != get_cfg("symcat_symmetry.v5").weights_sha256()
    assert cfg.details["symmetry_predictions"]
    x = torch.from_numpy(heldout.make(ONE_DIRECTION[1]))[None, None].repeat(1, 3, 1, 1)
    out = create_extractor("symcat_symmetry.v8")(x)
    assert out.shape == (1, 512) and torch.isfinite(out).all()


def _stripes(h: int, w: int, period: float) -> np.ndarray:
    return np.sin(np.mgrid[0:h, 0:w][1] * 2 * np.pi / period)


@pytest.mark.parametrize(("image", "seen", "words"), [
    (np.full((64, 64), np.nan), "", "NaN"),
    (np.ones((100, 100)), "", "constant"),
    (np.ones((10, 10)), "", "too small"),
    (_stripes(64, 3000, 19.0), "native, no lattice", "native views not confident enough"),
    (_stripes(256, 256, 15.7) * 1e300, "native, no lattice", "one period direction"),
    (np.where(np.arange(256)[:, None] % 7 == 0, np.nan, _stripes(256, 256, 15.7)), "",
     "NaN"),
], ids=["all-nan", "constant", "tiny", "long-stripes", "huge-stripes", "nan-rows"])
def test_bad_input_through_the_new_path_abstains_with_a_reason(v8, image, seen, words):
    """Stripes now reach the native views; odd pixels still end before the network."""
    result = v8.analyse([image])[0]
    assert result.symmetry == "none" and result.seen == seen
    assert words in result.reason
