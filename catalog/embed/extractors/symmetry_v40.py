"""``symcat_symmetry.v40``: v39, whose cell check also measures large cells on their pixels.

v39's network, views, steps and rules unchanged; one setting changed
(``weights_v40/config.json``: ``cell_check.pixel_max_area`` 16,384): a cell whose vectors
are whole pixels is measured on the scan's pixel values up to 128 x 128 px
(`symcat.embed.symmetry.pixel_cell`, large cells through their Smith normal form and the
FFT); v39 measured such cells up to 1,024 px^2 only.

Why: a scan tiled from a large tile of fine texture (a third-party wallpaper generator's
50 x 50 px tiles of filtered noise) averages into a cell of 24 bins a side that explains
half of it, too little to be trusted; its pixels explain all of it. v39 abstained on, or
misread, such p2, pm and cmm scans that its cell check could have settled. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v40").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v40"
SYMMETRY_V40 = register_delta_recipe(
    "symcat_symmetry.v40", FOLDER, V5_FOLDER,
    "symcat_symmetry.v39's recipe and network; cells of whole pixels up to 128 x 128 px "
    "checked on the scan's pixel values; calibrated groups with a 'none' outcome")
