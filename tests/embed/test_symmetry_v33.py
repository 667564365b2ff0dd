"""symcat_symmetry.v33: flat margins around the pattern (a figure's white surround, a
pattern padded to a square, a scan's unscanned lines) are trimmed before the lattice
search (``trim_margins``, `symcat.embed.symmetry.margins`); an image without one is read
exactly as v32 reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from symcat.embed.symmetry.margins import MarginTrim
from symcat.embed.symmetry_store import SYMMETRY_MODEL

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import assert_read_alike, drawn_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V32 = json.loads((SYMMETRY / "weights_v32" / "config.json").read_text())
V33 = json.loads((SYMMETRY / "weights_v33" / "config.json").read_text())
# clean patterns of the held-out generator, 10 cells across 256 px
PATTERN = {"group": "p4m", "cells": 10.0, "size": 256, "distort": False, "bin": "8-16",
           "seed": 122829117, "motif": "glyph"}
TRIM = MarginTrim.from_config(V33["trim_margins"])


def _full(image: np.ndarray) -> tuple[slice, slice]:
    return slice(0, image.shape[0]), slice(0, image.shape[1])


def _framed(image: np.ndarray, top: int, bottom: int, left: int, right: int,
            value: float | None = None) -> np.ndarray:
    fill = float(np.nanmax(image)) if value is None else value
    return np.pad(image, ((top, bottom), (left, right)), constant_values=fill)


@drawn_once
def _patterns() -> list[np.ndarray]:
    """Held-out patterns of several groups, motifs, cell counts, angles and distortions."""
    rng = np.random.default_rng(33)
    out = []
    for motif in ("glyph", "fourier", "gaussian"):
        for group in ("p1", "pm", "p4m", "p6", "cmm", "p31m"):
            out.append(heldout.make({**PATTERN, "group": group, "motif": motif,
                                     "cells": float(rng.uniform(4, 30)),
                                     "distort": bool(rng.integers(2)),
                                     "seed": int(rng.integers(1 << 30))}))
    return out


def test_v33_is_v32_with_trimmed_margins() -> None:
    assert V33["trim_margins"] == {"tol": 0.02, "excess": 2}
    same = {k: v for k, v in V33.items()
            if k not in ("name", "input", "recipe_from", "trim_margins")}
    assert same == {k: v for k, v in V32.items() if k not in ("name", "input", "recipe_from")}


def test_a_pattern_without_a_margin_is_left_whole() -> None:
    """Glyphs on a blank ground have flat rows of their own, cut by the image's edge:
    they are no margin, and no held-out pattern (nor domain image) loses a line."""
    from symcat.ingest.synth.domains import CLASSES, random_scene, render

    images = _patterns()
    rng = np.random.default_rng(7)
    for kind in CLASSES:
        domain = render(random_scene(kind, rng, points=256), rng)
        images += [domain.amplitude1, domain.phase1]
    for image in images:
        assert TRIM.window(image) == _full(image)
        assert TRIM.trim(image) is image


@pytest.mark.parametrize("value", ["max", "min", 0.0])
def test_a_flat_margin_is_found_on_every_side(value: str | float) -> None:
    for image in _patterns()[:9]:
        fill = {"max": image.max(), "min": image.min()}.get(value, value)
        framed = _framed(image, 30, 5, 0, 61, fill)
        rows, cols = TRIM.window(framed)
        # the margin, and at most a few flat lines of the pattern's own edge with it
        assert 30 <= rows.start <= 33 and 256 + 30 - 3 <= rows.stop <= 256 + 30
        assert 0 <= cols.start <= 3 and 256 - 3 <= cols.stop <= 256
        assert TRIM.trim(framed).shape == (rows.stop - rows.start, cols.stop - cols.start)


def test_a_margin_of_noisy_white_a_frame_or_nan_lines_is_found() -> None:
    """A JPEG's surround is white within a few levels; a figure may frame its pattern in
    a line; a faint pattern varies far less than its surround's step; a scan stopped
    early has NaN or zeros in its unscanned lines."""
    image = _patterns()[0]
    rng = np.random.default_rng(1)
    noisy = _framed(image, 20, 20, 20, 20)
    noisy = noisy + rng.normal(0, 0.003, noisy.shape) * np.ptp(image)
    rows, cols = TRIM.window(noisy)
    assert 20 <= rows.start <= 23 and 20 <= cols.start <= 23
    framed = _framed(_framed(image, 2, 2, 2, 2, image.min()), 26, 26, 26, 26)
    rows, cols = TRIM.window(framed)  # a figure's frame line inside its white surround
    assert 28 <= rows.start <= 31 and 28 <= cols.start <= 31
    assert 256 + 28 - 3 <= rows.stop <= 256 + 28 and 256 + 28 - 3 <= cols.stop <= 256 + 28
    faint = 111.0 + 2.0 * (image > np.median(image))  # two tones 2 levels apart
    rows, cols = TRIM.window(_framed(faint, 25, 25, 25, 25, 241.0))  # in a white surround
    assert 25 <= rows.start <= 28 and 25 <= cols.start <= 28
    stopped = image.copy()
    stopped[150:] = np.nan
    assert TRIM.window(stopped)[0].stop <= 150
    stopped[150:] = 0.0
    assert TRIM.window(stopped)[0].stop <= 150


def test_what_is_no_margin_is_left_alone() -> None:
    rows = np.repeat(np.sin(np.arange(256) / 5.0)[:, None], 256, axis=1)
    assert TRIM.window(rows) == _full(rows)  # stripes along x: every row flat, none a margin
    constant = np.ones((128, 128))
    assert TRIM.window(constant) == _full(constant)
    empty = np.full((64, 64), np.nan)
    assert TRIM.window(empty) == _full(empty)
    small = _framed(_patterns()[0][:20, :20], 40, 40, 40, 40)  # too little would be left
    assert TRIM.window(small) == _full(small)
    image = _patterns()[0]
    one = _framed(image, 1, 0, 0, 0)  # a margin no wider than the pattern's own gaps
    assert TRIM.window(one)[0].start in (0, 1)


def test_v33_reads_a_pattern_inside_a_margin(stock_readings) -> None:
    """A clean pattern inside a 10% white margin: v32 mostly finds no lattice, v33 trims
    the margin and reads the group drawn, on the lattice it finds without the margin;
    without a margin v33 answers exactly as v32 does. (The plain patterns are v34's and
    v35's too: each version's reading of them is taken once a session.)"""
    groups = ("p4m", "p6m", "pmg", "p2", "p31m", "pgg")
    images = [heldout.make({**PATTERN, "group": group}) for group in groups]
    framed = [_framed(image, 26, 26, 26, 26) for image in images]
    p2 = images[groups.index("p2")]
    lined = _framed(_framed(p2, 2, 2, 2, 2, p2.min()), 26, 26, 26, 26)  # a frame line
    *after33, in_a_frame = stock_readings("v33", [*framed, lined])
    missed = 0
    for group, before, after, plain32, plain33 in zip(
            groups, stock_readings("v32", framed), after33,
            stock_readings("v32", images), stock_readings("v33", images), strict=True):
        missed += before.symmetry != group
        assert after.symmetry == group and after.p > 0.9, (group, after)
        assert sorted(after.lattice.periods) == pytest.approx(
            sorted(plain33.lattice.periods), rel=0.02)  # the lattice of the pattern alone
        assert_read_alike(plain33, plain32)
    assert missed >= 5  # (v32 read the p6m right, at p 0.80; the others "none")
    assert in_a_frame.symmetry == "p2"  # (without its second pass: pmm)


def test_v33_reads_a_scan_stopped_early(symmetry_extractor) -> None:
    """A scan stopped at 60% of its lines, the rest NaN: v32 refuses it for its NaN,
    v33 reads the lines scanned. A colour picture of a framed pattern is read too."""
    v32, v33 = symmetry_extractor("v32"), symmetry_extractor("v33")
    image = heldout.make({**PATTERN, "motif": "fourier", "group": "p4m"})
    stopped = image.copy()
    stopped[154:] = np.nan
    assert "NaN" in v32.analyse([stopped])[0].reason
    framed = _framed(image, 20, 40, 30, 10)
    colour = np.stack([framed, framed * 0.5, framed * 0.2], axis=-1)
    read, coloured = v33.analyse([stopped, colour], workers=2)
    assert read.symmetry == "p4m" and read.p > 0.9, read  # from its 10 x 6 cells scanned
    assert coloured.symmetry == "p4m"


def test_a_figure_saved_as_jpeg_in_its_white_surround(symmetry_extractor, catalog,
                                                      tmp_path: Path) -> None:
    """`Catalog.plane_groups` on a JPEG file of a pattern in a white surround, as a figure
    is saved (8-bit, its white off by a level or two near the pattern): the default
    model (v33 and later) reads the group drawn; v32 does not."""
    from PIL import Image

    symmetry_extractor("v33")  # skips where the weights are not installed
    image = heldout.make({**PATTERN, "group": "pmg"})
    grey = (image - image.min()) / np.ptp(image) * 200
    picture = np.pad(grey, 30, constant_values=255).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "figure.jpg", quality=85)
    frame = catalog.plane_groups(tmp_path / "figure.jpg", workers=0)
    assert frame.attrs["model"] == SYMMETRY_MODEL  # (v33 or a newer version of its rule)
    assert frame["symmetry"][0] == "pmg", frame.iloc[0].to_dict()
    old = catalog.plane_groups(tmp_path / "figure.jpg", model="v32", workers=0)
    assert old["symmetry"][0] != "pmg"
