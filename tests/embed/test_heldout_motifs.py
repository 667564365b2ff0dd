"""The evaluation's held-out motif families (benchmarks/heldout_wallpaper.py): each image
has exactly its group's symmetry and only its cell's translations, so a model's miss on
them is the model's, not the generator's."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.groups import GROUPS, operations

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

# the families drawn as a motif of fractional coordinates ("tiled" and "styled" are built
# on the pixel array, their hexagonal groups from the "noise" motif)
OTHER_MOTIFS = [m for m in heldout.MOTIFS if m not in ("glyph", "tiled", "styled")] + ["noise"]
GRID = np.mgrid[0:12, 0:12].astype(float) / 12 + 0.013  # off the special points


group_sum = heldout._group_sum


@pytest.mark.parametrize("motif", OTHER_MOTIFS)
@pytest.mark.parametrize("group", GROUPS)
def test_each_operation_of_the_group_leaves_the_pattern_unchanged(motif: str, group: str
                                                                  ) -> None:
    field_of = heldout.motif_field(motif, group, np.random.default_rng(GROUPS.index(group)))
    pattern = group_sum(group, field_of, GRID)
    assert np.ptp(pattern) > 1e-3
    assert heldout.near_supergroup(group, field_of) < heldout.MAX_EXTRA
    for op in operations(group):
        m = np.array(op.matrix, dtype=float)
        t = np.array([float(x) for x in op.shift])
        moved = group_sum(group, field_of, np.einsum("ij,jhw->ihw", m, GRID) + t[:, None, None])
        assert np.allclose(moved, pattern, atol=1e-9 * np.ptp(pattern))


def test_a_motif_on_a_sublattice_is_drawn_again() -> None:
    """Plane waves whose k1 + k2 are all even repeat by (1/2, 1/2): a p2 label on that
    image would be a centred pattern's; such a draw is refused, as is one that nearly
    repeats so, and a generic one kept."""
    even = np.array([(1, 1, 1.0, 0.3), (2, 0, 0.5, 1.1), (1, -1, 0.7, 2.0), (0, 2, 0.4, 0.2)])
    assert not heldout._only_cell_translations("p2", lambda u: heldout.fourier(u, even))
    generic = np.vstack([even, [(1, 0, 0.6, 0.5)]])
    assert heldout._only_cell_translations("p2", lambda u: heldout.fourier(u, generic))
    # a weak wave breaking the half-cell repeat leaves it a near repeat (correlation 0.96)
    nearly = np.vstack([even, [(1, 0, 0.2, 0.5)]])
    assert not heldout._only_cell_translations("p2", lambda u: heldout.fourier(u, nearly))
    # the same half-cell repeat is the centred groups' own translation, so it is allowed
    assert heldout._only_cell_translations("cm", lambda u: heldout.fourier(u, even))


def test_a_motif_the_group_cancels_is_drawn_again() -> None:
    """pg's glide (-x, y + 1/2) turns the wave k = (0, 1) into its negative: the sum is
    flat, an image of nothing, and refused; for p1 the same wave is a pattern."""
    wave = np.array([(0, 1, 1.0, 0.4)])
    assert not heldout._only_cell_translations("pg", lambda u: heldout.fourier(u, wave))
    tilted = np.array([(0, 1, 1.0, 0.4), (1, 1, 0.5, 0.1), (1, 0, 0.3, 1.0)])
    assert heldout._only_cell_translations("p1", lambda u: heldout.fourier(u, tilted))


def test_a_pattern_that_is_in_effect_a_higher_group_is_recognised() -> None:
    """Two plane waves always share a centre of inversion: as p1 that pattern is a p2
    one, scored at 1; three waves with generic phases are not."""
    two = np.array([(1, 0, 1.0, 0.4), (0, 1, 0.8, 2.1)])
    assert heldout.near_supergroup("p1", lambda u: heldout.fourier(u, two)) > 0.99
    three = np.vstack([two, [(1, 1, 0.9, 0.7)]])
    assert heldout.near_supergroup("p1", lambda u: heldout.fourier(u, three)) < heldout.MAX_EXTRA


def test_glyph_images_are_drawn_as_before_and_other_families_differ() -> None:
    bins = ((8, 16),)
    glyphs = heldout.dataset(3, 5, bins)
    assert all(it["motif"] == "glyph" for it in glyphs)
    first = heldout.make(glyphs[0])
    legacy = dict(glyphs[0])
    del legacy["motif"]  # items written before the families existed
    assert np.array_equal(heldout.make(legacy), first)
    for motif in OTHER_MOTIFS:
        items = heldout.dataset(3, 5, bins, distort_frac=0.0, motif=motif)
        img = heldout.make(items[0])
        assert img.shape == first.shape and img.dtype == np.float32
        assert img.min() >= 0.0 and img.max() <= 1.0 + 1e-6  # clean: no noise added
        assert not np.allclose(img, first)


def test_an_unknown_family_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="unknown motif family 'stars'"):
        heldout.motif_field("stars", "p1", np.random.default_rng(0))
