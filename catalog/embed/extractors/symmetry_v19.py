"""``symcat_symmetry.v19``: v18, with a lattice from the spectrum where the
autocorrelation sees stripes, and cells trusted by how alike they average across the scan.

v18's network, views, features and cell check unchanged but for two rules
(``weights_v19/config.json``):

- ``spectrum_lattice`` (`symcat.embed.symmetry.extract.SpectrumRule`): a plane-wave
  pattern dominated by one wave has an autocorrelation of ridges, which the lattice
  search reads as stripes; where its averaged cell (12 px or more, at most 2.5:1)
  explains 0.75 of the scan and 0.1 more than the best single wave
  (`motif.one_wave_r2`), that cell's lattice gives the views;
- ``agreement_min`` (`symcat.embed.symmetry.cell_symmetry.CellCheck`): a cell of 12 px
  or more that explains 0.8 of the scan is trusted where each band of scan lines
  averages into the same cell (`motif.Binner.agreement` 0.97 or more): noise lowers a
  cell's R^2 but not the agreement. Its lattice, possibly sheared, is not judged.

Why: v18 abstained on held-out plane waves whose lattice the autocorrelation missed, and
read distorted p4 as p4g, p2 as none, where the cell, right but noisy, was not trusted.
Measured in benchmarks/RESULTS.md ("symcat_symmetry.v19"). Only the predicted group can
differ from v18, and the features only where the spectrum's lattice gives the views.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v19"
SYMMETRY_V19 = register_delta_recipe(
    "symcat_symmetry.v19", FOLDER, V5_FOLDER,
    "symcat_symmetry.v18's recipe and network; a lattice from the spectrum where the "
    "autocorrelation sees stripes, and cells trusted where every band of scan lines "
    "averages alike; calibrated groups with a 'none' outcome")
