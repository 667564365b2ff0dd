"""symcat_symmetry.v21: the averaged cell of a scan tiled from whole pixels, on its own
whole-pixel lattice and with every bin filled (`motif.Search.whole_pixels`, ``fill_all``).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry import cell_symmetry, motif
from symcat.embed.symmetry.extract import MotifRule

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V20 = json.loads((SYMMETRY / "weights_v20" / "config.json").read_text())
V21 = json.loads((SYMMETRY / "weights_v21" / "config.json").read_text())


def tiled(group: str, h: int, w: int, seed: int, size: int = 256) -> np.ndarray:
    """A scan tiled from an h x w px cell of smoothed noise made ``group``'s by array
    operations, clear of higher symmetry, as `heldout.tiled` draws one."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        cell = heldout.PIXEL_CELLS[group](heldout.smooth_noise(h, w, 1.2, rng))
        if heldout.pixel_extra(group, cell) < heldout.MAX_EXTRA:
            break
    img = np.tile(cell, (size // h + 1, size // w + 1))[:size, :size]
    return ((img - img.min()) / np.ptp(img)).astype(np.float32)


def vectors(cell: motif.Cell) -> np.ndarray:
    return np.linalg.inv(cell.reciprocal)


def test_v21_is_v20_with_whole_pixel_cells() -> None:
    """Only the averaged-cell search changes: the same network, views, cell check."""
    assert V21["motif"]["search"] == {**V20["motif"]["search"], "whole_pixels": True,
                                      "fill_all": True}
    same = {k: v for k, v in V21.items() if k not in ("name", "input", "recipe_from", "motif")}
    assert same == {k: v for k, v in V20.items()
                    if k not in ("name", "input", "recipe_from", "motif")}
    assert {k: v for k, v in V21["motif"].items() if k != "search"} == \
        {k: v for k, v in V20["motif"].items() if k != "search"}
    assert not motif.Search.from_config(V20["motif"]["search"]).whole_pixels


def test_a_tiled_scans_cell_lies_on_whole_pixels() -> None:
    """A cm scan tiled from a 10 x 6 px cell: v20's search ends a few thousandths of a
    pixel off the cell (a tie on R^2), v21's on whole pixels, explaining as much."""
    img = tiled("cm", 6, 10, 0)
    old = MotifRule.from_config(V20["motif"]).estimate(img)
    new = MotifRule.from_config(V21["motif"]).estimate(img)
    assert old.found and new.found
    assert np.array_equal(vectors(new), np.round(vectors(new)))
    assert abs(abs(np.linalg.det(vectors(new))) - 30) < 1e-9  # the primitive centred cell
    assert not np.allclose(vectors(old), np.round(vectors(old)), atol=1e-4)
    assert new.r2 >= old.r2 - motif.WHOLE_PIXEL_TIE


@pytest.mark.parametrize("edge", [8.0, 8.05])
def test_only_a_lattice_on_whole_pixels_is_rounded(edge: float) -> None:
    """A continuous pattern with a square 8 px cell keeps its lattice rounded; one of
    8.05 px (0.05 px from whole pixels, 2 px over the scan) keeps its own."""
    yy, xx = np.mgrid[0:256, 0:256].astype(float) + 0.5
    u, v = xx / edge, yy / edge
    img = (np.cos(2 * math.pi * u) + 0.6 * np.sin(2 * math.pi * (u + 2 * v) + 0.3)
           + 0.4 * np.cos(2 * math.pi * (2 * u - v) + 1.1))
    img = (img - img.min()) / np.ptp(img)
    prepared, _ = motif.prepared(img)
    off = np.linalg.inv(np.array([[edge + 0.03, 0.02], [-0.01, edge - 0.02]]))
    true = np.linalg.inv(np.diag([edge, edge]))
    search = motif.Search(whole_pixels=True)
    out = motif.averaged(prepared, off, search=search).reciprocal
    if edge == 8.0:
        assert np.allclose(np.linalg.inv(out), np.diag([8.0, 8.0]))
    else:
        assert out is off
        assert motif.averaged(prepared, true, search=search).reciprocal is true


def test_every_empty_bin_is_filled_from_its_neighbours() -> None:
    """``every``: no bin is left at 0; bins with pixels keep their mean; the filling is
    an average, within the known values' range. One pass leaves far bins empty."""
    rng = np.random.default_rng(0)
    mean = np.zeros((motif.BINS, motif.BINS))
    count = np.zeros_like(mean, dtype=int)
    known = [(1, 1), (1, 13), (13, 1), (13, 13), (7, 20)]
    for i, j in known:
        mean[i, j], count[i, j] = rng.uniform(1, 2), 5
    once = motif.filled(mean, count)
    full = motif.filled(mean, count, every=True)
    assert (once == 0).sum() > 400
    assert (full > 0).all() and full.min() >= 1.0 and full.max() <= 2.0
    for i, j in known:
        assert full[i, j] == mean[i, j]


def test_the_whole_pixel_cell_shows_the_exact_mirror() -> None:
    """The tiled cm's mirror is exact; v21's averaged cell measures it so, v20's (off the
    lattice, most bins empty) does not."""
    img = tiled("cm", 6, 10, 0)

    def best_mirror(cfg: dict) -> float:
        cell = MotifRule.from_config(cfg["motif"]).estimate(img)
        return max(cell_symmetry.measure(cell.average, cell.reciprocal).mirrors)

    assert best_mirror(V21) >= 0.98
    assert best_mirror(V20) < 0.95


def test_cells_off_the_pixel_grid_are_found_as_before() -> None:
    """Held-out glyph scans (seed 5, 16-50 cells, any angle): v21's search finds v20's
    cells, bit for bit."""
    old, new = MotifRule.from_config(V20["motif"]), MotifRule.from_config(V21["motif"])
    compared = 0
    for item in heldout.dataset(6, 5, ((16, 50),)):
        img = heldout.make(item)
        a, b = old.estimate(img), new.estimate(img)
        assert a.found == b.found
        if a.found:
            assert np.array_equal(a.reciprocal, b.reciprocal)
            assert np.array_equal(a.average, b.average)
            compared += 1
    assert compared >= 4


@pytest.mark.parametrize(("group", "h", "w", "seed"), [
    ("cm", 6, 10, 0), ("cm", 6, 10, 3), ("p4g", 8, 8, 2), ("cmm", 6, 6, 3)])
def test_v21_reads_small_tiled_cells_v20_misses(symmetry_extractor, group, h, w, seed) -> None:
    img = tiled(group, h, w, seed)
    v20, v21 = (symmetry_extractor(v).analyse([img])[0] for v in ("v20", "v21"))
    assert v20.symmetry != group
    assert v21.symmetry == group and v21.seen == "averaged cell"


def test_tiled_hexagonal_noise_of_small_cells_is_mostly_aliased() -> None:
    """`training.symmetry.tiled_aliasing`: a tiled p6 of 4 px cells puts much of its
    variance above the pixels' Nyquist limit, one of 28 px next to none; the hexagonal
    helper draws `tiled`'s scan exactly (before scaling)."""
    from training.symmetry.tiled_aliasing import aliased_share

    small = {"group": "p6", "size": 192, "cells": 48.0, "seed": 1}
    large = {"group": "p6", "size": 192, "cells": 192 / 28, "seed": 1}
    assert aliased_share(small) > 0.2
    assert aliased_share(large) < 0.01
    img = heldout.tiled("p6", 192, 48.0, np.random.default_rng(1), False)
    raw = heldout.hexagonal_noise("p6", 192, 4, np.random.default_rng(1))
    assert np.allclose(img, ((raw - raw.min()) / np.ptp(raw)).astype(np.float32))
