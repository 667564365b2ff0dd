"""symcat_symmetry.v22: small cells on their Fourier peaks, each pixel at its exact
position in the averaged cell (`motif.fourier_lattice`, `motif.exact_cell`), and a small
cell that is an alias gives way to the lattice the pixels resolve (`motif.fourier_r2`).
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
from lattice_waves import waves  # noqa: E402

V21 = json.loads((SYMMETRY / "weights_v21" / "config.json").read_text())
V22 = json.loads((SYMMETRY / "weights_v22" / "config.json").read_text())

# A held-out plane-wave p4 (seed 43's evaluation): 8.05 px square cells at 7.1 degrees on
# a 192 px scan, no distortion or noise. Its lattice is nearly commensurate with the
# pixels (8 a1 + a2 is 64.94 px along x), so a bin holds ~7 distinct positions.
P4 = {"group": "p4", "cells": 23.837325032533457, "size": 192, "distort": False,
      "bin": "16-50", "seed": 392297749, "motif": "fourier"}


def p4_scan() -> tuple[np.ndarray, np.ndarray]:
    """The scan (prepared) and its true reciprocal basis."""
    basis = heldout.lattice_basis("p4", P4["size"] / P4["cells"],
                                  np.random.default_rng(P4["seed"]))
    img, _ = motif.prepared(heldout.make(P4))
    return img, np.linalg.inv(basis)


def test_v22_is_v21_with_the_fourier_cell() -> None:
    """Only the averaged-cell search and the small cell's giving way change."""
    assert V22["motif"]["search"] == {**V21["motif"]["search"],
                                      "fourier_max_px2": V22["motif"]["search"]["fourier_max_px2"]}
    assert V22["motif"]["search"]["fourier_max_px2"] > 0
    extra = {"search", "fourier_gain", "fourier_min", "fourier_tie"}
    assert {k: v for k, v in V22["motif"].items() if k not in extra} == \
        {k: v for k, v in V21["motif"].items() if k not in extra}
    same = {k: v for k, v in V22.items() if k not in ("name", "input", "recipe_from", "motif")}
    assert same == {k: v for k, v in V21.items()
                    if k not in ("name", "input", "recipe_from", "motif")}
    old = MotifRule.from_config(V21["motif"])
    assert old.search.fourier_max_px2 == 0 and old.fourier_gain is None


@pytest.mark.parametrize("angle", [0.0, 17.0, 45.0, 73.0])
@pytest.mark.parametrize(("edge", "gamma"), [(6.0, 90.0), (9.3, 120.0), (11.0, 75.0)])
def test_fourier_lattice_finds_a_known_lattice(angle: float, edge: float, gamma: float,
                                               ) -> None:
    """Started 0.03 px off (1 px over the scan), the Fourier peaks put every cell vector
    within 0.002 px of the truth, at any angle, square, hexagonal or oblique."""
    t, g = math.radians(angle), math.radians(gamma)
    a1 = edge * np.array([math.cos(t), math.sin(t)])
    a2 = 0.9 * edge * np.array([math.cos(t + g), math.sin(t + g)])
    basis = np.column_stack([a1, a2])
    img, _ = motif.prepared(waves(basis))
    start = np.linalg.inv(basis + np.array([[0.03, -0.02], [0.02, 0.03]]))
    found = np.linalg.inv(motif.fourier_lattice(img, start))
    assert np.abs(found - basis).max() < 0.002
    assert np.abs(np.linalg.inv(start) - basis).max() > 0.02


def test_fourier_lattice_keeps_a_lattice_its_peaks_do_not_fix() -> None:
    """Stripes (every strong frequency on one line) leave the lattice as it was."""
    yy, xx = np.mgrid[0:128, 0:128].astype(float) + 0.5
    img, _ = motif.prepared(np.cos(2 * math.pi * xx / 7.0))
    start = np.linalg.inv(np.diag([7.0, 9.0]))
    assert motif.fourier_lattice(img, start) is start


def test_fourier_lattice_keeps_a_lattice_without_power() -> None:
    """A flat scan (nothing at any frequency) leaves the lattice as it was."""
    start = np.linalg.inv(np.diag([7.0, 9.0]))
    assert motif.fourier_lattice(np.zeros((64, 64)), start) is start
    assert motif.fourier_r2(np.zeros((64, 64)), start) == 0.0


def test_the_exact_cell_shows_the_p4s_quarter_turn() -> None:
    """On the p4's true lattice the bins' means (each the motif where its few pixels
    happen to lie) measure its quarter turn at 0.89; the exact cell at 1.00. Where the
    bins' own refinement ends (R^2 higher than the true lattice's), the Fourier peaks
    bring the lattice back."""
    img, true = p4_scan()
    binned = motif.averaged(img, true)
    exact = motif.exact_cell(img, true, None, motif.Binner(img))
    assert cell_symmetry.measure(binned.average, true).rotations[4] < 0.95
    assert cell_symmetry.measure(exact, true).rotations[4] > 0.99
    sample = motif.Binner(img, motif.SAMPLE)
    drifted = sample.refine(true + 0.0004, 0.1, max(img.shape))
    assert sample.fit(drifted)[0] > sample.fit(true)[0]  # the bins prefer a wrong lattice
    assert np.abs(np.linalg.inv(motif.fourier_lattice(img, drifted))
                  - np.linalg.inv(true)).max() < 0.002


def test_an_alias_explains_the_pixels_only_through_aliasing() -> None:
    """The p4's 2.85 px alias bins its pixels as well as the true 8.05 px cell, but its
    frequencies the pixels resolve hold under half the scan; the true lattice's all."""
    img, true = p4_scan()
    alias = MotifRule.from_config(V21["motif"]).estimate(heldout.make(P4))
    assert alias.found and alias.period < 3.0
    assert alias.r2 > motif.averaged(img, true).r2
    assert motif.fourier_r2(img, true) > 0.999
    assert motif.fourier_r2(img, alias.reciprocal) < 0.5


def test_a_pattern_without_the_lattice_has_no_fourier_r2() -> None:
    rng = np.random.default_rng(0)
    img, _ = motif.prepared(rng.normal(size=(128, 128)))
    assert motif.fourier_r2(img, np.linalg.inv(np.diag([8.0, 8.0]))) < 0.05


def test_old_versions_average_as_before() -> None:
    """Without ``fourier_max_px2`` the averaged cell is the bins' (v9-v21)."""
    img, true = p4_scan()
    a = motif.averaged(img, true, search=motif.Search.from_config(V21["motif"]["search"]))
    b = motif.averaged(img, true)
    assert np.array_equal(a.average, b.average) and a.r2 == b.r2


def test_v22_reads_the_p4_v21_misses(symmetry_extractor) -> None:
    img = heldout.make(P4)
    v21, v22 = (symmetry_extractor(v).analyse([img])[0] for v in ("v21", "v22"))
    assert v21.symmetry == "p1"
    assert v22.symmetry == "p4" and v22.seen == "averaged cell"
    assert v22.cell_symmetry.rotations[4] > 0.99


def test_a_small_cell_keeps_its_place_against_a_coarse_supercell(symmetry_extractor) -> None:
    """A held-out blob p1 of 6.4 px cells (seed 20261130): the autocorrelation's lattice,
    a supercell of index 72, resolves more of the scan in its many frequencies (0.93
    against 0.60) but its bins explain far less (0.31 against 0.96): the small cell
    stays, as under v21."""
    item = {"group": "p1", "cells": 30.138115851809097, "size": 192, "distort": False,
            "bin": "16-50", "seed": 1596322221, "motif": "gaussian"}
    from symcat.embed.symmetry.lattice import estimate

    ex = symmetry_extractor("v22")
    img = heldout.make(item).astype(np.float64)
    grey = (img - img.min()) / np.ptp(img)
    rule = MotifRule.from_config(V22["motif"])
    small = rule.views(grey)[2]
    lat = estimate(grey, ex.max_aspect, ex.fine)
    assert lat.found
    assert rule.yields_to(grey, lat, small) is None
    theirs = motif.average_on(grey, lat.a1, lat.a2, rule.search)
    prepared, _ = motif.prepared(grey)
    assert motif.fourier_r2(prepared, theirs.reciprocal) >= \
        motif.fourier_r2(prepared, small.reciprocal) + rule.fourier_gain
    assert theirs.r2 < small.r2 - rule.fourier_tie


def test_a_drift_undone_cell_is_exact_too() -> None:
    """Lines bent by 6 px (`drift`): under v22's search the undone cell is `exact_cell`'s
    (the line shifts in its Fourier coefficients), explains the scan as v21's does, and
    the bend is tracked as well."""
    from symcat.embed.symmetry import drift
    from tests.embed.test_symmetry_drift import bend, bent_dots

    img, shift, _ = bent_dots(256, 7.7, 40.0, bend_px=6.0)
    old = drift.estimate(img, search=motif.Search.from_config(V21["motif"]["search"]))
    new = drift.estimate(img, search=motif.Search.from_config(V22["motif"]["search"]))
    assert old.found and new.found and new.line_shift is not None
    assert new.r2 > 0.85 and new.r2 >= old.r2 - 0.01
    assert np.abs(bend(new.line_shift) - bend(-shift)).mean() < 0.15
    prepared, _ = motif.prepared(img)
    exact = motif.exact_cell(prepared, new.reciprocal, new.line_shift,
                             motif.Binner(prepared, None, new.line_shift))
    assert np.allclose(new.average, exact)
    assert not np.allclose(new.average, old.average)
