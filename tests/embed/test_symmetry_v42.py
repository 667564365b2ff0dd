"""symcat_symmetry.v42: v41 where a cell measured on its pixels takes only exact repeats
into its lattice (``cell_check.pixel_repeat``), and the network's 3-fold turn on a
hexagonal lattice stands over an averaged cell that measures none (``hexagonal_turn``)."""

from __future__ import annotations

import json
from pathlib import Path

from symcat.embed.symmetry.cell_symmetry import CellCheck, CellSymmetry
from tests.embed.readings import (
    assert_read_alike,
    read_alike_scans,
    styled_scans,
)

SYMMETRY = Path(__file__).resolve().parents[2] / "catalog" / "embed" / "symmetry"
V41 = json.loads((SYMMETRY / "weights_v41" / "config.json").read_text())
V42 = json.loads((SYMMETRY / "weights_v42" / "config.json").read_text())
CHECK = CellCheck.from_config(V42["cell_check"])
OLD = CellCheck.from_config(V41["cell_check"])


def test_v42_is_v41_with_two_settings() -> None:
    assert V42["cell_check"] == {**V41["cell_check"], "pixel_repeat": 0.98,
                                 "hexagonal_turn": 0.9}
    same = {k: v for k, v in V42.items() if k not in ("name", "recipe_from", "cell_check")}
    assert same == {k: v for k, v in V41.items() if k not in ("name", "recipe_from", "cell_check")}
    assert OLD.pixel_repeat is None and OLD.hexagonal_turn is None


def _cell(translation: float, pixels: bool) -> CellSymmetry:
    return CellSymmetry({2: 1.0}, (1.0, 1.0), r2=0.999, translation=translation,
                        agreement=1.0, edge_px=8.0, pixels=pixels)


def test_pixels_repeat_only_exactly() -> None:
    """A two-tone cmm's pixels correlate 0.94 with themselves half a cell along an edge:
    no lattice translation, so the cell is no supercell and is trusted; an averaged cell
    keeps v41's bar."""
    assert CHECK.repeat_bar(True) == 0.98 and CHECK.repeat_bar(False) == 0.9
    assert CHECK.trusts(_cell(0.94, pixels=True))
    assert not OLD.trusts(_cell(0.94, pixels=True))
    assert not CHECK.trusts(_cell(0.94, pixels=False))
    assert not CHECK.trusts(_cell(0.99, pixels=True))  # an exact repeat: a supercell


def test_the_networks_turn_stands_only_on_a_hexagonal_lattice() -> None:
    assert CHECK.keeps_turn(True, "p3", 0.95, "p1")
    assert CHECK.keeps_turn(True, "p6m", 0.9, "cm")
    assert not CHECK.keeps_turn(False, "p3", 0.95, "p1")  # lattice not hexagonal
    assert not CHECK.keeps_turn(True, "p3", 0.85, "p1")  # the network unsure
    assert not CHECK.keeps_turn(True, "p6", 0.95, "p3")  # the cell keeps a 3-fold turn
    assert not CHECK.keeps_turn(True, "cmm", 0.99, "pmm")  # no turn read
    assert not OLD.keeps_turn(True, "p3", 0.95, "p1")


# held-out styled scans (benchmarks/heldout_wallpaper.py, development seeds 229 and 230)
# that v41 misreads: a p3 and a p3m1 of 8-11 px hexagonal cells whose averaged cell
# measures no 3-fold turn (read p1, cm), a p4g and a cmm whose two-tone pixels nearly
# repeat on half the cell (read p4m, pmm)
STYLED = (("p3", 35.33303631928076, 384, True, 1152938467),
          ("p3m1", 31.26463826182367, 256, False, 1030707993),
          ("p4g", 5.337790253323451, 192, True, 549065158),
          ("cmm", 13.20684332522834, 384, False, 1715708903))


def test_v42_reads_styled_scans_v41_misreads(symmetry_extractor) -> None:
    v41, v42 = symmetry_extractor("v41"), symmetry_extractor("v42")
    scans = styled_scans(STYLED)
    before, after = v41.analyse(scans, workers=2), v42.analyse(scans, workers=2)
    for (group, *_), old, new in zip(STYLED, before, after, strict=True):
        assert old.symmetry != group, (group, old.symmetry)
        assert new.symmetry == group and new.p >= 0.9, (group, new.symmetry, new.p)


def test_continuous_patterns_and_domains_read_as_by_v41(symmetry_extractor) -> None:
    v41, v42 = symmetry_extractor("v41"), symmetry_extractor("v42")
    pattern = {"cells": 12.0, "size": 256, "distort": False, "bin": "8-16", "seed": 42}
    scans = read_alike_scans(pattern, (("p6m", "gaussian"), ("cmm", "fourier")), seed=42)
    for new, old in zip(v42.analyse(scans, workers=2), v41.analyse(scans, workers=2),
                        strict=True):
        assert_read_alike(new, old)
