"""``symcat_symmetry.v11``: v10, with scan lines' drift undone before small cells are averaged.

v10's network, recipe and rule unchanged, except where v10 gives up on a small cell: a
scan whose averaged cell explains too little of its variance (drift along the slow
axis bends the lattice) is averaged again with each scan line's x shift tracked and
undone (`symcat.embed.symmetry.drift`; ``motif.drift`` in ``weights_v11/config.json``).
The folder holds only its config.json (v2's files and v5's delta); the stored id hashes
all three, so its vectors never mix with v10's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v11"
SYMMETRY_V11 = register_delta_recipe(
    "symcat_symmetry.v11", FOLDER, V5_FOLDER,
    "symcat_symmetry.v10's recipe and network; small cells averaged with the scan lines' "
    "drift undone where one cell fits poorly; calibrated groups with a 'none' outcome")
