"""symcat_symmetry.v34: a scan's tilt and bow, far larger than its pattern, are levelled
after the margin trim (``level_background``, `symcat.embed.symmetry.background`); an
image without such a background is read exactly as v33 reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.background import Background

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import assert_read_alike, drawn_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V33 = json.loads((SYMMETRY / "weights_v33" / "config.json").read_text())
V34 = json.loads((SYMMETRY / "weights_v34" / "config.json").read_text())
PATTERN = {"group": "p4m", "cells": 10.0, "size": 256, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}
LEVEL = Background.from_config(V34["level_background"])


@drawn_once
def _patterns() -> list[np.ndarray]:
    """Held-out patterns of several groups, motifs, cell counts (down to 2.5 across),
    sizes and distortions."""
    rng = np.random.default_rng(34)
    out = []
    for motif in ("glyph", "fourier", "gaussian"):
        for group in ("p1", "pm", "p4m", "p6", "cmm", "p31m"):
            out.append(heldout.make({**PATTERN, "group": group, "motif": motif,
                                     "cells": float(rng.uniform(2.5, 30)),
                                     "size": int(rng.choice([192, 256, 384])),
                                     "distort": bool(rng.integers(2)),
                                     "seed": int(rng.integers(1 << 30))}))
    return out


def _on_background(image: np.ndarray, tilt: float, bow: float = 0.0,
                   angle: float = 0.7) -> np.ndarray:
    """``image`` on a plane rising ``tilt`` times its range across it and a bow rising
    ``bow`` times its range from the centre to each side."""
    h, w = image.shape
    y, x = (np.mgrid[0:h, 0:w] - np.array([(h - 1) / 2, (w - 1) / 2])[:, None, None]) \
        / max(h - 1, w - 1)
    spread = float(np.nanmax(image) - np.nanmin(image))
    return image + spread * (tilt * (np.cos(angle) * x + np.sin(angle) * y)
                             + bow * 4 * (x**2 + y**2))


def test_v34_is_v33_with_a_levelled_background() -> None:
    assert V34["level_background"] == {"degree": 2, "ratio": 0.5}
    same = {k: v for k, v in V34.items()
            if k not in ("name", "input", "recipe_from", "level_background")}
    assert same == {k: v for k, v in V33.items() if k not in ("name", "input", "recipe_from")}


def test_a_level_pattern_is_left_as_it_is() -> None:
    """A pattern's own faint slope (a few cells, a motif off centre) stays under the bar:
    no held-out pattern is levelled, and the same array comes back."""
    for image in _patterns():
        fitted = LEVEL.fit(image)
        assert fitted is not None and fitted[1] < 0.35, fitted and fitted[1]
        assert LEVEL.level(image) is image


@pytest.mark.parametrize(("tilt", "bow"), [(1.0, 0.0), (20.0, 0.0), (0.0, 2.0), (300.0, 5.0)])
def test_a_tilt_and_bow_are_levelled(tilt: float, bow: float) -> None:
    """The background is found and subtracted; what is left is the pattern (less its own
    faint slope), whatever the background's size, the image's units and offset."""
    for image in _patterns()[::3]:
        scan = _on_background(image, tilt, bow) * 3e-9 + 1e-6  # heights in metres
        levelled = LEVEL.level(scan)
        assert levelled is not scan
        back = (levelled - np.mean(levelled)) / 3e-9
        assert np.corrcoef(back.ravel(), image.ravel())[0, 1] > 0.97
        assert np.ptp(back) < 1.5 * np.ptp(image)


def test_what_cannot_be_levelled_is_left_alone() -> None:
    """NaN lines are left out of the fit and stay NaN; a pure ramp levels to a constant
    (which the lattice search refuses); a constant, a tiny or an empty image, and one of
    huge values, come back without an error."""
    image = _on_background(_patterns()[0], 10.0)
    image[:40] = np.nan
    levelled = LEVEL.level(image)
    assert np.isnan(levelled[:40]).all() and np.isfinite(levelled[40:]).all()
    assert np.ptp(levelled[40:]) < 2 * np.ptp(_patterns()[0])
    ramp = _on_background(np.zeros((64, 64)), 1.0) + 1.0
    assert np.ptp(LEVEL.level(ramp + 1e-3 * np.sin(np.arange(64)))) < 0.01
    assert LEVEL.level(ramp) is ramp  # nothing but a background: left to the search
    for odd in (np.ones((50, 50)), np.zeros((3, 3)), np.full((40, 40), np.nan),
                np.zeros((0, 0))):
        assert LEVEL.level(odd) is odd
    huge = _on_background(_patterns()[1], 5.0) * 1e300
    assert np.isfinite(LEVEL.level(huge)).all()


def test_v34_reads_a_tilted_and_bowed_scan(stock_readings) -> None:
    """Clean patterns on a tilt of 20 times their range and a bow of twice it: v33 reads
    few of them, v34 levels them and reads the group drawn, on the lattice it finds on the
    level pattern; without a background v34 answers exactly as v33 does. (The plain
    patterns are v33's and v35's too: each version's reading is taken once a session.)"""
    groups = ("p4m", "p6m", "pmg", "p2", "p31m", "pgg")
    images = [heldout.make({**PATTERN, "group": group}) for group in groups]
    scans = [_on_background(image, 20.0, 2.0, angle=0.3 + k) for k, image in enumerate(images)]
    missed = 0
    for group, before, after, plain33, plain34 in zip(
            groups, stock_readings("v33", scans), stock_readings("v34", scans),
            stock_readings("v33", images), stock_readings("v34", images), strict=True):
        missed += before.symmetry != group
        assert after.symmetry == group and after.p > 0.9, (group, after)
        assert sorted(after.lattice.periods) == pytest.approx(
            sorted(plain34.lattice.periods), rel=0.02)
        assert_read_alike(plain34, plain33)
    assert missed >= 4


def test_a_tilted_domain_scan_still_answers_none(symmetry_extractor) -> None:
    """Non-periodic PFM domain images on a tilt are levelled and still get no group."""
    from symcat.ingest.synth.domains import CLASSES, random_scene, render

    v34 = symmetry_extractor("v34")
    rng = np.random.default_rng(34)
    scans = []
    for kind in (c for c in CLASSES if c != "checkerboard"):  # (that one is periodic)
        domain = render(random_scene(kind, rng, points=256), rng)
        scans.append(_on_background(np.asarray(domain.amplitude1, float), 10.0, 1.0))
    answers = v34.analyse(scans, workers=2)
    assert all(r.symmetry == "none" for r in answers), [(r.symmetry, r.p) for r in answers]
