"""`symcat.embed.symmetry.white_noise`: white noise on a scan is measured from its
spectrum's median and suppressed where it is a few percent of the range or more; a clean
pattern is left as it is, and what cannot be measured comes back unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.white_noise import WhiteNoise

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import drawn_once  # noqa: E402

NOISE = WhiteNoise(min_noise=0.03, over=2.0)
PATTERN = {"group": "p4m", "cells": 10.0, "size": 256, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}


@drawn_once
def _patterns() -> list[np.ndarray]:
    """Clean held-out patterns of several groups, motifs, cell counts and sizes."""
    rng = np.random.default_rng(36)
    out = []
    for motif in ("glyph", "fourier", "gaussian", "tiled"):
        for group in ("p1", "pmg", "p4m", "p6", "cmm"):
            out.append(np.asarray(heldout.make({
                **PATTERN, "group": group, "motif": motif,
                "cells": float(rng.uniform(3, 30)), "size": int(rng.choice([192, 256, 384])),
                "seed": int(rng.integers(1 << 30))}), dtype=np.float64))
    return out


def _range(image: np.ndarray) -> float:
    lo, hi = np.nanpercentile(image, [0.5, 99.5])
    return float(hi - lo)


def test_a_clean_pattern_is_left_as_it_is() -> None:
    for image in _patterns():
        assert NOISE.level(image) < NOISE.min_noise  # (a glyph cmm's sharp edges: 0.020)
        assert NOISE.suppress(image) is image


@pytest.mark.parametrize("sigma", [0.05, 0.1, 0.2])
def test_the_noise_drawn_is_measured(sigma: float) -> None:
    """Noise of ``sigma`` times the pattern's range: its level is measured within 15%
    (as a standard deviation, with the clean pattern's own floor added in quadrature), at
    every cell count and size."""
    rng = np.random.default_rng(int(sigma * 100))
    for image in _patterns()[::2]:
        drawn = sigma * np.ptp(image)
        scan = image + rng.normal(0, drawn, image.shape)
        measured = NOISE.level(scan) * _range(scan)
        assert measured == pytest.approx(np.hypot(drawn, NOISE.level(image) * _range(image)),
                                         rel=0.15)


@pytest.mark.parametrize("sigma", [0.1, 0.2])
def test_the_noise_is_suppressed_and_the_pattern_kept(sigma: float) -> None:
    """What is left is at least twice as close to the clean pattern as the noisy scan
    was, and the pattern's own spectrum peaks keep most of their power."""
    rng = np.random.default_rng(7)
    for image in _patterns()[1::2]:
        scan = image + rng.normal(0, sigma * np.ptp(image), image.shape)
        cleaned = NOISE.suppress(scan)
        assert cleaned is not scan
        before = np.sqrt(np.mean((scan - image) ** 2))
        after = np.sqrt(np.mean((cleaned - image) ** 2))
        assert after < before / 2, (after, before)
        assert np.corrcoef(cleaned.ravel(), image.ravel())[0, 1] > 0.9


def test_nan_pixels_stay_nan_and_odd_arrays_come_back() -> None:
    """A stopped scan's NaN rows stay NaN and the rest is cleaned; too small, constant,
    empty, 1-D, 3-D and very large arrays come back as they are; huge values do not
    overflow."""
    rng = np.random.default_rng(1)
    image = _patterns()[0]
    scan = image + rng.normal(0, 0.1 * np.ptp(image), image.shape)
    scan[-40:] = np.nan  # a scan stopped early
    cleaned = NOISE.suppress(scan)
    assert np.isnan(cleaned[-40:]).all() and np.isfinite(cleaned[:-40]).all()
    assert np.sqrt(np.mean((cleaned[:-40] - image[:-40]) ** 2)) < \
        np.sqrt(np.mean((scan[:-40] - image[:-40]) ** 2))
    for odd in (scan[:8], np.ones((64, 64)), np.full((64, 64), np.nan), np.zeros(64),
                np.zeros((2, 64, 64))):
        assert NOISE.level(odd) is None
        assert NOISE.suppress(odd) is odd
    big = np.random.default_rng(3).normal(size=(4097, 4097))  # over max_pixels
    assert NOISE.level(big) is None and NOISE.suppress(big) is big
    huge = scan * 1e300
    assert np.isfinite(NOISE.suppress(huge)[:-40]).all()


def test_noise_under_the_bar_stays() -> None:
    """Noise of 1% of the range is measured and left: a bar, not a filter on everything."""
    image = _patterns()[2]
    scan = image + np.random.default_rng(2).normal(0, 0.01 * np.ptp(image), image.shape)
    assert 0.003 < NOISE.level(scan) < 0.03
    assert NOISE.suppress(scan) is scan
