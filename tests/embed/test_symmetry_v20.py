"""symcat_symmetry.v20: small averaged cells give way to the autocorrelation's lattice
on scans that repeat on whole pixels; and the evaluation's "tiled" family, built as many
public generators build wallpapers (benchmarks/heldout_wallpaper.tiled)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.extract import MotifRule
from symcat.embed.symmetry.groups import GROUPS, HOLOHEDRY, LATTICE, operations
from symcat.embed.symmetry.lattice import FineSearch, estimate

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
sys.path.insert(0, str(ROOT / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

V20 = json.loads((SYMMETRY / "weights_v20" / "config.json").read_text())
PIXEL_GROUPS = [g for g in GROUPS if LATTICE[g] != "hexagonal"]


@pytest.mark.parametrize("group", PIXEL_GROUPS)
def test_each_pixel_cell_has_exactly_its_groups_operations(group: str) -> None:
    """`PIXEL_CELLS` builds each cell by flipping, turning and rolling the array, without
    the operation table; every operation the table gives the group leaves the cell as it
    is, and no other operation of its lattice (with any half-cell shift) does."""
    rng = np.random.default_rng(GROUPS.index(group))
    h, w = (20, 20) if LATTICE[group] == "square" else (16, 24)
    cell = heldout.PIXEL_CELLS[group](heldout.smooth_noise(h, w, 1.5, rng))
    own = {op.matrix for op in operations(group)}
    for op in operations(group):
        assert np.allclose(heldout.pixel_moved(cell, op.matrix, op.shift), cell), (group, op)
    halves = [(sx, sy) for sx in (0, 0.5) for sy in (0, 0.5)]
    for op in operations(HOLOHEDRY[LATTICE[group]]):
        if op.matrix in own:
            continue
        for shift in halves:
            assert not np.allclose(heldout.pixel_moved(cell, op.matrix, shift), cell,
                                   atol=1e-3), \
                (group, op.matrix, shift)


def test_a_pixel_cell_near_a_higher_group_or_a_smaller_cell_is_measured_so() -> None:
    """`pixel_extra` scores a p4 cell that also has p4m's mirrors, or repeats by half its
    diagonal, at 1 (`tiled` draws such a cell again); a generic p4 cell lower; cmm's own
    centring does not count."""
    rng = np.random.default_rng(0)
    generic = heldout.PIXEL_CELLS["p4"](heldout.smooth_noise(24, 24, 1.0, rng))
    assert heldout.pixel_extra("p4", generic) < heldout.MAX_EXTRA
    mirrored = heldout.PIXEL_CELLS["p4m"](heldout.smooth_noise(24, 24, 1.0, rng))
    assert heldout.pixel_extra("p4", mirrored) == pytest.approx(1.0)
    half = heldout.PIXEL_CELLS["p4"](heldout.smooth_noise(24, 24, 1.0, rng))
    half = half + np.roll(half, (12, 12), axis=(0, 1))
    assert heldout.pixel_extra("p4", half) == pytest.approx(1.0)
    centred = heldout.PIXEL_CELLS["cmm"](heldout.smooth_noise(16, 24, 1.0, rng))
    assert heldout.pixel_extra("cmm", centred) < heldout.MAX_EXTRA


def test_tiled_scans_repeat_on_their_whole_pixel_cell() -> None:
    """A tiled scan (a p2 of seed 7, 8-16 cells) repeats exactly by its cell's whole
    pixels and is scaled to [0, 1]."""
    items = heldout.dataset(2, 7, ((8, 16),), motif="tiled")
    item = next(it for it in items if it["group"] == "p2")
    img = heldout.make(item)
    edge = heldout.tiled_edge(item["size"], item["cells"])
    assert img.min() == 0.0 and img.max() == pytest.approx(1.0)
    assert img.shape == (item["size"], item["size"])
    # p2's cell is rectangular: one edge `edge`, along x or y
    periodic = [np.allclose(img[:, p:], img[:, :-p]) for p in range(4, edge + 1)] + \
               [np.allclose(img[p:], img[:-p]) for p in range(4, edge + 1)]
    assert any(periodic)


def test_a_cell_too_small_for_its_group_grows() -> None:
    """A 4 px pgg cell of smoothed noise is nearly always a higher group's (its glides
    leave a handful of free pixels); `tiled` grows it rather than fail (seed 41 of the
    evaluation found none in 50 draws)."""
    rng = np.random.default_rng(0)
    failed = sum(heldout.pixel_extra("pgg", heldout.PIXEL_CELLS["pgg"](
        heldout.smooth_noise(4, 4, 1.2, rng))) >= heldout.MAX_EXTRA for _ in range(50))
    assert failed >= 45
    img = heldout.tiled("pgg", 192, 48.0, np.random.default_rng(1), False)
    assert img.shape == (192, 192) and np.isfinite(img).all()


def tiled_p4(edge: int = 22, size: int = 256) -> np.ndarray:
    """A p4 scan tiled from a 22 px cell of smoothed noise (as `heldout.tiled` makes one)."""
    rng = np.random.default_rng(3)
    cell = heldout.PIXEL_CELLS["p4"](heldout.smooth_noise(edge, edge, 1.5, rng))
    img = np.tile(cell, (size // edge + 1, size // edge + 1))[:size, :size]
    return ((img - img.min()) / np.ptp(img)).astype(np.float32)


def model_lattice(img: np.ndarray):
    return estimate(img, V20["lattice"]["max_aspect"], FineSearch(**V20["lattice"]["fine"]))


def test_a_tiled_scans_small_scrambled_cell_gives_way_to_its_own() -> None:
    """On the tiled p4 the averaged-cell search takes a lattice of under 12 px whose cell
    explains the scan exactly as well as the true 22 px cell (each pixel value in a bin
    of its own); v20's rule gives way to the autocorrelation's 22 px lattice, v19's
    does not."""
    img = tiled_p4()
    rule = MotifRule.from_config(V20["motif"])
    cell = rule.estimate(img)
    assert cell.found and cell.period < 12 and cell.r2 > 0.99
    lat = model_lattice(img)
    assert lat.found and np.allclose(sorted(lat.periods), [22, 22], atol=0.2)
    assert rule.yields_to(img, lat, cell)
    v19 = MotifRule.from_config(
        json.loads((SYMMETRY / "weights_v19" / "config.json").read_text())["motif"])
    assert v19.lattice_tie is None and not v19.yields_to(img, lat, cell)


def test_a_true_small_cell_keeps_its_place() -> None:
    """A held-out glyph scan of small cells at a random angle (seed 5, 16-50 cells): its
    averaged cell is read as before, where the autocorrelation's lattice is one of its
    supercells or is itself small."""
    rule = MotifRule.from_config(V20["motif"])
    kept = 0
    for item in heldout.dataset(17, 5, ((16, 50),)):
        if item["distort"]:
            continue
        img = heldout.make(item)
        cell = rule.estimate(img)
        if not (cell.found and cell.period < 12 and cell.r2 >= rule.min_r2):
            continue
        assert not rule.yields_to(img, model_lattice(img), cell), item
        kept += 1
    assert kept >= 3


def test_v20_reads_the_tiled_p4_as_p4_where_v19_does_not(symmetry_extractor) -> None:
    img = tiled_p4()
    v19, v20 = (symmetry_extractor(v).analyse([img])[0] for v in ("v19", "v20"))
    assert v19.seen == "averaged cell" and v19.symmetry != "p4"
    assert v20.seen != "averaged cell" and v20.symmetry == "p4"
