"""symcat_symmetry.v31: on a trusted square cell p4m needs mirrors, not glides, along both
of its edges (``cell_check.square_edges``, `CellSymmetry.support`); p4g is asked nothing
there. The scans are the evaluation's (`benchmarks/symmetry_eval.py`, seed 71's plane
waves).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from symcat.embed.symmetry.cell_symmetry import GROUPS, CellCheck, CellSymmetry

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V30 = json.loads((SYMMETRY / "weights_v30" / "config.json").read_text())
V31 = json.loads((SYMMETRY / "weights_v31" / "config.json").read_text())

# Seed 71's plane waves, clean: a p4g whose square cell's edges obey a glide at 0.999 and
# a mirror at 0.86 (v30: p4m 0.55), and a p4m that both versions read right.
P4G = {"group": "p4g", "cells": 5.641393798011331, "size": 256, "distort": False,
       "bin": "4-8", "seed": 1620675721, "motif": "fourier"}
P4M = {"group": "p4m", "cells": 15.11248508897108, "size": 384, "distort": False,
       "bin": "8-16", "seed": 122829117, "motif": "fourier"}

# what v30 measured on P4G's cell (kinds: 1 along the edges, 2 along the diagonals)
MEASURED = CellSymmetry(rotations={2: 0.997, 4: 0.998}, mirrors=(1.0, 0.999, 0.998, 0.996),
                        r2=0.957, translation=0.859, mirror_kinds=(2, 1, 1, 2),
                        mirror_glide=((1.0, 1.0), (0.859, 0.999), (0.859, 0.998),
                                      (0.996, 0.996)), agreement=1.0, edge_px=45.4)


def test_v31_is_v30_with_square_edges() -> None:
    assert V31["cell_check"] == {**V30["cell_check"], "square_edges": True}
    same = {k: v for k, v in V31.items() if k not in ("name", "input", "cell_check")}
    assert same == {k: v for k, v in V30.items() if k not in ("name", "input", "cell_check")}


def test_p4m_needs_mirrors_along_the_edges_and_p4g_nothing_more() -> None:
    assert MEASURED.support("p4m", True, True) > 0.99  # v30: a glide counts as a mirror
    assert MEASURED.support("p4m", True, True, square_edges=True) == 0.859
    assert MEASURED.support("p4g", True, True, square_edges=True) == \
        MEASURED.support("p4g", True, True) > 0.99
    # every other group is asked what it was asked before
    for group in ("p1", "p2", "p4", "pmm", "cmm", "p6m"):
        a = MEASURED.support(group, True, True)
        b = MEASURED.support(group, True, True, square_edges=True)
        assert a == b or (math.isnan(a) and math.isnan(b)), group
    # the rule leaves a cell without measured kinds alone
    bare = CellSymmetry(rotations={2: 1.0, 4: 1.0}, mirrors=(1.0, 1.0, 1.0, 1.0))
    assert bare.support("p4m", square_edges=True) == 1.0


def test_the_check_takes_p4m_away_from_a_glide_cell() -> None:
    check = CellCheck.from_config(V31["cell_check"])
    assert check.square_edges and not CellCheck.from_config(V30["cell_check"]).square_edges
    probs = np.zeros(len(GROUPS) + 1)  # the 17 groups, then "none"
    probs[[GROUPS.index("p4m"), GROUPS.index("p4g"), GROUPS.index("p4")]] = 0.55, 0.40, 0.05
    out = check.adjust(probs, MEASURED)
    assert out[GROUPS.index("p4m")] == 0.0 and out.argmax() == GROUPS.index("p4g")


def test_end_to_end_p4g_read_right_and_p4m_kept(symmetry_extractor) -> None:
    images = [heldout.make(P4G), heldout.make(P4M)]
    v30 = symmetry_extractor("v30").analyse(images, workers=2)
    v31 = symmetry_extractor("v31").analyse(images, workers=2)
    assert [r.symmetry for r in v30] == ["p4m", "p4m"]
    assert [r.symmetry for r in v31] == ["p4g", "p4m"]
    assert v31[0].p > 0.5
