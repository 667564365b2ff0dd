"""symcat_symmetry.v13 (draft): the averaged cell's search keeps aliases under 0.5 cycles
per pixel (`motif.Search.max_q`) and tries supercells up to index 9 (`harmonic_index`),
so a plane-wave motif whose strongest waves are harmonics keeps its own cell."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry import motif
from symcat.embed.symmetry.motif import Search, supercells_up_to

SYMMETRY = Path(__file__).resolve().parents[2] / "catalog" / "embed" / "symmetry"
V12_SEARCH = Search(supercell_gain=0.01, all_index_3=True)
V13_SEARCH = Search(supercell_gain=0.01, all_index_3=True, max_q=0.5, harmonic_index=9,
                    harmonic_min_r2=0.9)


def test_search_configs() -> None:
    v12 = json.loads((SYMMETRY / "weights_v12" / "config.json").read_text())
    v13 = json.loads((SYMMETRY / "weights_v13" / "config.json").read_text())
    assert Search.from_config(v12["motif"]["search"]) == V12_SEARCH  # v12 unchanged
    assert Search.from_config(v13["motif"]["search"]) == V13_SEARCH
    rest = {k: v for k, v in v13.items() if k not in ("name", "input", "recipe_from", "motif")}
    assert rest == {k: v for k, v in v12.items()
                    if k not in ("name", "input", "recipe_from", "motif")}


def test_supercells_up_to_lists_each_lattice_once() -> None:
    ms = supercells_up_to(9)
    sigma = {n: sum(d for d in range(1, n + 1) if n % d == 0) for n in range(2, 10)}
    index = [round(1 / abs(np.linalg.det(m))) for m in ms]
    assert {n: index.count(n) for n in sigma} == sigma
    keys = set()
    for m, n in zip(ms, index, strict=True):
        assert np.allclose(np.linalg.inv(m), np.round(np.linalg.inv(m)))  # contains Z^2
        keys.add((n, frozenset(tuple(int(x) for x in np.round((i * m[0] + j * m[1]) * n) % n)
                               for i in range(n) for j in range(n))))
    assert len(keys) == len(ms)


def harmonic_p4(edge: float, seed: int, size: int = 256, theta: float = 0.3) -> np.ndarray:
    """A p4 pattern of plane waves whose strongest orders are (1,2) and (-1,2): their
    pairs span a subcell of index 5."""
    rng = np.random.default_rng(seed)
    waves = [((1, 2), 0.30), ((-1, 2), -0.31), ((0, 3), -0.08), ((1, 3), -0.03),
             ((3, 1), -0.05), ((-1, 3), -0.05)]
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    c, s = math.cos(theta), math.sin(theta)
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(edge * np.array([[c, -s], [s, c]])),
                  np.stack([xx, yy]))
    img = np.zeros((size, size))
    for (k1, k2), amp in waves:
        phase = rng.uniform(0, 2 * math.pi)
        for r1, r2 in ((k1, k2), (-k2, k1), (-k1, -k2), (k2, -k1)):
            img += amp * np.cos(2 * math.pi * (r1 * u[0] + r2 * u[1]) + phase)
    return img


@pytest.mark.parametrize(("edge", "seed"), [(6.5, 1), (7.3, 1), (8.1, 0), (9.0, 2)])
def test_harmonic_subcell_is_lifted_to_the_cell(edge: float, seed: int) -> None:
    img = harmonic_p4(edge, seed)
    v12 = motif.estimate(img, 0.2, V12_SEARCH)
    v13 = motif.estimate(img, 0.2, V13_SEARCH)
    assert v12.period < 0.8 * edge  # v12 reads a subcell
    assert v13.period == pytest.approx(edge, rel=0.01)
    assert v13.r2 > 0.95 and v13.r2 > v12.r2 + 0.05


def test_v13_answers_the_planted_group_where_v12_reads_a_subcell() -> None:
    from symcat.embed.registry import available
    from symcat.embed.symmetry.extract import SymmetryExtractor

    if not (available("symcat_symmetry.v12") and available("symcat_symmetry.v13")):
        pytest.skip("symmetry weights are not installed")
    cases = [(6.5, 1), (7.3, 1), (8.1, 0), (9.0, 2)]
    imgs = [harmonic_p4(edge, seed) for edge, seed in cases]
    imgs = [(i - i.min()) / (i.max() - i.min()) for i in imgs]
    v12 = SymmetryExtractor(SYMMETRY / "weights_v12").analyse(imgs, workers=2)
    v13 = SymmetryExtractor(SYMMETRY / "weights_v13").analyse(imgs, workers=2)
    for (edge, _), new in zip(cases, v13, strict=True):
        assert new.symmetry == "p4" and new.p > 0.9
        assert new.lattice.found
        assert sorted(new.lattice.periods) == pytest.approx([edge, edge], rel=0.02)
    assert sum(old.symmetry == "p4" for old in v12) <= 1  # v12 misses them
