"""``symcat_symmetry.v10``: v9, with the averaged cell's supercell settled more carefully.

v9's network, recipe and rule unchanged, except how `symcat.embed.symmetry.motif`
chooses among cells that fit (``motif.search`` in ``weights_v10/config.json``): a
supercell that explains 0.01 more of the variance than its subcell is taken (glide
lines and centring hide the lowest spectrum peaks; v9 wanted 0.05 more and kept half
cells of glide groups), and all four index-3 supercells are tried. The folder holds
only its config.json (v2's files and v5's delta); the stored id hashes all three, so
its vectors never mix with v9's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v10"
SYMMETRY_V10 = register_delta_recipe(
    "symcat_symmetry.v10", FOLDER, V5_FOLDER,
    "symcat_symmetry.v9's recipe and network; the averaged cell's supercells settled by "
    "the variance they explain; calibrated groups with a 'none' outcome")
