"""The averaged cell's own symmetry (`symcat.embed.symmetry.cell_symmetry`)."""

from __future__ import annotations

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
    probs = np.full(len(GROUPS) + 1, 0.01)
    probs[GROUPS.index("pmm")] = 0.6
    probs[GROUPS.index("pm")] = 0.2
    probs /= probs.sum()
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
