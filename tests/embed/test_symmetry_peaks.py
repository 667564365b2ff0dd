"""Supercells proposed by unindexed spectrum peaks (`motif.unindexed_supercells`,
symcat_symmetry.v13): a smooth motif whose strongest waves are harmonics spans a subcell
of index 4-6, which the index-2 and -3 supercells of v10-v12's search do not reach."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry import motif
from symcat.embed.symmetry.extract import WEIGHTS_V12_DIR, WEIGHTS_V13_DIR
from symcat.embed.symmetry.motif import Search, _integer_basis, unindexed_supercells

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_symmetry_motif import dots  # noqa: E402
from test_symmetry_motif_search import V10_SEARCH, recipe_configs  # noqa: E402

V13_SEARCH = Search(supercell_gain=0.01, all_index_3=True, peak_supercells=True)


@pytest.mark.parametrize(("vectors", "index"), [
    ([(2, 0), (0, 2), (1, 1)], 2),  # the centred lattice
    ([(5, 0), (0, 5), (2, 1)], 5),
    ([(3, 0), (0, 3), (1, 0)], 3),
    ([(6, 0), (0, 6), (2, 4)], 12),  # (6, 0) = 3 (2, 4) - 2 (0, 6)
])
def test_integer_basis_spans_the_same_lattice(vectors, index):
    basis = _integer_basis(vectors)
    assert round(abs(np.linalg.det(basis))) == index
    for v in vectors:  # each vector is an integer combination of the basis rows
        c = np.linalg.solve(basis.T, np.array(v, dtype=float))
        assert np.allclose(c, np.round(c))
    for row in basis:  # and each row is one of the vectors' (their lattice, no finer)
        c = np.linalg.lstsq(np.array(vectors, dtype=float).T, row, rcond=None)[0]
        assert np.allclose(np.array(vectors, dtype=float).T @ c, row)


def test_a_peak_at_a_fraction_of_the_cell_proposes_the_lattice_that_indexes_it():
    rec = np.array([[0.1, 0.0], [0.0, 0.1]])
    peaks = [np.array([0.1, 0.0]),  # indexed: nothing
             np.array([0.05, 0.05]),  # (1/2, 1/2): the centred cell's lattice
             np.array([0.04, 0.02]),  # (2/5, 1/5): an index-5 supercell
             np.array([0.1 * math.sqrt(2) / 3, 0.1 * math.pi / 7])]  # no fraction up to 1/6
    found = unindexed_supercells(rec, peaks)
    assert len(found) == 2
    centred, five = (m @ rec for m in found)
    # a finer reciprocal lattice: the cell is twice and five times as large
    assert math.isclose(abs(np.linalg.det(rec)) / abs(np.linalg.det(centred)), 2.0)
    assert math.isclose(abs(np.linalg.det(rec)) / abs(np.linalg.det(five)), 5.0)
    for peak, lattice in ((peaks[1], centred), (peaks[2], five)):
        hk = peak @ np.linalg.inv(lattice)
        assert np.allclose(hk, np.round(hk))  # the new lattice indexes the peak
        hk = peaks[0] @ np.linalg.inv(lattice)
        assert np.allclose(hk, np.round(hk))  # and keeps indexing the old ones
    assert unindexed_supercells(np.zeros((2, 2)), peaks) == []


def harmonic_scan(waves: list[tuple], edge: float, angle: float, size: int = 256,
                  seed: int = 0) -> tuple[np.ndarray, float]:
    """A p1 plane-wave pattern of square cells of `edge` px and its cell's area."""
    c, s = math.cos(angle), math.sin(angle)
    basis = np.array([[c, -s], [s, c]]) @ np.diag([edge, edge])
    yy, xx = np.mgrid[0:size, 0:size].astype(float) + 0.5
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(basis), np.stack([xx, yy]))
    f = heldout.fourier(u, np.array(waves, dtype=float))
    f = (f - f.min()) / np.ptp(f)
    return f + np.random.default_rng(seed).normal(0, 0.02, f.shape), edge * edge


# strong waves spanning a subcell of index 5 (and 6), weak ones at the cell's own period
INDEX_5 = [(2, 1, 1.0, 0.3), (-1, 2, 0.9, 1.2), (1, 0, 0.2, 2.0), (0, 1, 0.15, 0.7)]
INDEX_6 = [(3, 0, 1.0, 0.3), (0, 2, 0.9, 1.2), (1, 1, 0.2, 2.0), (1, 0, 0.2, 0.7)]


@pytest.mark.parametrize("waves", [INDEX_5, INDEX_6], ids=["index 5", "index 6"])
@pytest.mark.parametrize(("edge", "angle"), [(9.0, 0.4), (11.0, 0.4)])
def test_harmonics_hide_the_cell_from_v12s_search_not_from_v13s(waves, edge, angle):
    """Not always: where the weak waves of the cell's own period add under 0.01 of R^2
    over the subcell (coarser bins of a 5-6x larger cell eat the rest), or the subcell
    found is of index over 6, v13 keeps the subcell too (at 10 px and 0 degrees here)."""
    img, area = harmonic_scan(waves, edge, angle)
    old = motif.estimate(img, search=V10_SEARCH)  # v12's search (v10's numbers)
    new = motif.estimate(img, search=V13_SEARCH)
    assert old.found and new.found
    old_area = 1 / abs(np.linalg.det(old.reciprocal))
    new_area = 1 / abs(np.linalg.det(new.reciprocal))
    assert old_area < 0.25 * area  # a subcell of index 5 or 6
    assert new_area == pytest.approx(area, rel=0.01)
    assert new.r2 > old.r2


@pytest.mark.parametrize(("edge", "angle"), [(4.7, 17.0), (6.3, 60.0), (9.1, 33.0)])
def test_a_cell_without_unindexed_peaks_is_kept(edge, angle):
    img, vectors = dots(256, edge, angle)
    old = motif.estimate(img, search=V10_SEARCH)
    new = motif.estimate(img, search=V13_SEARCH)
    assert np.allclose(new.reciprocal, old.reciprocal) and new.r2 == old.r2


def test_v13_config_is_v12s_with_peak_supercells():
    v12, v13 = recipe_configs(WEIGHTS_V12_DIR, WEIGHTS_V13_DIR)
    search = v13["motif"].pop("search")
    assert search.pop("peak_supercells") is True
    assert search == v12["motif"].pop("search")
    assert v13["motif"] == v12["motif"]
    assert Search.from_config(v12["motif"].get("search", {})).peak_supercells is False
