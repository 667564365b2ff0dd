"""``symcat_symmetry.v41``: v40, where a scan that repeats exactly on whole pixels is read
from them even where the network saw no lattice.

v40's network, views, steps and rules unchanged; three settings added
(``weights_v41/config.json``: ``cell_check.pixel_alone_r2`` and ``pixel_lattice_r2``,
both 0.99, ``pixel_alone_max`` 0.5): pixel values that explain the scan stand for its
cell though they confirm no operation, where the averaged cell is untrusted and obeys no
turn or mirror at 0.5 either, and the lattice is not hexagonal (a tile that obeys
nothing is p1); and a trusted cell of whole pixels that the scan repeats on exactly
answers without "none": the scan has a lattice.

Why: v40 abstained on scans tiled from 50-64 px tiles of fine noise (a third-party
wallpaper generator's kind) whose pixels it had measured and trusted, because the network
saw no lattice in them, and read p1 tiles pg or none. Measured in benchmarks/RESULTS.md
("symcat_symmetry.v41").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v41"
SYMMETRY_V41 = register_delta_recipe(
    "symcat_symmetry.v41", FOLDER, V5_FOLDER,
    "symcat_symmetry.v40's recipe and network; a scan repeating exactly on a cell of whole "
    "pixels read from those pixels; calibrated groups with a 'none' outcome")
