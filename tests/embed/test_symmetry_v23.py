"""symcat_symmetry.v23: a small averaged cell that is an alias (its frequencies inside the
pixels' Nyquist square hold little of the scan) gives way to the lattice of the
spectrum's peaks (`motif.peak_lattice`, `MotifRule.unaliased`).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry import motif
from symcat.embed.symmetry.extract import MotifRule
from symcat.embed.symmetry.lattice import Lattice

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402
from lattice_waves import waves  # noqa: E402

V22 = json.loads((SYMMETRY / "weights_v22" / "config.json").read_text())
V23 = json.loads((SYMMETRY / "weights_v23" / "config.json").read_text())
ALIAS = ("alias_max", "alias_min", "alias_tie")

# A held-out tiled pmm (seed 43's evaluation): a cell of 8 x 6 whole pixels tiled over a
# 256 px scan, no faults. Its autocorrelation reads stripes; a 2.8 px cell bins each of
# its 48 pixel values apart.
PMM = {"group": "pmm", "cells": 31.568549535495393, "size": 256, "distort": False,
       "bin": "16-50", "seed": 427778911, "motif": "tiled"}


def pmm_scan() -> np.ndarray:
    img = heldout.make(PMM).astype(np.float64)
    return (img - img.min()) / np.ptp(img)


def test_v23_is_v22_with_the_alias_rule() -> None:
    """Only the small cell's giving way to an alias's lattice changes."""
    assert {k: v for k, v in V23["motif"].items() if k not in ALIAS} == V22["motif"]
    same = {k: v for k, v in V23.items() if k not in ("name", "input", "recipe_from", "motif")}
    assert same == {k: v for k, v in V22.items()
                    if k not in ("name", "input", "recipe_from", "motif")}
    assert MotifRule.from_config(V22["motif"]).alias_max is None
    assert MotifRule.from_config(V23["motif"]).alias_max == V23["motif"]["alias_max"]


def test_the_peaks_of_a_tiled_scan_lie_on_its_whole_pixel_lattice() -> None:
    img, _ = motif.prepared(pmm_scan())
    vectors = sorted(np.abs(np.linalg.inv(motif.peak_lattice(img)).T).tolist())
    assert np.allclose(vectors, [[0, 6], [8, 0]], atol=0.05)


@pytest.mark.parametrize("angle", [0.0, 23.0, 61.0])
@pytest.mark.parametrize(("edge", "gamma"), [(7.0, 90.0), (10.0, 120.0), (14.0, 70.0)])
def test_peak_lattice_finds_a_known_lattice(angle: float, edge: float, gamma: float) -> None:
    """Any angle, square, hexagonal or oblique: the cell of the peaks is the true cell
    (area within 1%, each reduced edge within 0.1 px)."""
    t, g = math.radians(angle), math.radians(gamma)
    a1 = edge * np.array([math.cos(t), math.sin(t)])
    a2 = 0.9 * edge * np.array([math.cos(t + g), math.sin(t + g)])
    img, _ = motif.prepared(waves(np.column_stack([a1, a2])))
    found = np.linalg.inv(motif.peak_lattice(img))
    area = abs(float(np.linalg.det(found)))
    assert area == pytest.approx(abs(a1[0] * a2[1] - a1[1] * a2[0]), rel=0.01)
    truth = sorted(np.hypot(*v) for v in motif.gauss_reduced(np.stack([a1, a2])))
    got = sorted(np.hypot(*v) for v in motif.gauss_reduced(found.T))
    assert np.allclose(got, truth, atol=0.1)


def test_no_peak_lattice_on_a_flat_scan() -> None:
    assert motif.peak_lattice(np.zeros((128, 128))) is None


def test_the_alias_gives_way_to_the_tiled_cell() -> None:
    """v22 keeps the 2.8 px cell (R^2 1.000, 0.01 of the scan in band); v23 takes the
    8 x 6 px cell of the peaks (in band 1.000)."""
    grey = pmm_scan()
    old, new = (MotifRule.from_config(c["motif"]) for c in (V22, V23))
    small = old.views(grey)[2]
    assert small.period < 4 and small.r2 > 0.999 and small.resolved < 0.05
    stripes = Lattice(False, "no lattice: one period direction only (stripes)",
                      one_direction=True)
    assert old.gives_way(grey, stripes, small) is None
    cell, lattice = new.gives_way(grey, stripes, small)
    assert lattice.found and sorted(np.round(lattice.periods, 2)) == [6.0, 8.0]
    assert cell.resolved > 0.99 and cell.r2 > 0.999


@pytest.mark.parametrize("basis", [[[6.0, 2.0], [0.0, 5.5]], [[6.3, 1.7], [0.4, 5.6]]])
def test_a_smooth_pattern_s_alias_gives_way(basis: list[list[float]]) -> None:
    """Five low orders of a 6 px cell, all inside the Nyquist square: v22's search
    settles on an alias that bins the scan as well (R^2 > 0.999) but resolves under 0.3 of
    it in band; v23 gives way to the true cell (in band > 0.999)."""
    basis_ = np.array(basis)
    grey = waves(basis_)
    rule = MotifRule.from_config(V23["motif"])
    small = rule.views(grey)[2]
    assert small.r2 > 0.999 and small.resolved < 0.3
    assert MotifRule.from_config(V22["motif"]).gives_way(grey, Lattice(False, ""), small) \
        is None
    cell, lattice = rule.gives_way(grey, Lattice(False, ""), small)
    assert cell.resolved > 0.999
    assert sorted(lattice.periods) == pytest.approx(
        sorted(np.hypot(*v) for v in motif.gauss_reduced(basis_.T)), abs=0.02)


def test_a_true_small_cell_is_no_alias() -> None:
    """A smooth 5 px cell the search finds resolves all of its scan: it stays."""
    grey = waves(np.column_stack([[5.1, 1.3], [-1.2, 4.7]]))
    rule = MotifRule.from_config(V23["motif"])
    small = rule.views(grey)[2]
    assert small.resolved > 0.999
    assert rule.unaliased(grey, Lattice(False, "none"), small) is None


def test_v23_reads_the_tiled_pmm_v22_abstains_on(symmetry_extractor) -> None:
    img = heldout.make(PMM)
    v22, v23 = (symmetry_extractor(v).analyse([img])[0] for v in ("v22", "v23"))
    assert v22.symmetry == "none"
    assert v23.symmetry == "pmm" and sorted(np.round(v23.lattice.periods, 1)) == [6.0, 8.0]
