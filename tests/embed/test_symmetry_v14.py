"""symcat_symmetry.v14: v13's answer, checked against the averaged cell's own symmetry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from symcat.embed.symmetry.cell_symmetry import CellCheck, CellSymmetry

SYMMETRY = Path(__file__).resolve().parents[2] / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

BINS = ((2, 4), (4, 8), (8, 16), (16, 50))  # benchmarks/symmetry_eval.py's


def test_v14_is_v13_plus_the_cell_check() -> None:
    v13 = json.loads((SYMMETRY / "weights_v13" / "config.json").read_text())
    v14 = json.loads((SYMMETRY / "weights_v14" / "config.json").read_text())
    assert CellCheck.from_config(v14["cell_check"]) == CellCheck(0.2, 0.9, 0.95, 0.9)
    keep = ("name", "input", "recipe_from", "cell_check")
    assert {k: v for k, v in v14.items() if k not in keep} == \
        {k: v for k, v in v13.items() if k not in keep}


def test_v14_reads_a_near_pmm_plane_wave_pm_scan_as_pm() -> None:
    """A held-out plane-wave pm scan (21.7-px cells, 8-16 across, undistorted) whose
    pattern correlates about 0.8 with itself turned by 180 degrees: v13 answers pmg."""
    from symcat.embed.registry import available
    from symcat.embed.symmetry.extract import SymmetryExtractor

    if not (available("symcat_symmetry.v13") and available("symcat_symmetry.v14")):
        pytest.skip("symmetry weights are not installed")
    item = heldout.dataset(34, 20261130 + 3, BINS, motif="fourier")[70]
    assert (item["group"], item["bin"], item["distort"]) == ("pm", "8-16", False)
    img = heldout.make(item)
    old = SymmetryExtractor(SYMMETRY / "weights_v13").analyse([img])[0]
    new = SymmetryExtractor(SYMMETRY / "weights_v14").analyse([img])[0]
    assert old.symmetry == "pmg" and old.cell_symmetry is None
    found = new.cell_symmetry
    assert found is not None and found.r2 > 0.95 and found.translation < 0.9
    assert found.support("pm") > 0.99 and found.support("pmg") < 0.9
    assert new.symmetry == "pm" and new.p > 0.5
    assert (new.features == old.features).all()  # the stored vectors are v13's


def _logits(ex, probs: dict[str, float]):
    import numpy as np

    from symcat.embed.symmetry.groups import GROUPS

    p = np.full(len(GROUPS) + 1, 1e-4)
    for name, v in probs.items():
        p[(*GROUPS, "none").index(name)] = v
    return (np.log(p / p.sum()) * ex.temperature)[None].astype(np.float32)


def test_the_check_moves_answers_but_never_makes_one_from_an_abstention() -> None:
    """Renormalising over the groups the cell allows would lift a spread-out abstention
    (a stripe scan: p1 0.3, pm 0.3, p2 0.2) over the 0.5 bar; v14 keeps it abstaining."""
    import numpy as np

    from symcat.embed.registry import available
    from symcat.embed.symmetry.extract import SymmetryExtractor
    from symcat.embed.symmetry.lattice import Lattice

    if not available("symcat_symmetry.v14"):
        pytest.skip("symmetry weights are not installed")
    ex = SymmetryExtractor(SYMMETRY / "weights_v14")
    lat = Lattice(True, "", (20.0, 0.0), (0.0, 32.0), score=0.9)
    feats = np.zeros((1, ex.dim), np.float32)
    found = CellSymmetry({2: 0.5}, (0.99, 0.4), r2=0.97, translation=0.3)  # pm, not p2/pmm
    answered = ex._decide(lat, feats, _logits(ex, {"pmm": 0.6, "pm": 0.3, "p2": 0.1}),
                          True, "lattice", found)
    assert answered.symmetry == "pm" and answered.p > 0.9
    spread = ex._decide(lat, feats, _logits(ex, {"p1": 0.3, "pm": 0.3, "p2": 0.2,
                                                 "none": 0.2}), True, "lattice", found)
    assert spread.symmetry == "none" and "low confidence" in spread.reason
    untrusted = CellSymmetry({2: 0.5}, (0.99, 0.4), r2=0.9, translation=0.3)
    kept = ex._decide(lat, feats, _logits(ex, {"pmm": 0.6, "pm": 0.3, "p2": 0.1}),
                      True, "lattice", untrusted)
    assert kept.symmetry == "pmm"
