"""symcat_symmetry.v37: a picture enlarged by repeating pixels is read twice, brought back
to its own pixels (``reduce_blocks``, `symcat.embed.symmetry.pixel_blocks`) and as it
is, and the reading that answers with the larger probability is kept; its lattice is
reported in the picture's pixel widths, and a picture never enlarged is read exactly as
v36 reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from tests.embed.readings import assert_read_alike  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V36 = json.loads((SYMMETRY / "weights_v36" / "config.json").read_text())
V37 = json.loads((SYMMETRY / "weights_v37" / "config.json").read_text())
# "styled" pictures of seed 89's benchmark that the generator enlarged 3 times (drawn by
# `heldout_wallpaper.styled`), which v36 reads wrong
STYLED = [{"group": "cmm", "cells": 10.610311901061669, "size": 512, "distort": False,
           "seed": 1474352555},
          {"group": "p6", "cells": 15.775947697501525, "size": 384, "distort": False,
           "seed": 233414209},
          {"group": "p6", "cells": 9.92275823274223, "size": 256, "distort": False,
           "seed": 1532407419},
          {"group": "p4m", "cells": 17.163885659760233, "size": 256, "distort": True,
           "seed": 917492430}]
GLYPH = {"group": "p4m", "cells": 12.0, "size": 192, "distort": False, "seed": 5,
         "motif": "glyph"}


def test_v37_is_v36_with_blocks_reduced() -> None:
    assert V37["reduce_blocks"] == {"max_factor": 8, "max_ratio": 0.35, "min_side": 32,
                                    "also_as_is": True}
    same = {k: v for k, v in V37.items()
            if k not in ("name", "input", "recipe_from", "reduce_blocks")}
    assert same == {k: v for k, v in V36.items() if k not in ("name", "input", "recipe_from")}


def test_v37_reads_enlarged_pictures(symmetry_extractor) -> None:
    v36, v37 = symmetry_extractor("v36"), symmetry_extractor("v37")
    pictures = [heldout.make({**item, "motif": "styled", "bin": "8-16"}) for item in STYLED]
    before, after = v36.analyse(pictures, workers=2), v37.analyse(pictures, workers=2)
    for item, old, new in zip(STYLED, before, after, strict=True):
        assert old.symmetry != item["group"]
        assert new.symmetry == item["group"], (item, new.symmetry, new.p)


def test_the_surer_reading_is_kept(symmetry_extractor) -> None:
    """A two-tone pmm picture of seed 97's styled family, enlarged 3 times by the
    generator: as it is, v36 reads it pmm at p 1.00; reduced to its cells of 5 px, the
    network reads p2. v37 keeps the surer reading, pmm, with the lattice in the picture's
    pixels."""
    v36, v37 = symmetry_extractor("v36"), symmetry_extractor("v37")
    picture = heldout.make({"group": "pmm", "cells": 25.93133415834966, "size": 384,
                            "distort": False, "bin": "16-50", "seed": 849682939,
                            "motif": "styled"})
    from symcat.embed.symmetry.lattice import as_grey

    assert v37.blocks.find(as_grey(picture)).factor == 3
    old, new = v36.analyse([picture])[0], v37.analyse([picture])[0]
    assert old.symmetry == "pmm" and old.p > 0.99
    assert_read_alike(new, old)
    v37.blocks_as_is = False  # the reduced reading alone
    assert v37.analyse([picture])[0].symmetry != "pmm"


@pytest.mark.parametrize("k", [2, 3])
def test_an_enlarged_pattern_reads_as_the_pattern(symmetry_extractor, k: int) -> None:
    """A pattern enlarged k times by repeating pixels: v37 gives the answer, probability
    and features it gives the pattern itself, and the lattice k times as long (in the
    picture's own pixels)."""
    v37 = symmetry_extractor("v37")
    image = heldout.make(GLYPH)
    big = np.repeat(np.repeat(image, k, axis=0), k, axis=1)
    own, enlarged = v37.analyse([image, big], workers=2)
    assert (enlarged.symmetry, enlarged.p) == (own.symmetry, own.p) == ("p4m", own.p)
    assert np.array_equal(enlarged.features, own.features)
    np.testing.assert_allclose(sorted(enlarged.lattice.periods),
                               [k * p for p in sorted(own.lattice.periods)], rtol=1e-6)


def test_pictures_never_enlarged_read_as_by_v36(symmetry_extractor) -> None:
    from symcat.ingest.synth.domains import random_scene, render

    v36, v37 = symmetry_extractor("v36"), symmetry_extractor("v37")
    rng = np.random.default_rng(37)
    images = [heldout.make({**GLYPH, "group": g, "motif": m, "distort": d,
                            "seed": int(rng.integers(1 << 30))})
              for g, m, d in (("p2", "glyph", True), ("p6m", "gaussian", False),
                              ("pgg", "tiled", True))]
    images.append(np.asarray(render(random_scene("labyrinth", rng, points=256), rng).phase1,
                             float))
    for old, new in zip(v36.analyse(images, workers=2), v37.analyse(images, workers=2),
                        strict=True):
        assert_read_alike(new, old)
