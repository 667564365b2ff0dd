"""The averaged cell's own symmetry (`symcat.embed.symmetry.cell_symmetry`)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from symcat.embed.symmetry import cell_symmetry as cs
from symcat.embed.symmetry.groups import GROUPS, LATTICE
from training.symmetry.generate import symmetrize

N = 24


def symmetrised(group: str, seed: int, shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """A smooth random cell (N x N bins, fractional coordinates of the conventional cell)
    averaged over ``group``'s operations, then moved by ``shift`` bins (the check must
    not care where the symmetry elements sit)."""
    f = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=(N, N)), 0.7,
                                mode="wrap")
    out = symmetrize(torch.from_numpy(f)[None], torch.tensor([GROUPS.index(group)]))[0]
    return np.roll(out.numpy(), shift, axis=(0, 1))


def reciprocal(kind: str, edge: float = 20.0, turn_deg: float = 0.0,
               shear: float = 0.0) -> np.ndarray:
    """Reciprocal rows of a conventional cell of lattice ``kind``, turned and sheared."""
    b = {"oblique": ((1.0, 0.0), (0.3, 1.1)), "rectangular": ((1.0, 0.0), (0.0, 1.6)),
         "centred": ((1.0, 0.0), (0.0, 1.6)), "square": ((1.0, 0.0), (0.0, 1.0)),
         "hexagonal": ((1.0, 0.0), (-0.5, math.sqrt(3) / 2))}[kind]
    a = np.array(b).T * edge  # columns: the cell vectors
    t = math.radians(turn_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    a = np.array([[1.0, shear], [0.0, 1.0]]) @ rot @ a
    return np.linalg.inv(a)


def probabilities(**by_group: float) -> np.ndarray:
    """17 groups then "none": the groups named get their value, every other 0.01,
    normalised."""
    probs = np.full(len(GROUPS) + 1, 0.01)
    for group, p in by_group.items():
        probs[GROUPS.index(group)] = p
    return probs / probs.sum()


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("turn", [0.0, 37.0])
def test_a_group_supports_itself_and_not_a_higher_group(group: str, turn: float) -> None:
    cell = symmetrised(group, seed=GROUPS.index(group), shift=(5, 11))
    found = cs.measure(cell, reciprocal(LATTICE[group], turn_deg=turn))
    assert found.support(group) > 0.97, (group, found)
    # every group whose point operations go beyond the pattern's is contradicted
    needs = (cs.ROTATION_ORDER[group], cs.MIRROR_DIRECTIONS[group])
    for other in GROUPS:
        more_rotation = cs.ROTATION_ORDER[other] > needs[0] and \
            cs.ROTATION_ORDER[other] % max(needs[0], 1) == 0
        more_mirrors = cs.MIRROR_DIRECTIONS[other] > needs[1]
        s = found.support(other)
        if (more_rotation or more_mirrors) and not math.isnan(s):
            assert s < 0.9, (group, other, s)


def test_lattice_metric_decides_what_is_admitted() -> None:
    rot, mir = cs.admitted(reciprocal("square", turn_deg=20.0))
    assert sorted(rot) == [2, 4] and len(mir) == 4
    rot, mir = cs.admitted(reciprocal("hexagonal", turn_deg=-50.0))
    assert sorted(rot) == [2, 3, 6] and len(mir) == 6
    rot, mir = cs.admitted(reciprocal("rectangular"))
    assert sorted(rot) == [2] and len(mir) == 2
    rot, mir = cs.admitted(reciprocal("oblique"))
    assert sorted(rot) == [2] and mir == []


def test_a_distorted_square_lattice_still_admits_its_quarter_turn() -> None:
    rot, _ = cs.admitted(reciprocal("square", shear=0.06), tol=0.2)
    assert 4 in rot
    rot, _ = cs.admitted(reciprocal("square", shear=0.4), tol=0.2)
    assert 4 not in rot


def test_support_is_nan_where_the_lattice_cannot_hold_the_group() -> None:
    found = cs.measure(symmetrised("p4m", seed=3), reciprocal("square"))
    assert math.isnan(found.support("p6")) and math.isnan(found.support("p3m1"))
    assert found.support("p1") == 1.0


def test_the_check_moves_probability_off_contradicted_groups_only() -> None:
    found = cs.measure(symmetrised("pm", seed=4), reciprocal("rectangular"), r2=0.97)
    probs = probabilities(pmm=0.6, pm=0.2)
    assert np.array_equal(cs.CellCheck(min_support=None).adjust(probs, found), probs)
    out = cs.CellCheck(min_support=0.9).adjust(probs, found)
    assert out[GROUPS.index("pmm")] == 0.0 and out.argmax() == GROUPS.index("pm")
    assert math.isclose(out.sum(), 1.0)
    # groups the lattice cannot hold (NaN) keep theirs; nothing measured: unchanged
    assert out[GROUPS.index("p6")] > 0
    assert np.array_equal(cs.CellCheck(min_support=0.9).adjust(probs, None), probs)
    # a cell that explains too little of its scan is not trusted
    smeared = cs.measure(symmetrised("pm", seed=4), reciprocal("rectangular"), r2=0.9)
    assert np.array_equal(cs.CellCheck(min_support=0.9).adjust(probs, smeared), probs)


def test_a_supercell_is_not_trusted() -> None:
    """A pmm pattern averaged on a doubled cell: the doubled basis need not carry the
    pattern's operations, and the half-cell translation gives it away."""
    cell = symmetrised("pmm", seed=5)
    double = np.concatenate([cell[::2], cell[::2]])  # two cells of 12 x 24 bins
    found = cs.measure(double, reciprocal("rectangular"), r2=0.99)
    assert found.translation > 0.95
    assert cs.measure(cell, reciprocal("rectangular"), r2=0.99).translation < 0.9
    assert not cs.CellCheck(min_support=0.9).trusts(found)


def test_a_flat_cell_measures_nothing() -> None:
    found = cs.measure(np.ones((N, N)), reciprocal("square"))
    assert all(math.isnan(v) for v in found.rotations.values()) and found.mirrors == ()


def primitive_centred(group: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A cm or cmm cell resampled onto the primitive (rhombic) cell, as the lattice search
    finds it, and that cell's reciprocal rows: the conventional cell's vectors a, b give
    the primitive (a + b) / 2, (a - b) / 2 (|b| = 1.3 |a|: a rhombus of 75 degrees,
    which admits no rotation beyond the half turn; `reciprocal`'s 1.6 is nearly
    hexagonal once primitive)."""
    conventional = symmetrised(group, seed)
    i, j = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    coords = np.stack([(i + j) / 2.0, (i - j) / 2.0])  # conventional bins
    cell = ndimage.map_coordinates(conventional, coords, order=3, mode="grid-wrap")
    t = math.radians(25.0)
    a = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]]) @ np.diag(
        [20.0, 26.0])
    return cell, np.linalg.inv(a @ np.array([[0.5, 0.5], [0.5, -0.5]]))


@pytest.mark.parametrize("turn", [0.0, 25.0])
def test_mirror_index_tells_a_primitive_rectangular_lattice_from_a_centred_one(
        turn: float) -> None:
    def kinds(rec: np.ndarray) -> list[int]:
        return sorted(cs.mirror_index(m) for _, m in cs.admitted(rec)[1])

    assert kinds(reciprocal("rectangular", turn_deg=turn)) == [1, 1]
    _, rhombic = primitive_centred("cm", seed=1)
    assert kinds(rhombic) == [2, 2]
    assert kinds(reciprocal("square", turn_deg=turn)) == [1, 1, 2, 2]
    assert kinds(reciprocal("hexagonal", turn_deg=turn)) == [2] * 6
    assert cs.mirror_index(np.array([[0.0, 1.0], [-1.0, 0.0]])) == 0  # a rotation


@pytest.mark.parametrize("group", ["pm", "pg", "pmm", "pmg", "pgg", "cm", "cmm"])
def test_centring_contradicts_the_other_kind_of_rectangular_group(group: str) -> None:
    """Point operations alone cannot tell pmm from cmm, nor pm from cm: on a lattice
    that admits only one kind of mirror, the other kind's groups are contradicted."""
    if group.startswith("c"):
        cell, rec = primitive_centred(group, seed=GROUPS.index(group))
        others = ["pm", "pg", "pmm", "pmg", "pgg"]
    else:
        cell = symmetrised(group, seed=GROUPS.index(group), shift=(3, 7))
        rec = reciprocal("rectangular", turn_deg=25.0)
        others = ["cm", "cmm"]
    found = cs.measure(cell, rec, r2=0.99)
    assert found.support(group, centring=True) > 0.97, (group, found)
    assert found.support(group) > 0.97
    for other in others:
        assert found.support(other, centring=True) == -1.0, (group, other)
    same_mirrors = [g for g in others if cs.MIRROR_DIRECTIONS[g] ==
                    cs.MIRROR_DIRECTIONS[group] and cs.ROTATION_ORDER[g] ==
                    cs.ROTATION_ORDER[group]]
    # without the kind, the mirror-for-mirror twin is supported: what centring adds
    assert any(found.support(g) > 0.97 for g in same_mirrors), (group, found)


def test_centring_leaves_a_lattice_without_mirrors_to_the_network() -> None:
    found = cs.measure(symmetrised("p2", seed=6), reciprocal("oblique"), r2=0.99)
    assert math.isnan(found.support("pm", centring=True))
    assert math.isnan(found.support("cmm", centring=True))


def test_the_check_reads_centring_from_config_and_moves_cmm_to_pmm() -> None:
    found = cs.measure(symmetrised("pmm", seed=8), reciprocal("rectangular"), r2=0.97)
    probs = probabilities(cmm=0.7, pmm=0.2)
    cfg = {"tol": 0.2, "min_support": 0.9, "min_r2": 0.95, "max_translation": 0.9}
    assert cs.CellCheck.from_config(cfg).adjust(probs, found).argmax() == GROUPS.index("cmm")
    check = cs.CellCheck.from_config(cfg | {"centring": True})
    assert check.centring
    assert check.adjust(probs, found).argmax() == GROUPS.index("pmm")


def test_judging_the_lattice_contradicts_what_it_cannot_hold_on_trusted_cells_only() -> None:
    """A trusted p2 cell on a rectangular lattice: p4 needs a quarter turn the lattice
    does not admit (NaN support). v14's check leaves p4 to the network; judge_lattice
    takes its probability, but not where the cell is not trusted."""
    found = cs.measure(symmetrised("p2", seed=9), reciprocal("rectangular"), r2=0.97)
    assert math.isnan(found.support("p4"))
    probs = probabilities(p4=0.6, p2=0.3)
    assert cs.CellCheck(min_support=0.9).adjust(probs, found).argmax() == GROUPS.index("p4")
    judged = cs.CellCheck(min_support=0.9, judge_lattice=True).adjust(probs, found)
    assert judged[GROUPS.index("p4")] == 0.0 and judged.argmax() == GROUPS.index("p2")
    smeared = cs.measure(symmetrised("p2", seed=9), reciprocal("rectangular"), r2=0.9)
    assert np.array_equal(cs.CellCheck(min_support=0.9, judge_lattice=True).adjust(
        probs, smeared), probs)


@pytest.mark.parametrize("group", ["pm", "pg", "pmm", "pmg", "pgg"])
@pytest.mark.parametrize("turn", [0.0, 25.0])
def test_glides_tell_a_mirror_from_a_glide_along_a_rectangular_cells_edges(
        group: str, turn: float) -> None:
    """Point operations alone cannot tell pm from pg (both reflect the pattern onto
    itself, one with half a cell's step); twice applied, a mirror is an even lattice step
    along its axis and a glide an odd one. Only the group's own letters are supported."""
    cell = symmetrised(group, seed=GROUPS.index(group) + 20, shift=(5, 9))
    rec = reciprocal("rectangular", turn_deg=turn)
    found = cs.measure(cell, rec, r2=0.99)
    # split by parity, nothing is lost: the better of the two is v16's correlation
    for _, m in cs.admitted(rec)[1]:
        assert max(cs.mirror_and_glide(cell, m)) == pytest.approx(
            cs.best_correlation(cell, cs._moved(cell, m)), abs=1e-12)
    assert found.support(group, centring=True, glides=True) > 0.97, (group, found)
    twins = {"pm": ["pg"], "pg": ["pm"], "pmm": ["pmg", "pgg"], "pmg": ["pmm", "pgg"],
             "pgg": ["pmm", "pmg"]}[group]
    for other in twins:
        assert found.support(other, centring=True) > 0.97  # what glides adds:
        assert found.support(other, centring=True, glides=True) < 0.9, (group, other)


def test_glides_leave_the_square_and_centred_groups_as_centring_has_them() -> None:
    """p4m and p4g are left out (a p4g pattern that nearly repeats on half a cell looks
    like a mirror along the edges), and a centred cell has both along every mirror."""
    square = cs.measure(symmetrised("p4g", seed=3), reciprocal("square"), r2=0.99)
    assert square.support("p4g", centring=True, glides=True) == \
        square.support("p4g", centring=True)
    cell, rec = primitive_centred("cmm", seed=4)
    found = cs.measure(cell, rec, r2=0.99)
    assert found.support("cmm", centring=True, glides=True) == \
        found.support("cmm", centring=True) > 0.97


def test_a_band_cell_has_its_own_trust_bar_and_its_lattice_is_not_judged() -> None:
    """A cell measured on a band of lines (a drifting scan) is trusted from
    ``band_min_r2``, not ``min_r2``; and as its lattice is sheared by the drift, the
    groups that lattice cannot hold are not contradicted for it."""
    found = cs.measure(symmetrised("p2", seed=9), reciprocal("rectangular"), r2=0.88)
    band = dataclasses.replace(found, band=True)
    check = cs.CellCheck(min_support=0.9, judge_lattice=True, band_min_r2=0.85)
    assert not check.trusts(found) and check.trusts(band)
    assert not cs.CellCheck(min_support=0.9).trusts(band)  # no bar: never trusted
    probs = probabilities(p4=0.6, p2=0.3)
    assert check.adjust(probs, band).argmax() == GROUPS.index("p4")  # not judged
    assert check.adjust(probs, dataclasses.replace(found, r2=0.97)).argmax() == \
        GROUPS.index("p2")
    assert cs.CellCheck.from_config({"min_support": 0.9, "band_min_r2": 0.85,
                                     "band_gain": 0.05, "band_tol": 0.3, "rescue": 0.2,
                                     "rescue_min_px": 4, "glides": True, "refit": True}) == \
        cs.CellCheck(min_support=0.9, band_min_r2=0.85, band_gain=0.05, band_tol=0.3,
                     rescue=0.2, rescue_min_px=4.0, glides=True, refit=True)
