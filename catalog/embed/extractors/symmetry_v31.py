"""``symcat_symmetry.v31``: v30, whose cell check tells p4m from p4g along a square's edges.

v30's network, views, features, averaged cells and rules unchanged but for one setting of
the cell check (``weights_v31/config.json``): ``square_edges``. Since v18 the check tells
a mirror from a glide along a primitive rectangular cell's edges (pm/pg, pmm/pmg/pgg);
p4m and p4g were left out (v17: atoms p4g patterns that nearly repeat on half a cell
obey a glide's mirror there, and requiring p4g's glides lost 3 right answers). v31 asks
the one side that cannot lose a p4g: p4m needs mirrors, not glides, along both of a
trusted square cell's edges (`CellSymmetry.support`).

Why: held-out plane-wave p4g scans whose edges obey a glide at 0.999 and a mirror at
0.86-0.89 were read p4m at 0.55-0.62 (seed 71). Measured in benchmarks/RESULTS.md
("symcat_symmetry.v31").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v31"
SYMMETRY_V31 = register_delta_recipe(
    "symcat_symmetry.v31", FOLDER, V5_FOLDER,
    "symcat_symmetry.v30's recipe and network; on a trusted square cell p4m needs mirrors, "
    "not glides, along its edges; calibrated groups with a 'none' outcome")
