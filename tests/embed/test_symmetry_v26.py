"""symcat_symmetry.v26: a cell of whole pixels is checked on the scan's pixel values
(`symcat.embed.symmetry.pixel_cell`, `CellCheck.pixel_slack`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry import cell_symmetry, motif, pixel_cell
from symcat.embed.symmetry.cell_symmetry import CellCheck

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V25 = json.loads((SYMMETRY / "weights_v25" / "config.json").read_text())
V26 = json.loads((SYMMETRY / "weights_v26" / "config.json").read_text())
CHECK = CellCheck.from_config(V26["cell_check"])

# Held-out tiled scans of the evaluation (`symmetry_eval.py`, >= 8 cells): a clean cm
# of 4 x 6 px cells (seed 20261130), which v25 reads cmm, and a pg of the same size (seed
# 31), which v25 reads pmg.
CM = {"group": "cm", "cells": 42.44618936848095, "size": 256, "distort": False,
      "bin": "16-50", "seed": 2072157894, "motif": "tiled"}
PG = {"group": "pg", "cells": 46.37272860002492, "size": 256, "distort": False,
      "bin": "16-50", "seed": 1217304079, "motif": "tiled"}
# a smooth pg of 22 x 34 px cells (a pixel's shift hardly changes it) and a plane-wave p4
# whose 8.06 px lattice happens to be whole pixels, (1, 8) and (8, -1), off the axes
PG_LARGE = {"group": "pg", "cells": 7.485544916458329, "size": 256, "distort": False,
            "bin": "4-8", "seed": 1943091379, "motif": "tiled"}
P4_WAVES = {"group": "p4", "cells": 23.837325032533457, "size": 192, "distort": False,
            "bin": "16-50", "seed": 392297749, "motif": "fourier"}


def on_pixels(image: np.ndarray, vectors: list[list[int]]) -> cell_symmetry.CellSymmetry | None:
    img, _ = motif.prepared(image)
    binner = motif.Binner(img)
    pixels = np.rint(binner.xy - 0.5).astype(np.int64)
    return pixel_cell.measure(pixels, binner.values, np.array(vectors, dtype=np.int64).T,
                              CHECK.max_translation, 0.0, tol=CHECK.tol)


def averaged(image: np.ndarray, vectors: list[list[float]]) -> cell_symmetry.CellSymmetry:
    img, _ = motif.prepared(image)
    search = motif.Search.from_config(V26["motif"]["search"])
    cell = motif.averaged(img, np.linalg.inv(np.array(vectors, dtype=float).T), search=search)
    return cell_symmetry.measure(cell.average, cell.reciprocal, CHECK.tol, cell.r2)


def tiled(cell: np.ndarray, size: int = 192, offset: tuple[int, int] = (3, 1)) -> np.ndarray:
    h, w = cell.shape
    big = np.tile(cell, (size // h + 2, size // w + 2))
    return big[offset[0] : offset[0] + size, offset[1] : offset[1] + size]


def test_v26_is_v25_with_the_pixel_check() -> None:
    assert {k: v for k, v in V26["cell_check"].items() if k != "pixel_slack"} == \
        V25["cell_check"]
    same = {k: v for k, v in V26.items()
            if k not in ("name", "input", "recipe_from", "cell_check")}
    assert same == {k: v for k, v in V25.items()
                    if k not in ("name", "input", "recipe_from", "cell_check")}
    assert CellCheck.from_config(V25["cell_check"]).pixel_slack is None
    assert CHECK.pixel_slack == 0.02


def test_the_lattice_a_cell_repeats_on() -> None:
    basis = pixel_cell._lattice([np.array([0, 4]), np.array([6, 0]), np.array([3, 2])])
    assert abs(round(np.linalg.det(basis))) == 12  # the centred lattice of a 4 x 6 cell
    assert sorted(np.hypot(*basis).round(3)) == [3.606, 3.606]
    assert motif.whole_vectors(np.array([[6.01, 0.0], [0.0, 3.99]]), 0.02).tolist() == \
        [[6, 0], [0, 4]]
    assert motif.whole_vectors(np.array([[6.05, 0.0], [0.0, 4.0]]), 0.02) is None


def test_a_tiled_cm_lacks_on_its_pixels_the_mirror_its_average_has() -> None:
    image = heldout.make(CM)
    assert averaged(image, [[0.0, 4.0], [6.0, 0.0]]).rotations[2] > 0.99  # cmm-like
    found = on_pixels(image, [[0, 4], [6, 0]])
    assert found is not None and found.pixels
    assert found.mirror_kinds == (2, 2)  # measured on the centred lattice, not 4 x 6
    assert found.mirrors[0] > 0.99 and found.mirrors[1] < 0.9
    assert found.rotations[2] < 0.9
    assert CHECK.trusts(found)
    support = dict(zip(cell_symmetry.GROUPS, found.supports(CHECK.centring, CHECK.glides),
                       strict=True))
    assert support["cm"] > 0.99 and support["cmm"] < 0.9 and support["pmm"] < 0.9


def test_a_tiled_pg_has_its_glide_on_the_pixels_not_a_mirror() -> None:
    found = on_pixels(heldout.make(PG), [[0, 4], [6, 0]])
    assert found is not None and found.mirror_kinds == (1, 1)
    (mirror, glide), (other, _) = found.mirror_glide
    assert glide > 0.99 and mirror < 0.9 and other < 0.9
    support = dict(zip(cell_symmetry.GROUPS, found.supports(CHECK.centring, CHECK.glides),
                       strict=True))
    assert support["pg"] > 0.99 and support["pmg"] < 0.9 and support["pm"] < 0.9


def test_a_hand_tiled_p4m_and_pm() -> None:
    rng = np.random.default_rng(5)
    t = rng.uniform(size=(8, 8))
    t = t + t.T  # a diagonal mirror
    t = t + t[::-1, ::-1]  # ... and a half turn: with it, p4m's point group on the pixels
    t = t + np.rot90(t)
    found = on_pixels(tiled(t), [[8, 0], [0, 8]])
    assert found is not None
    assert found.rotations[4] > 0.999 and found.rotations[2] > 0.999
    assert len(found.mirrors) == 4 and min(found.mirrors) > 0.999
    pm = rng.uniform(size=(6, 8))
    pm = pm + pm[:, ::-1]  # a mirror across x only
    found = on_pixels(tiled(pm), [[8, 0], [0, 6]])
    assert found is not None and 2 in found.rotations and 4 not in found.rotations
    assert found.mirrors[0] > 0.999 and found.mirrors[1] < 0.9 and found.rotations[2] < 0.9


def test_only_halves_thirds_and_quarters_join_the_lattice() -> None:
    # a smooth 22 x 34 px cell correlates over 0.9 with itself a pixel off; it keeps its cell
    found = on_pixels(heldout.make(PG_LARGE), [[0, 22], [34, 0]])
    assert found is not None and found.edge_px == 22.0
    assert found.translation < CHECK.max_translation
    # stripes: values that repeat a pixel apart are no cell for the pixels to measure
    stripes = tiled(np.tile(np.array([[0.0, 1.0, 0.3, 0.8, 0.5, 0.2]]), (4, 1)))
    assert on_pixels(stripes, [[6, 0], [0, 4]]) is None


def test_a_continuous_pattern_on_whole_pixels_keeps_its_averaged_cell() -> None:
    image = heldout.make(P4_WAVES)
    # the lattice admits mirrors along (1, 8), off the pixel grid: not measured on pixels
    assert on_pixels(image, [[1, 8], [8, -1]]) is None
    # and its turns, about centres off the grid, hold on no pixel position: not confirmed
    img, _ = motif.prepared(image)
    binner = motif.Binner(img)
    classes = pixel_cell._Classes(np.rint(binner.xy - 0.5).astype(np.int64), binner.values,
                                  np.array([[1, 8], [8, -1]]).T)
    half, quarter = pixel_cell.GRID_OPERATIONS[:2]
    turns = {2: float(classes.correlations(half).max()),
             4: float(classes.correlations(quarter).max())}
    assert turns[4] < 0.9 and turns[2] < 0.9
    average = averaged(image, [[1.0, 8.0], [8.0, -1.0]])
    assert average.rotations[4] > 0.95  # the pattern has them, off the grid
    assert not pixel_cell.confirms(cell_symmetry.CellSymmetry(turns, ()), average, 0.9)


def test_v26_reads_the_tiled_cm_and_pg_v25_reads_cmm_and_pmg(symmetry_extractor) -> None:
    images = [heldout.make(CM), heldout.make(PG), heldout.make(P4_WAVES)]
    v25, v26 = (symmetry_extractor(v).analyse(images, workers=2) for v in ("v25", "v26"))
    assert [r.symmetry for r in v25[:2]] == ["cmm", "pmg"]
    assert [r.symmetry for r in v26[:2]] == ["cm", "pg"]
    assert all(r.cell_symmetry is not None and r.cell_symmetry.pixels for r in v26[:2])
    # the plane waves: the same answer and probability as v25
    assert v26[2].symmetry == v25[2].symmetry == "p4"
    assert v26[2].p == pytest.approx(v25[2].p, abs=1e-9)
