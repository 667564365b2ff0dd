"""Training's ``waves`` motif family (symcat_symmetry.v15's data): a few plane waves of the
cell that keep their plane group exactly, whose labels stay the pattern's own (draws too
close to a higher group or a smaller cell are redrawn, near-supergroups are kept), and
opt-in, so earlier versions' training data is unchanged."""

from __future__ import annotations

import pytest
import torch

from symcat.embed.symmetry.groups import GROUPS
from tests.embed.test_wallpaper_symmetry import EXPECTED, _field_error
from training.symmetry.generate import WallpaperBatch, sample_lattices
from training.symmetry.purity import extra_symmetry
from training.symmetry.widen import (
    ALL_FAMILIES,
    FAMILIES,
    NONE_INDEX,
    WAVES_PURE_BELOW,
    plane_waves,
    smaller_cell,
    widened_batch,
)


def _waves(group: str, n: int = 6, seed: int = 0) -> WallpaperBatch:
    g = torch.Generator().manual_seed(seed + GROUPS.index(group))
    labels = torch.full((n,), GROUPS.index(group), dtype=torch.long)
    basis = sample_lattices(labels, g, 18.0, 40.0)
    field = plane_waves(basis, labels, g)
    origin = torch.rand(n, 2, generator=g) * 96
    return WallpaperBatch(torch.empty(0), labels, basis, origin, field)


@pytest.mark.parametrize("group", GROUPS)
def test_waves_keep_the_groups_operations_and_no_others(group: str) -> None:
    batch = _waves(group)
    present, absent = EXPECTED[group]
    assert max(float(_field_error(batch, op).max()) for op in present) < 0.06
    # Near-supergroups are kept, so a missing operation can come close, but never closer
    # than the purity bar: correlation under 0.97 is a relative RMS difference over
    # sqrt(2 * 0.03) = 0.245 (0.2 leaves room for the bilinear read-out).
    assert min(float(_field_error(batch, op).min()) for op in absent) > 0.2


def test_labels_are_the_patterns_own_and_near_supergroups_stay() -> None:
    """Every draw is under the bar for extra point operations and smaller cells; a good
    share of the groups that can come near a higher one do (what the family teaches)."""
    g = torch.Generator().manual_seed(11)
    labels = torch.tensor([GROUPS.index(x) for x in ("p1", "pm", "cm", "p4", "p3", "p6")]
                          ).repeat(8)
    field = plane_waves(sample_lattices(labels, g, 18.0, 60.0), labels, g)
    extra = extra_symmetry(field, labels)
    assert float(extra.max()) < WAVES_PURE_BELOW
    assert float(smaller_cell(field, labels).max()) < WAVES_PURE_BELOW
    assert float((extra >= 0.8).float().mean()) > 0.25  # measured 0.43-0.73 per group
    assert bool((field.std((1, 2)) > 0.1).all())


def test_smaller_cell_finds_a_subcell_but_not_the_centring() -> None:
    r = 64
    u = torch.arange(r, dtype=torch.float32) / r
    u1, u2 = torch.meshgrid(u, u, indexing="ij")
    half = torch.cos(2 * torch.pi * (2 * u1 + 4 * u2)) + 0.5 * torch.sin(4 * torch.pi * u2)
    one = (torch.cos(2 * torch.pi * (u1 + u2)) + torch.cos(2 * torch.pi * (u1 - u2) + 1)
           + 0.5 * torch.cos(4 * torch.pi * u1 + 2))  # waves with h + k even only
    p1, cm = GROUPS.index("p1"), GROUPS.index("cm")
    score = smaller_cell(torch.stack([half, one, one]), torch.tensor([p1, p1, cm]))
    # half repeats on (1/2, 0); one is invariant under cm's centring (1/2, 1/2) only
    assert score[0] > 0.999 and score[1] > 0.999 and score[2] < 0.7, score  # 0.62


def test_waves_are_opt_in() -> None:
    assert "waves" not in FAMILIES and "waves" in ALL_FAMILIES
    fams = (*FAMILIES, "waves")
    x, y = widened_batch(20, torch.Generator().manual_seed(3), "cpu", families=fams)
    assert x.shape[0] == 20 and bool(torch.isfinite(x).all())
    assert int(y.min()) >= 0 and int(y.max()) <= NONE_INDEX
