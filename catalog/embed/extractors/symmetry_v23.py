"""``symcat_symmetry.v23``: v22, whose small averaged cell gives way where it is an alias:
a cell that explains the scan only through content above the pixels' Nyquist limit.

v22's network, views, features and cell check unchanged but for settings of the averaged
cell's rule (``weights_v23/config.json``, ``motif``; `symcat.embed.symmetry.extract.
MotifRule.unaliased`): ``alias_max``, a small cell (or the lattice it gave way to) whose
frequencies inside the Nyquist square hold less than this share of the scan is an alias;
it then gives way to the autocorrelation's lattice or the lattice of the spectrum's peaks
(`motif.peak_lattice`), whichever resolves more, where that resolves ``alias_min`` or more
and v22's ``fourier_gain`` more, within ``alias_tie`` of binned R^2.

Why: a scan tiled from a cell of whole pixels holds only as many pixel values as its cell
has pixels, and a lattice that bins each value apart explains it exactly. A held-out
tiled pmm of 8 x 6 px cells, whose autocorrelation reads stripes, was averaged on a
2.8 px cell (R^2 1.000; in band 0.01) and abstained; every peak of its spectrum lies on
the 8 x 6 px lattice (in band 1.000). Measured in benchmarks/RESULTS.md
("symcat_symmetry.v23").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v23"
SYMMETRY_V23 = register_delta_recipe(
    "symcat_symmetry.v23", FOLDER, V5_FOLDER,
    "symcat_symmetry.v22's recipe and network; a small averaged cell that is an alias "
    "gives way to the lattice of the scan's spectrum peaks; calibrated groups with a "
    "'none' outcome")
