"""``symcat_symmetry.v42``: v41, where a cell measured on its pixels takes only exact
repeats into its lattice, and the network's 3-fold turn on a hexagonal lattice stands
over an averaged cell that measures none.

v41's network, views, steps and rules unchanged; two settings added
(``weights_v42/config.json``: ``cell_check.pixel_repeat`` 0.98 and ``hexagonal_turn``
0.9): a translation by part of a cell of whole pixels joins its lattice only where the
pixel values repeat on it at 0.98 or more (the averaged cell keeps 0.9), and where the
lattice is hexagonal and the network reads a group with a 3- or 6-fold turn at p 0.9 or
more, a cell check that would leave no such turn does not move it.

Why: two-tone pixels of a cmm or p4g correlate 0.90-0.94 with themselves moved by half
the cell, no lattice translation, and v41 measured them on half the cell, where they obey
the mirrors of pmm or p4m; hexagonal cells of 6-11 px, their fine detail aliased by the
pixels, average into cells that obey their 3-fold turn at 0.2-0.9, and v41 read p3 and
p3m1 scans that the network read right at p 0.99-1.0 as p1 and cm. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v42").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v42"
SYMMETRY_V42 = register_delta_recipe(
    "symcat_symmetry.v42", FOLDER, V5_FOLDER,
    "symcat_symmetry.v41's recipe and network; a cell of whole pixels repeats only exactly; "
    "a 3-fold turn the network reads on a hexagonal lattice stands; calibrated groups with "
    "a 'none' outcome")
