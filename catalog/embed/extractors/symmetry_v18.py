"""``symcat_symmetry.v18``: v16, whose cell check also tells mirrors from glides, refits
a stalled cell, reads drifting scans from a band of lines and rescues abstentions.

v16's network, views, lattice search and features unchanged; four more rules in the
cell check (``weights_v18/config.json``; `symcat.embed.symmetry.cell_symmetry`):

- ``glides``: along a primitive rectangular cell's edges a mirror and a glide differ
  (twice applied, the operation is an even or odd lattice step along its axis), so pm
  needs a mirror, pg a glide, pmg one of each;
- ``refit``: where the views' lattice, refined from its own vectors, averages into a cell
  explaining under 0.95 of the scan, the cell the averaged-cell search found from the
  spectrum is measured instead if it explains more;
- ``band_min_r2``: where the whole scan's cell is still untrusted, the cell of its
  central third of lines is measured; a drifting scan's bend nearly escapes the band;
- ``rescue``: where the network abstained for low confidence alone, a trusted cell of 4
  px or more may answer with the group it leaves, if the network gave that group 0.2.

Why: v16 read held-out plane waves pm as pg, pm as cm on a stalled cell, pg as pgg on a
drifting scan, and abstained between pmg and groups the cell rules out. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v18"). Only the predicted group can differ from
v16.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v18"
SYMMETRY_V18 = register_delta_recipe(
    "symcat_symmetry.v18", FOLDER, V5_FOLDER,
    "symcat_symmetry.v16's recipe and network; the cell check also tells mirrors from "
    "glides, refits a stalled cell, reads drifting scans from a band of lines and rescues "
    "low-confidence abstentions; calibrated groups with a 'none' outcome")
