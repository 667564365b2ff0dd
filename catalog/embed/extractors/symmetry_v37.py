"""``symcat_symmetry.v37``: v36, which also reads an enlarged picture at its own pixels.

v36's network, views, features, averaged cells, cell check, equal-edges rule, margin trim,
background and line levelling and noise suppression unchanged; one step added before them
(``weights_v37/config.json``: ``reduce_blocks``, `symcat.embed.symmetry.pixel_blocks`):
a picture whose every k x k block holds one value (enlarged for show by repeating pixels,
as many figures and other programs' generators are) is read twice, with each block
averaged into one pixel and as it is, and the reading that answers a group with the
larger probability is kept; its lattice is reported in the picture's pixel widths.

Why: the blocks' sharp edges are not the pattern's, and read as they are they cost v36
group answers on such pictures; but some pictures' cells, once reduced, are too small to
read as well as their enlarged blocks. Measured in benchmarks/RESULTS.md
("symcat_symmetry.v37").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v37"
SYMMETRY_V37 = register_delta_recipe(
    "symcat_symmetry.v37", FOLDER, V5_FOLDER,
    "symcat_symmetry.v36's recipe and network; a picture enlarged by repeating pixels "
    "also read at its own pixels, the surer reading kept; calibrated groups with a "
    "'none' outcome")
