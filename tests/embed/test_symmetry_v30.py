"""symcat_symmetry.v30: a lattice whose longer period is more than ``max_aspect`` times its
shorter is refused wherever the views came from (`lattice.within_aspect`,
``lattice.max_aspect_everywhere``), not only where the autocorrelation found it. The
scans are the evaluation's (`benchmarks/symmetry_eval.py`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from symcat.embed.symmetry.lattice import Lattice, within_aspect

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V29 = json.loads((SYMMETRY / "weights_v29" / "config.json").read_text())
V30 = json.loads((SYMMETRY / "weights_v30" / "config.json").read_text())

# A held-out glyph p2 of seed 20261130 (distorted, 32 cells across 192 px) read right from
# its averaged cell of 2.3 x 5.5 px: a real lattice at 2.4:1, under the bar.
GLYPH_P2 = {"group": "p2", "cells": 32.107303296322584, "size": 192, "distort": True,
            "bin": "16-50", "seed": 863962339, "motif": "glyph"}


def test_v30_is_v29_refusing_long_lattices_everywhere() -> None:
    assert V30["lattice"] == {**V29["lattice"], "max_aspect_everywhere": True}
    assert V30["lattice"]["max_aspect"] == 3.0
    same = {k: v for k, v in V30.items() if k not in ("name", "input", "lattice")}
    assert same == {k: v for k, v in V29.items() if k not in ("name", "input", "lattice")}


def test_within_aspect_refuses_only_lattices_over_the_bar() -> None:
    stripe = Lattice(True, "", (2.6, 0.0), (0.5, 9.0))
    refused = within_aspect(stripe, 3.0)
    assert not refused.found and refused.one_direction
    assert "one period direction dominates (periods 2.6 and 9.0 px" in refused.reason
    kept = Lattice(True, "", (4.0, 0.0), (0.0, 11.9))
    assert within_aspect(kept, 3.0) is kept
    missing = Lattice(False, "constant image")
    assert within_aspect(missing, 3.0) is missing


def test_a_stripe_scan_is_none_with_its_features_kept(symmetry_extractor) -> None:
    """The domain generator's stripe scan of seed 23 (`symmetry_eval.domain_images`, image
    189): its harmonics average into a 2.6 x 9.0 px pseudo-cell that v29 reads pmm at
    0.90. v30 answers `none` for the lattice's shape; the network still read the views."""
    import symmetry_eval  # benchmarks/, on the path above

    kind, img = symmetry_eval.domain_images(200, 23 + 2)[189]
    assert kind == "stripe"
    (v29,), (v30,) = (symmetry_extractor(v).analyse([img]) for v in ("v29", "v30"))
    assert v29.symmetry == "pmm" and v29.seen == "averaged cell"
    assert max(v29.lattice.periods) > 3 * min(v29.lattice.periods)
    assert v30.symmetry == "none" and v30.seen == "averaged cell"
    assert v30.reason.startswith("no lattice: one period direction dominates")
    assert np.allclose(v30.features, v29.features)  # the same views, read the same
    assert v30.cell_symmetry is None  # no cell checked on a refused lattice


def test_a_small_cell_under_the_bar_keeps_its_answer(symmetry_extractor) -> None:
    image = [heldout.make(GLYPH_P2)]
    (v29,), (v30,) = (symmetry_extractor(v).analyse(image) for v in ("v29", "v30"))
    assert v29.seen == v30.seen == "averaged cell"
    assert 2.0 < max(v30.lattice.periods) / min(v30.lattice.periods) < 3.0
    assert v29.symmetry == v30.symmetry == "p2"
