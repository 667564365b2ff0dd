"""Training's ``lines`` motif family (symcat_symmetry.v7's data): thin lines that keep
their plane group exactly, and opt-in, so earlier versions' training data is unchanged."""

from __future__ import annotations

import pytest
import torch

from symcat.embed.symmetry.groups import GROUPS
from tests.embed.test_wallpaper_symmetry import EXPECTED, _field_error
from training.symmetry.generate import (
    WallpaperBatch,
    noise_motif,
    pixel_centres,
    sample_field,
    sample_lattices,
    symmetrize,
)
from training.symmetry.small_views import small_cell_batch
from training.symmetry.widen import ALL_FAMILIES, FAMILIES, NONE_INDEX, contour_lines


def _lines(group: str, n: int = 4) -> WallpaperBatch:
    g = torch.Generator().manual_seed(GROUPS.index(group))
    labels = torch.full((n,), GROUPS.index(group), dtype=torch.long)
    basis = sample_lattices(labels, g, 18.0, 40.0)
    field = contour_lines(basis, labels, g)
    origin = torch.rand(n, 2, generator=g) * 96
    return WallpaperBatch(torch.empty(0), labels, basis, origin, field)


@pytest.mark.parametrize("group", ["pg", "cm", "pgg", "p4g", "p3m1", "p31m", "p6"])
def test_lines_keep_the_groups_operations_and_no_others(group: str) -> None:
    batch = _lines(group)
    present, absent = EXPECTED[group]
    # Thin lines read out bilinearly through a sheared grid differ more than smooth
    # noise under a symmetry operation, still far below a missing operation's difference.
    assert max(float(_field_error(batch, op).max()) for op in present) < 0.15
    assert min(float(_field_error(batch, op).median()) for op in absent) > 0.5


def test_lines_are_thin() -> None:
    """Most of a cell is background: a line covers a small share of the motif grid."""
    field = _lines("p1", n=16).field
    dark = field.mean((1, 2)) > 0.5
    on_line = torch.where(dark[:, None, None], field < 0.5, field > 0.5).float().mean((1, 2))
    assert float(on_line.median()) < 0.25


def _aliasing(field: torch.Tensor, basis: torch.Tensor, side: int = 48) -> float:
    """Relative RMS difference between the pattern read at pixel centres and averaged
    over 4 x 4 points in each pixel: near 0 for detail a pixel resolves."""
    n = field.shape[0]
    origin = torch.zeros(n, 2)
    centres = pixel_centres(side, "cpu")[None].expand(n, -1, -1)
    point = sample_field(field, basis, origin, centres)
    offsets = (torch.arange(4) + 0.5) / 4 - 0.5
    mean = torch.stack([sample_field(field, basis, origin, centres + torch.tensor([dx, dy]))
                        for dx in offsets for dy in offsets]).mean(0)
    return float(((point - mean).pow(2).mean(1).sqrt() / point.std(1)).median())


def test_small_cells_of_lines_alias_where_noise_does_not() -> None:
    """At cells of 4-6 px the lines fall under a pixel, so point sampling aliases them
    (as a generator that point-samples does); the noise family is band-limited at
    1.5 px and does not."""
    g = torch.Generator().manual_seed(3)
    labels = torch.randint(0, NONE_INDEX, (16,), generator=g)
    basis = sample_lattices(labels, g, 4.0, 6.0)
    lines = _aliasing(contour_lines(basis, labels, g), basis)
    noise = _aliasing(symmetrize(noise_motif(basis, 64, g), labels), basis)
    assert lines > 0.6 and noise < 0.3, (lines, noise)  # measured 0.90 and 0.20


def test_families_are_opt_in() -> None:
    """The default draws the same batch as before ``families`` existed (v2-v6's data)."""
    assert "lines" not in FAMILIES and set(FAMILIES) < set(ALL_FAMILIES)
    a = small_cell_batch(24, torch.Generator().manual_seed(5), "cpu")
    b = small_cell_batch(24, torch.Generator().manual_seed(5), "cpu", families=FAMILIES)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    x, y = small_cell_batch(24, torch.Generator().manual_seed(5), "cpu", families=ALL_FAMILIES)
    assert x.shape[0] == 24 and x.shape[-1] in (223, 224)
    assert int(y.min()) >= 0 and int(y.max()) <= NONE_INDEX
    assert bool(torch.isfinite(x).all())
