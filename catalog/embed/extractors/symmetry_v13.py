"""``symcat_symmetry.v13``: v12, whose supercell search follows unindexed spectrum peaks.

v12's network, recipe and rules unchanged, except one setting: where a small cell has
been found, each of the strongest spectrum peaks that its reciprocal basis leaves at a
fraction (denominator up to 6) proposes the cell of the lattice that indexes it too, and
that supercell is taken where it explains more of the scan (``motif.search.
peak_supercells`` in ``weights_v13/config.json``; `symcat.embed.symmetry.motif`). A
smooth motif's strongest waves can be harmonics spanning a subcell of index 4-6, out of
reach of the index-2 and -3 supercells v12 tries. The folder holds only its config.json
(v2's files and v5's delta); the stored id hashes all three, so its vectors never mix
with v12's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v13"
SYMMETRY_V13 = register_delta_recipe(
    "symcat_symmetry.v13", FOLDER, V5_FOLDER,
    "symcat_symmetry.v12's recipe and network; supercells proposed by unindexed spectrum "
    "peaks; calibrated groups with a 'none' outcome")
