"""symcat_symmetry.v41: v40 where a scan that repeats exactly on a cell of whole pixels is
read from those pixels: without "none" (``cell_check.pixel_lattice_r2``), and as p1 where
the pixels obey nothing and the averaged cell nothing either (``pixel_alone_r2``,
``pixel_alone_max``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from symcat.embed.symmetry.cell_symmetry import CellCheck, CellSymmetry  # noqa: E402
from tests.embed.readings import assert_read_alike  # noqa: E402
from tests.embed.test_symmetry_v26 import P4_WAVES  # noqa: E402
from tests.embed.textures import fine_texture_scan  # noqa: E402

SYMMETRY = Path(__file__).resolve().parents[2] / "catalog" / "embed" / "symmetry"
V40 = json.loads((SYMMETRY / "weights_v40" / "config.json").read_text())
V41 = json.loads((SYMMETRY / "weights_v41" / "config.json").read_text())
CHECK = CellCheck.from_config(V41["cell_check"])


def test_v41_is_v40_with_three_pixel_settings() -> None:
    assert V41["cell_check"] == {**V40["cell_check"], "pixel_alone_r2": 0.99,
                                 "pixel_alone_max": 0.5, "pixel_lattice_r2": 0.99}
    same = {k: v for k, v in V41.items() if k not in ("name", "recipe_from", "cell_check")}
    assert same == {k: v for k, v in V40.items() if k not in ("name", "recipe_from", "cell_check")}
    assert CellCheck.from_config(V40["cell_check"]).pixel_lattice_r2 is None


def _cell(r2: float, pixels: bool = True, edge: float = 50.0, turn: float = 0.1,
          ) -> CellSymmetry:
    return CellSymmetry({2: turn}, (0.2,), r2=r2, translation=0.03, agreement=1.0,
                        edge_px=edge, pixels=pixels)


def test_pixels_obeying_nothing_stand_alone_only_where_the_averaged_cell_does_too() -> None:
    exact = _cell(1.0)
    assert CHECK.pixels_alone(exact, _cell(0.5, pixels=False), hexagonal=False)
    # a pattern that nearly obeys a turn its pixels break (trimmed hexagonal tiles)
    assert not CHECK.pixels_alone(exact, _cell(0.84, pixels=False, turn=0.7), hexagonal=False)
    assert not CHECK.pixels_alone(exact, _cell(0.5, pixels=False), hexagonal=True)
    assert not CHECK.pixels_alone(exact, _cell(0.97, pixels=False), hexagonal=False)  # trusted
    assert not CHECK.pixels_alone(_cell(0.95), _cell(0.5, pixels=False), hexagonal=False)
    assert not CellCheck.from_config(V40["cell_check"]).pixels_alone(
        exact, _cell(0.5, pixels=False), hexagonal=False)


def test_only_an_exact_trusted_cell_of_whole_pixels_has_a_lattice_for_sure() -> None:
    assert CHECK.repeats_exactly(_cell(0.999))
    assert not CHECK.repeats_exactly(_cell(0.985))  # trusted, not exact
    assert not CHECK.repeats_exactly(_cell(0.999, pixels=False))  # an averaged cell
    assert not CHECK.repeats_exactly(_cell(0.999, edge=3.0))  # a stripe's pseudo-cell size
    assert not CHECK.repeats_exactly(None)
    assert not CellCheck.from_config(V40["cell_check"]).repeats_exactly(_cell(0.999))


# scans tiled from 50 px cells of fine noise that v40 abstains on or misreads (p1 read
# none or pg; p2 and pm none: the network sees no lattice in noise, though the cell check
# measured and trusted their pixels)
DRAWN = (("p1", 0), ("p1", 1), ("p2", 2), ("pm", 1))


def test_v41_reads_noise_tiles_that_v40_abstains_on(symmetry_extractor) -> None:
    v40, v41 = symmetry_extractor("v40"), symmetry_extractor("v41")
    scans = [fine_texture_scan(g, s) for g, s in DRAWN]
    before, after = v40.analyse(scans, workers=2), v41.analyse(scans, workers=2)
    assert sum(r.symmetry == g for (g, _), r in zip(DRAWN, before, strict=True)) <= 1
    for (group, _), r in zip(DRAWN, after, strict=True):
        assert r.symmetry == group, (group, r.symmetry, r.p, r.reason)
        assert r.cell_symmetry is not None and r.cell_symmetry.pixels
        assert r.cell_symmetry.r2 > 0.99 and r.p >= 0.5 and r.p_none == 0.0


def test_continuous_patterns_and_domains_read_as_by_v40(symmetry_extractor) -> None:
    """A plane-wave p4 whose lattice happens to be whole pixels (its turns off the pixel
    grid), continuous patterns on other lattices and a domain scan: every field as v40."""
    from symcat.ingest.synth.domains import random_scene, render

    v40, v41 = symmetry_extractor("v40"), symmetry_extractor("v41")
    pattern = {"cells": 12.0, "size": 256, "distort": False, "bin": "8-16", "seed": 41}
    scans = [heldout.make(P4_WAVES)]
    scans += [heldout.make({**pattern, "group": g, "motif": m})
              for g, m in (("p1", "glyph"), ("p6m", "gaussian"), ("cm", "fourier"))]
    rng = np.random.default_rng(41)
    scans += [np.asarray(render(random_scene(kind, rng, points=256), rng).phase1, float)
              for kind in ("stripe", "bubble")]
    for new, old in zip(v41.analyse(scans, workers=2), v40.analyse(scans, workers=2),
                        strict=True):
        assert_read_alike(new, old)
