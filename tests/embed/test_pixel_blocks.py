"""`symcat.embed.symmetry.pixel_blocks`: a picture enlarged by repeating pixels is found
(its factor and where its blocks start) and averaged back to its own pixels; patterns,
domain scans and real scans that were never enlarged are left as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.pixel_blocks import PixelBlocks

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import drawn_once  # noqa: E402

BLOCKS = PixelBlocks()
PATTERN = {"group": "p4m", "cells": 10.0, "size": 192, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}


@drawn_once
def _patterns() -> list[np.ndarray]:
    """Held-out patterns of several groups, motifs, cell counts and sizes, some with the
    generator's scan faults (line offsets, missing lines, noise); tiled ones have cells of
    whole pixels. (Not "styled": it enlarges some of its pictures itself.)"""
    rng = np.random.default_rng(37)
    out = []
    for motif in ("glyph", "fourier", "gaussian", "tiled"):
        for group in ("p1", "pmg", "p4m", "p6", "cmm"):
            out.append(np.asarray(heldout.make({
                **PATTERN, "group": group, "motif": motif, "distort": len(out) % 3 == 0,
                "cells": float(rng.uniform(3, 30)), "size": int(rng.choice([192, 256])),
                "seed": int(rng.integers(1 << 30))}), dtype=np.float64))
    return out


def _enlarged(image: np.ndarray, ky: int, kx: int | None = None) -> np.ndarray:
    return np.repeat(np.repeat(image, ky, axis=0), kx or ky, axis=1)


def test_patterns_never_enlarged_are_left_as_they_are() -> None:
    for image in _patterns():
        assert BLOCKS.find(image) is None
        reduced, k = BLOCKS.reduce(image)
        assert k == 1 and reduced is image


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_an_enlarged_picture_is_brought_back_to_its_pixels(k: int) -> None:
    """Enlarged k times and cut at any offset (a crop): the factor and the blocks' start are
    found, and the blocks average to the original pixels exactly."""
    rng = np.random.default_rng(k)
    for image in _patterns()[::4]:
        oy, ox = (int(v) for v in rng.integers(0, 3 * k, 2))
        big = _enlarged(image, k)[oy:, ox:]
        found = BLOCKS.find(big)
        assert found is not None and found.factor == k and found.ratio == 0.0
        assert (found.row, found.column) == ((-oy) % k, (-ox) % k)
        reduced, factor = BLOCKS.reduce(big)
        y0, x0 = -(-oy // k), -(-ox // k)
        assert factor == k
        np.testing.assert_allclose(reduced, image[y0 : y0 + reduced.shape[0],
                                                  x0 : x0 + reduced.shape[1]], atol=1e-9)


def test_noise_and_line_offsets_after_the_enlargement_do_not_hide_it() -> None:
    """Noise of 1% of the range and rows offset by 5% of it, added after enlarging 3 times
    (a generator that adds scan faults after scaling): the factor is found on every
    pattern, and averaging the blocks brings the noise down 3 times. (Noise of 3% after
    the enlargement hides it on some smooth patterns: their steps between blocks are no
    larger than the noise's.)"""
    rng = np.random.default_rng(3)
    for image in _patterns():
        spread = np.ptp(image)
        big = _enlarged(image, 3)
        noisy = big + rng.normal(0, 0.01 * spread, big.shape) \
            + rng.normal(0, 0.05 * spread, (big.shape[0], 1))
        found = BLOCKS.find(noisy)
        assert found is not None and found.factor == 3, found
        reduced, _ = BLOCKS.reduce(noisy)
        rows = reduced - reduced.mean(axis=1, keepdims=True)  # (the offsets are per row)
        clean = image - image.mean(axis=1, keepdims=True)
        assert np.std(rows - clean) < 0.005 * spread


def test_what_is_not_an_enlargement_along_both_axes_is_left() -> None:
    image = _patterns()[0]
    assert BLOCKS.find(_enlarged(image, 2, 3)) is None  # different factors: left
    assert BLOCKS.find(np.repeat(image, 3, axis=1)) is None  # one axis only
    stripes = np.tile(np.repeat(np.arange(64) % 2, 4).astype(float), (256, 1))
    assert BLOCKS.find(stripes) is None  # stripes 4 px wide: blocks along x only


def test_bad_input_is_left_as_it_is() -> None:
    image = _enlarged(_patterns()[2], 2)
    for bad in (np.zeros((256, 256)), np.full((256, 256), np.nan), image[:60, :60],
                np.dstack([image, image, image]), np.zeros(0)):
        reduced, k = BLOCKS.reduce(bad)
        assert k == 1 and reduced is bad
    assert PixelBlocks(max_pixels=100_000).find(image) is None  # over the cap: not looked at
    holed = image.copy()
    holed[40:60] = np.nan  # a scan stopped for some lines, then enlarged
    reduced, k = BLOCKS.reduce(holed)
    assert k == 2 and np.isnan(reduced[20:30]).all() and np.isfinite(reduced[:20]).all()


def test_real_scans_are_not_taken_for_enlargements(fixtures_root: Path) -> None:
    """Every image channel of every readable real `.ibw` fixture: none is found enlarged."""
    from symcat.ingest.pictures import read_image

    seen = 0
    for path in sorted(fixtures_root.rglob("*.ibw")):
        try:
            channels = read_image(path)[0]
        except ValueError:
            continue  # (force curves and other non-images)
        for name, array in channels.items():
            seen += 1
            assert BLOCKS.find(np.asarray(array, dtype=np.float64)) is None, (path.name, name)
    assert seen >= 20
