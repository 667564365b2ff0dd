"""``symcat_symmetry.v34``: v33, which then levels a scan's tilt and bow.

v33's network, views, features, averaged cells, cell check, equal-edges rule and margin
trim unchanged; one step added after the trim (``weights_v34/config.json``:
``level_background``, `symcat.embed.symmetry.background`): a polynomial of degree 2 in x
and y, fitted by least squares, is subtracted where its range is at least half the range
of what is left. A pattern's own faint slope stays, so an image without a background is
read exactly as v33 reads it.

Why: a probe's raw heights carry the sample's tilt and the scanner's bow, many times the
pattern's height; v33 read seed 89's held-out glyphs at 8 cells or more 2.0% right on a
tilt of 20 times the pattern's range with a bow of twice it (94.6% level), v34 94.6%.
Measured in benchmarks/RESULTS.md ("symcat_symmetry.v34").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v34"
SYMMETRY_V34 = register_delta_recipe(
    "symcat_symmetry.v34", FOLDER, V5_FOLDER,
    "symcat_symmetry.v33's recipe and network; a tilt or bow far larger than the pattern "
    "levelled after the margin trim; calibrated groups with a 'none' outcome")
