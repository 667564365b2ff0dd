"""``symcat_symmetry.v20``: v19, whose small averaged cells give way to the
autocorrelation's lattice where a scan repeats on whole pixels.

v19's network, views, features and cell check unchanged but for one rule
(``weights_v20/config.json``, ``motif.lattice_tie``;
`symcat.embed.symmetry.extract.MotifRule.yields_to`): an averaged cell under 12 px is
not read where the lattice the autocorrelation found has cells 1.5 times as large or
more and its own averaged cell explains the scan within 0.002 as well; that lattice's
cell is read instead (as a small cell's, where it is under 12 px).

Why: a scan tiled from a cell of a whole number of pixels, with the lattice along the
image's axes (as many public wallpaper generators make them), holds only that many
pixel values; small lattices of its spectrum's peaks bin each value into a bin of its
own and explain the scan exactly as well as the true cell, and v19 took the smallest,
its motif scrambled (p4 read as p2, pg as p1, or torn abstentions). Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v20").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v20"
SYMMETRY_V20 = register_delta_recipe(
    "symcat_symmetry.v20", FOLDER, V5_FOLDER,
    "symcat_symmetry.v19's recipe and network; small averaged cells give way to the "
    "autocorrelation's lattice where it explains the scan as well (pixel-tiled scans); "
    "calibrated groups with a 'none' outcome")
