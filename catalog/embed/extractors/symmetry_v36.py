"""``symcat_symmetry.v36``: v35, which then suppresses white noise.

v35's network, views, features, averaged cells, cell check, equal-edges rule, margin trim,
background and line levelling unchanged; one step added after them
(``weights_v36/config.json``: ``suppress_noise``, `symcat.embed.symmetry.white_noise`):
where the white noise, measured from the median of the spectrum's power, is 3% of the
image's range or more, each bin's power is reduced by twice the noise's (spectral
subtraction), which keeps a lattice's sharp peaks and takes most of the noise away.

Why: a probe's detector adds noise to every pixel, which buries the lattice points and the
averaged cell's symmetry; measured in benchmarks/RESULTS.md ("symcat_symmetry.v36").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v36"
SYMMETRY_V36 = register_delta_recipe(
    "symcat_symmetry.v36", FOLDER, V5_FOLDER,
    "symcat_symmetry.v35's recipe and network; white noise of 3% of the range or more "
    "suppressed after the line levelling; calibrated groups with a 'none' outcome")
