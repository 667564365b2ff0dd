"""``symcat_symmetry.v32``: v31, which rules out square and hexagonal groups on a cell whose
edges are clearly unequal.

v31's network, views, features, averaged cells and cell check unchanged; one rule added
after the network (``weights_v32/config.json``: ``equal_edges``,
`symcat.embed.symmetry.equal_edges`): where the lattice's reduced cell is 1.15 to 1.5
times longer than wide, in physical units where the scan's pixel sizes are known, the
groups that need a 4-, 3- or 6-fold turn are ruled out. Like the cell check, it moves an
answer and never makes one where the network abstained.

Why: v31 read c/a twin checkerboards of the demo, with rectangular cells (19 x 24 and
44 x 52 px of square pixels), as p4m at p 0.56-0.59; their averaged cells explained too
little of the scans for the cell check to judge them. Measured in benchmarks/RESULTS.md
("symcat_symmetry.v32").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v32"
SYMMETRY_V32 = register_delta_recipe(
    "symcat_symmetry.v32", FOLDER, V5_FOLDER,
    "symcat_symmetry.v31's recipe and network; square and hexagonal groups ruled out on a "
    "cell whose edges are clearly unequal (in physical units); calibrated groups with a "
    "'none' outcome")
