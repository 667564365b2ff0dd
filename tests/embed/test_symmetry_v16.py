"""symcat_symmetry.v16: v14's cell check, which also knows centring and trusts the lattice."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from symcat.embed.symmetry.cell_symmetry import CellCheck

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

BINS = ((2, 4), (4, 8), (8, 16), (16, 50))  # benchmarks/symmetry_eval.py's


def test_v16_is_v14_plus_three_rules_of_the_check() -> None:
    v14 = json.loads((SYMMETRY / "weights_v14" / "config.json").read_text())
    v16 = json.loads((SYMMETRY / "weights_v16" / "config.json").read_text())
    assert CellCheck.from_config(v16["cell_check"]) == CellCheck(
        0.2, 0.9, 0.95, 0.9, centring=True, judge_lattice=True, supercells=True)
    assert CellCheck.from_config(v14["cell_check"]) == CellCheck(0.2, 0.9, 0.95, 0.9)
    keep = ("name", "input", "recipe_from", "cell_check")
    assert {k: v for k, v in v16.items() if k not in keep} == \
        {k: v for k, v in v14.items() if k not in keep}


def test_v16_reads_a_plane_wave_pmm_scan_v14_reads_as_cmm(symmetry_extractor) -> None:
    """A held-out plane-wave pmm scan (8-16 cells, undistorted): its mirrors hold along
    the found cell's edges, which cmm's (along a centred cell's diagonals) cannot."""
    old_ex, new_ex = symmetry_extractor("v14"), symmetry_extractor("v16")
    item = heldout.dataset(34, 20261130 + 3, BINS, motif="fourier")[90]
    assert (item["group"], item["bin"], item["distort"]) == ("pmm", "8-16", False)
    img = heldout.make(item)
    old, new = old_ex.analyse([img])[0], new_ex.analyse([img])[0]
    assert old.symmetry == "cmm"
    found = new.cell_symmetry
    assert found is not None and found.r2 > 0.95 and found.translation < 0.9
    assert found.mirror_kinds and set(found.mirror_kinds) == {1}
    assert found.support("cmm") > 0.9  # what v14 saw: the same point operations
    assert found.support("cmm", centring=True) == -1.0
    assert new.symmetry == "pmm" and new.p > 0.5
    assert (new.features == old.features).all()  # the stored vectors are v13's


def test_a_pseudo_translation_leaves_the_answer_to_the_network(symmetry_extractor) -> None:
    """Training's held-out atoms, a cmm scan (seed 8, item 25) that nearly repeats
    (0.95) on a rectangle of half its cell: the lattice estimate finds that rectangle,
    whose averaged cell explains 0.97 of the scan and has pmm's mirrors. Without the
    supercells, the check reads pmm (wrong); with them, the cell is the scan's own and
    its half-cell translation marks the rectangle a pseudo-cell, so cmm stays."""
    import symmetry_eval  # benchmarks/, on the path above

    ex = symmetry_extractor("v16")
    group, img = symmetry_eval.atoms_images(170, 7 + 1)[25]
    assert group == "cmm"
    new = ex.analyse([img])[0]
    assert new.symmetry == "cmm"
    assert new.cell_symmetry is not None and new.cell_symmetry.translation >= 0.9
    ex.cell_check = dataclasses.replace(ex.cell_check, supercells=False)
    fooled = ex.analyse([img])[0]
    assert fooled.cell_symmetry.translation < 0.9 and fooled.cell_symmetry.r2 > 0.95
    assert fooled.symmetry == "pmm"
