"""``symcat_symmetry.v21``: v20, whose averaged cell of a scan tiled from whole pixels
lies on its own whole-pixel lattice and has every bin filled.

v20's network, views, features and cell check unchanged but for two settings of the
averaged-cell search (``weights_v21/config.json``, ``motif.search``;
`symcat.embed.symmetry.motif.Search`): ``whole_pixels``, the cell found is tried with
its vectors rounded to whole pixels and kept so where that explains the whole scan as
well; ``fill_all``, every empty bin of the averaged cell is filled from its neighbours.

Why: a scan tiled from a cell of a whole number of pixels (as many public wallpaper
generators make them) ties R^2 with lattices a few thousandths of a pixel off, which
drift by a pixel over the scan, and holds only as many positions per cell as the cell
has pixels, so most of the 24 x 24 bins stayed empty (0): the cell the network and the
cell check read was smeared and spiky (an exact cm mirror measured 0.81, a p4g's
quarter turn 0.71; v20 read them p1 and p2). Measured in benchmarks/RESULTS.md
("symcat_symmetry.v21").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v21"
SYMMETRY_V21 = register_delta_recipe(
    "symcat_symmetry.v21", FOLDER, V5_FOLDER,
    "symcat_symmetry.v20's recipe and network; the averaged cell of a scan tiled from "
    "whole pixels on its whole-pixel lattice, every bin filled; calibrated groups with a "
    "'none' outcome")
