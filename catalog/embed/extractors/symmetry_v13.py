"""``symcat_symmetry.v13``: v12, with a wider search for the averaged cell.

v12's network, recipe and rules unchanged, except how `symcat.embed.symmetry.motif` finds
a small cell (``motif.search`` in ``weights_v13/config.json``):

* ``max_q`` 0.5: `motif._unalias` keeps only aliases whose reduced reciprocal vectors
  are under 0.5 cycles per pixel. v12 bounds each component by 0.5, which lets through
  cells with an edge of 1.4-2 px; their binning can tie (within 0.01 of R^2) with the
  scan's own cell, and the tie goes to the smaller cell: a 6.6-px cm cell read as a
  1.6 x 4.0 px one.
* ``harmonic_index`` 9 and ``harmonic_min_r2`` 0.9: before the index-2/3 search, every
  supercell of index up to 9 of the refined pair's cell is tried, and taken where it
  explains 0.9 of the scan and more than the cell found. A smooth (plane-wave) motif's
  strongest waves can be harmonics whose pair spans a subcell of index 4-9 (orders
  (1,2) of a square cell: 5; of a hexagonal one: 7), beyond v12's index-2/3 search.

On held-out plane-wave motifs at >= 8 cells: 88.2% -> 89.7% (seed 20261130) and
86.8% -> 91.2% (seed 7); every blob, glyph, atoms and non-periodic answer as v12's
(benchmarks/RESULTS.md, "symcat_symmetry.v13"). The folder holds only its config.json
(v2's files and v5's delta); the stored id hashes all three.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v13"
SYMMETRY_V13 = register_delta_recipe(
    "symcat_symmetry.v13", FOLDER, V5_FOLDER,
    "symcat_symmetry.v12's recipe and network; the averaged cell's search keeps aliases "
    "under 0.5 cycles/px and tries supercells up to index 9; calibrated groups with a "
    "'none' outcome")
