"""symcat_symmetry.v28: on a hexagonal lattice the cell check measures turns and mirrors
through a common square pixel footprint (`cell_symmetry.footprint_pairs`,
`CellCheck.footprint_px`), so a square pixel's lack of 3-fold symmetry no longer rules
out the group of a sharp hexagonal pattern.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from symcat.embed.symmetry import cell_symmetry, motif
from symcat.embed.symmetry.cell_symmetry import CellCheck
from symcat.embed.symmetry.extract import _footprint

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V27 = json.loads((SYMMETRY / "weights_v27" / "config.json").read_text())
V28 = json.loads((SYMMETRY / "weights_v28" / "config.json").read_text())
CHECK = CellCheck.from_config(V28["cell_check"])
EDGE = 16.0  # px: an 8 px hexagonal cell enlarged 2x by repeating pixels
HEXAGONAL = ((EDGE, 0.0), (-EDGE / 2, EDGE * math.sqrt(3) / 2))


def enlarged_cell(group: str, seed: int) -> motif.Cell:
    """The averaged cell of a hexagonal pattern sampled at pixel centres on an 8 px cell,
    then enlarged 2x by repeating pixels (the held-out `styled` family's way)."""
    base = heldout.hexagonal_noise(group, 128, 8, np.random.default_rng(seed))
    cell = motif.average_on(np.kron(base, np.ones((2, 2))), *HEXAGONAL)
    assert cell.found and cell.average is not None
    return cell


def turns(cell: motif.Cell, footprint: float) -> dict[int, float]:
    return cell_symmetry.measure(cell.average, cell.reciprocal, 0.2, cell.r2,
                                 footprint_px=footprint).rotations


def test_v28_is_v27_with_a_footprint_on_hexagonal_lattices() -> None:
    new = ("footprint_px", "footprint_hexagonal", "footprint_min_px")
    assert {k: v for k, v in V28["cell_check"].items() if k not in new} == V27["cell_check"]
    assert (CHECK.footprint_px, CHECK.footprint_hexagonal, CHECK.footprint_min_px) == \
        (2.0, True, 4.0)
    same = {k: v for k, v in V28.items() if k not in ("name", "input", "cell_check")}
    assert same == {k: v for k, v in V27.items() if k not in ("name", "input", "cell_check")}
    assert CellCheck.from_config(V27["cell_check"]).footprint_px == 0.0


def test_the_footprint_applies_on_hexagonal_lattices_of_4_px_or_more() -> None:
    hexagonal = np.linalg.inv(np.array(HEXAGONAL).T)
    square = np.linalg.inv(np.array([[12.0, 0.0], [0.0, 12.0]]))
    assert _footprint(CHECK, hexagonal) == 2.0
    assert _footprint(CHECK, square) == 0.0
    assert _footprint(CHECK, hexagonal * 16 / 3.9) == 0.0  # a 3.9 px hexagonal cell
    assert _footprint(CHECK, hexagonal * 16 / 4.1) == 2.0
    assert _footprint(CellCheck.from_config(V27["cell_check"]), hexagonal) == 0.0


def test_enlarged_hexagonal_turns_hold_through_the_footprint() -> None:
    """The 3-fold turn of an enlarged p3, p31m or p6m cell falls under the check's 0.9 bar
    in its averaged cell (the 2 px squares do not turn by a third); measured through a
    common 2 px footprint it holds at 0.94 or more."""
    plain, through = [], []
    for group in ("p3", "p31m", "p6m"):
        for seed in range(3):
            cell = enlarged_cell(group, seed)
            plain.append(turns(cell, 0.0)[3])
            through.append(turns(cell, 2.0)[3])
    assert min(through) >= 0.94
    assert float(np.mean(plain)) < 0.9 and min(plain) < 0.81
    assert all(t > p for t, p in zip(through, plain, strict=True))


def test_the_footprint_makes_no_turn_a_pattern_lacks() -> None:
    for group in ("p1", "p2"):
        for seed in range(3):
            assert turns(enlarged_cell(group, seed), 2.0)[3] < 0.8


def test_a_square_lattice_along_the_axes_is_measured_as_before() -> None:
    """A square pixel obeys a square lattice's operations along the scan's axes: v28
    measures such a cell without the footprint, as v27 did."""
    rng = np.random.default_rng(4)
    cell = heldout.PIXEL_CELLS["p4"](heldout.smooth_noise(12, 12, 1.5, rng))
    scan = np.tile(cell, (20, 20))
    found = motif.average_on(scan, (12.0, 0.0), (0.0, 12.0))
    assert _footprint(CHECK, found.reciprocal) == 0.0
    assert turns(found, 0.0)[4] > 0.99


# Held-out "styled" scans of seed 41 (`symmetry_eval.py --families styled`) that v27
# misread and v28 reads right: a clean p3 of 16 px cells enlarged 2x (network p3 at 1.00,
# its cell's 3-fold turn 0.79: v27 p1), a distorted p6m read p4m and a clean p6m read cm.
P3_ENLARGED = {"group": "p3", "cells": 12.02445406967363, "size": 192, "distort": False,
               "bin": "8-16", "seed": 66802813, "motif": "styled"}
P6M_DISTORTED = {"group": "p6m", "cells": 10.279772041868226, "size": 192, "distort": True,
                 "bin": "8-16", "seed": 155094531, "motif": "styled"}
P6M_CLEAN = {"group": "p6m", "cells": 21.091183470259935, "size": 384, "distort": False,
             "bin": "16-50", "seed": 393373529, "motif": "styled"}


def test_v28_reads_styled_hexagonal_scans_v27_ruled_out(symmetry_extractor) -> None:
    images = [heldout.make(it) for it in (P3_ENLARGED, P6M_DISTORTED, P6M_CLEAN)]
    v27, v28 = (symmetry_extractor(v).analyse(images) for v in ("v27", "v28"))
    assert [r.symmetry for r in v27] == ["p1", "p4m", "cm"]
    assert [r.symmetry for r in v28] == ["p3", "p6m", "p6m"]
    assert all(r.p >= 0.9 for r in v28)


# A held-out blob cm of seed 67 (`--families gaussian`) whose check measures a 2.4 px
# alias cell on a near-hexagonal lattice: through a 2 px footprint its mirror blurs away
# and it read p1; v28 measures cells under 4 px plainly, as v27, and reads cm.
BLOB_CM = {"group": "cm", "cells": 46.89819324318652, "size": 192, "distort": False,
           "bin": "16-50", "seed": 1255318887, "motif": "gaussian"}


def test_a_small_hexagonal_cell_is_measured_without_the_footprint(symmetry_extractor) -> None:
    image = [heldout.make(BLOB_CM)]
    v28 = symmetry_extractor("v28")
    (kept,) = v28.analyse(image)
    assert kept.symmetry == "cm"
    assert kept.cell_symmetry is not None and kept.cell_symmetry.edge_px < 4.0
    v28.cell_check = replace(v28.cell_check, footprint_min_px=0.0)
    assert v28.analyse(image)[0].symmetry == "p1"
