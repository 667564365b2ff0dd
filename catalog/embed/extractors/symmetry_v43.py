"""``symcat_symmetry.v43``: v42, where a small averaged cell gives way to the lattice of
the spectrum's peaks that holds its frequencies modulo the pixels, however the two bin.

v42's network, views, steps and rules unchanged; one setting added
(``weights_v43/config.json``: ``motif.equivalent_supercell``): where the peaks' lattice
is a supercell of the small cell and each of its frequencies is one of the small cell's
plus whole cycles per pixel (`motif.pixel_equivalent`), it need not bin the scan within
``alias_tie`` of the small cell to replace it; it must still resolve ``extinction_gain``
more of the scan in band.

Why: two such lattices bin the same patterns sampled at the pixel centres, the larger in
bins four to seven times as coarse, so binned R^2 favours the alias. A hexagonal lattice
with an edge of whole pixels along a scan axis is such a supercell of its aliases; v42
averaged styled p31m and p3m1 scans of 6-10 px hexagonal cells on subcells of 2.4-4.4 px
and read p1 at p 0.97-1.00. Measured in benchmarks/RESULTS.md ("symcat_symmetry.v43").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v43"
SYMMETRY_V43 = register_delta_recipe(
    "symcat_symmetry.v43", FOLDER, V5_FOLDER,
    "symcat_symmetry.v42's recipe and network; a small averaged cell gives way to the "
    "spectrum's lattice holding its frequencies modulo the pixels; calibrated groups with "
    "a 'none' outcome")
