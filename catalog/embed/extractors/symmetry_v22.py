"""``symcat_symmetry.v22``: v21, whose small averaged cells lie on the scan's Fourier
peaks with each pixel at its exact position, and whose small cell gives way to a lattice
the pixels resolve where it is an alias of it.

v21's network, views, features and cell check unchanged but for settings of the
averaged cell (``weights_v22/config.json``, ``motif``; `symcat.embed.symmetry.motif`):
``search.fourier_max_px2``, cells up to that area are refined on the scan's Fourier
peaks (`motif.fourier_lattice`) and averaged with the part of the motif the pixels
resolve taken from the Fourier coefficients at the lattice's frequencies
(`motif.exact_cell`); ``fourier_gain``, ``fourier_min``, the small cell gives way to the
autocorrelation's lattice where that lattice explains this much more of the scan in
frequencies the pixels resolve (`motif.fourier_r2`).

Why: a bin's mean is the motif where its pixels happen to lie, not at its centre, and
binned R^2 favours lattices that put few distinct positions in a bin: on a held-out p4
of 8.05 px cells (a lattice nearly commensurate with the pixels) v21 chose a 2.85 px
alias (R^2 0.997 against the true lattice's 0.993) and measured the quarter turn at
0.78; it read p1 at p 0.99. Measured in benchmarks/RESULTS.md ("symcat_symmetry.v22").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v22"
SYMMETRY_V22 = register_delta_recipe(
    "symcat_symmetry.v22", FOLDER, V5_FOLDER,
    "symcat_symmetry.v21's recipe and network; small averaged cells on the scan's "
    "Fourier peaks, each pixel at its exact position, aliases giving way to the lattice "
    "the pixels resolve; calibrated groups with a 'none' outcome")
