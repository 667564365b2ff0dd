"""symcat_symmetry.v35: scan lines offset from each other are levelled after the tilt and
bow (``level_lines``, `symcat.embed.symmetry.scan_lines`); the pattern's own row means
(its lattice's vertical frequencies) stay, and a clean scan is read exactly as v34 reads
it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.scan_lines import LineOffsets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import assert_read_alike, drawn_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V34 = json.loads((SYMMETRY / "weights_v34" / "config.json").read_text())
V35 = json.loads((SYMMETRY / "weights_v35" / "config.json").read_text())
PATTERN = {"group": "p4m", "cells": 10.0, "size": 256, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}
LINES = LineOffsets.from_config(V35["level_lines"])


@drawn_once
def _patterns(motifs: tuple[str, ...] = ("glyph", "fourier", "gaussian")) -> list[np.ndarray]:
    """Clean held-out patterns of several groups, motifs, cell counts and sizes, their
    lattices at the generator's random angles."""
    rng = np.random.default_rng(35)
    out = []
    for motif in motifs:
        for group in ("p1", "pm", "p4m", "p6", "cmm", "p31m"):
            out.append(heldout.make({**PATTERN, "group": group, "motif": motif,
                                     "cells": float(rng.uniform(3, 30)),
                                     "size": int(rng.choice([192, 256, 384])),
                                     "seed": int(rng.integers(1 << 30))}))
    return out


def _offset(image: np.ndarray, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shifts = rng.normal(0, sigma * np.ptp(image), image.shape[0])
    return image + shifts[:, None], shifts


def test_v35_is_v34_with_levelled_lines() -> None:
    assert V35["level_lines"] == {"peak": 5.0, "min_offset": 0.05}
    same = {k: v for k, v in V35.items()
            if k not in ("name", "input", "recipe_from", "level_lines")}
    assert same == {k: v for k, v in V34.items() if k not in ("name", "input", "recipe_from")}


def test_a_clean_scan_keeps_its_lines() -> None:
    for image in _patterns():
        assert LINES.offsets(image) is None
        assert LINES.level(image) is image


@pytest.mark.parametrize("sigma", [0.1, 0.2, 1.0])
def test_offsets_are_found_and_the_pattern_is_left(sigma: float) -> None:
    """Rows offset by normal draws of ``sigma`` times the range: the offsets found follow
    the ones drawn, and what is left is the pattern."""
    for k, image in enumerate(_patterns()[::2]):
        scan, shifts = _offset(image, sigma, seed=k)
        found = LINES.offsets(scan)
        assert found is not None
        assert np.corrcoef(found, shifts)[0, 1] > 0.9  # (a pattern's own faint row means)
        levelled = LINES.level(scan)
        assert np.corrcoef(levelled.ravel(), image.ravel())[0, 1] > 0.97


def test_a_lattice_along_the_rows_keeps_its_own_row_means() -> None:
    """A scan tiled from a cell of whole pixels along the axes: its rows' means repeat
    with the cell, and those frequencies are the pattern's, not offsets. With offsets
    smaller than those row means on top (a twentieth of the range), the levelled scan
    keeps them and is close to the tiled one. (Offsets far larger than a pattern's own row
    means bury them, and they go with the offsets: RESULTS.md, "symcat_symmetry.v35".)"""
    rng = np.random.default_rng(3)
    for group in ("pm", "p4m", "pmg"):
        image = heldout.make({**PATTERN, "group": group, "motif": "tiled",
                              "cells": float(rng.uniform(8, 20))})
        rows = image.mean(axis=1)
        assert rows.std() > 0.05 * np.ptp(image)  # the pattern's own row means stand out
        scan, _ = _offset(image, 0.05, seed=1)
        levelled = LINES.level(scan)
        assert levelled is not scan
        assert np.corrcoef(levelled.mean(axis=1), rows)[0, 1] > 0.9
        # (a cell that does not divide the rows leaks some of its row means into
        # frequencies taken for offsets: a pmg 0.989 like the tiled scan before, 0.981 after)
        assert np.corrcoef(levelled.ravel(), image.ravel())[0, 1] > 0.95, group


def test_what_cannot_be_levelled_is_left_alone() -> None:
    """NaN rows keep no offset and stay NaN; too few rows, a constant, an empty or a
    1-D array come back as they are; huge values do not overflow."""
    scan, _ = _offset(_patterns()[0], 0.2)
    scan[:30] = np.nan
    levelled = LINES.level(scan)
    assert np.isnan(levelled[:30]).all() and np.isfinite(levelled[30:]).all()
    for odd in (scan[:10], np.ones((64, 64)), np.full((64, 64), np.nan), np.zeros(64)):
        assert LINES.level(odd) is odd
    huge, _ = _offset(_patterns()[1], 0.2)
    assert np.isfinite(LINES.level(huge * 1e300)).all()


def test_infinite_pixels_are_left_out_as_nans_are(symmetry_extractor) -> None:
    """A few +-inf pixels (a saturated or failed read) are left out of the rows' means as
    NaN ones are: the offsets found are the same, and the newest model reads a pattern
    holding them as it reads the pattern holding NaN there. (Until session 53 one infinite
    pixel made its row's mean infinite, and the image was refused as "100% of the pixels
    are NaN or infinite".)"""
    from symcat.embed.plane_groups import symmetry_model

    image = _patterns()[2]  # a glyph p4m
    scan, _ = _offset(image, 0.2)
    holes = np.random.default_rng(5).random(scan.shape) > 0.99
    with_nans = LINES.offsets(np.where(holes, np.nan, scan))
    assert with_nans is not None and np.isfinite(with_nans).all()
    for value in (np.inf, -np.inf):
        np.testing.assert_array_equal(LINES.offsets(np.where(holes, value, scan)), with_nans)
    newest = symmetry_extractor(symmetry_model(None).rsplit(".", 1)[1])
    nan, pos, neg = newest.analyse([np.where(holes, v, scan) for v in (np.nan, np.inf,
                                                                      -np.inf)], workers=0)
    assert nan.symmetry == "p4m", (nan.symmetry, nan.p, nan.reason)
    for other in (pos, neg):
        assert (other.symmetry, other.p) == (nan.symmetry, nan.p), other.reason


def test_v35_reads_a_scan_whose_lines_are_offset(stock_readings) -> None:
    """Clean patterns whose rows are offset by a fifth of their range: v34 misses some,
    v35 reads the group drawn; a clean pattern is read by v35 exactly as by v34. (The
    plain patterns are v33's and v34's too: each version's reading is taken once a
    session.)"""
    groups = ("p4m", "p6m", "pmg", "p2", "p31m", "pgg")
    images = [heldout.make({**PATTERN, "group": group}) for group in groups]
    scans = [_offset(image, 0.2, seed=k)[0] for k, image in enumerate(images)]
    missed = 0
    for group, before, after, plain34, plain35 in zip(
            groups, stock_readings("v34", scans), stock_readings("v35", scans),
            stock_readings("v34", images), stock_readings("v35", images), strict=True):
        missed += before.symmetry != group
        assert after.symmetry == group and after.p > 0.8, (group, after)
        assert_read_alike(plain35, plain34)
    assert missed >= 2


def test_a_domain_scan_with_offset_lines_still_answers_none(symmetry_extractor) -> None:
    from symcat.ingest.synth.domains import CLASSES, random_scene, render

    v35 = symmetry_extractor("v35")
    rng = np.random.default_rng(35)
    scans = []
    for kind in (c for c in CLASSES if c != "checkerboard"):  # (that one is periodic)
        domain = render(random_scene(kind, rng, points=256), rng)
        scans.append(_offset(np.asarray(domain.phase1, float), 0.2, seed=len(scans))[0])
    answers = v35.analyse(scans, workers=2)
    assert all(r.symmetry == "none" for r in answers), [(r.symmetry, r.p) for r in answers]
