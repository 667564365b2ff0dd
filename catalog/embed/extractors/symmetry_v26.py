"""``symcat_symmetry.v26``: v25, whose cell check measures a cell of whole pixels on the
scan's pixel values.

v25's network, views, features, averaged cells and rules unchanged but for one setting of
the cell check (``weights_v26/config.json``, ``cell_check.pixel_slack``;
`symcat.embed.symmetry.cell_symmetry.CellCheck`): where the checked cell's vectors lie
within 0.02 px of whole pixels along the scan's axes or diagonals, and the pixels' values
per position in the cell explain the scan as well as the averaged cell, each turn and
mirror is measured on those values at the positions the pixel grid allows
(`symcat.embed.symmetry.pixel_cell`), with the lattice the values repeat on.

Why: a scan tiled from a cell of whole pixels is its pixel values, and its averaged cell
is their trigonometric interpolation, which on a cell of 4 or 6 px obeys mirrors the
pixels do not (a quarter of a pixel off the grid, where only the wave at the Nyquist
limit, whose phase the pixels leave open, could tell). A held-out tiled cm of 4 x 6 px
cells correlates 0.90 with itself under the mirror it lacks on its pixels, 1.00 in its
averaged cell, and was read cmm; on its pixels it is read cm. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v26").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v26"
SYMMETRY_V26 = register_delta_recipe(
    "symcat_symmetry.v26", FOLDER, V5_FOLDER,
    "symcat_symmetry.v25's recipe and network; a cell of whole pixels is checked on the "
    "scan's pixel values; calibrated groups with a 'none' outcome")
