"""``symcat_symmetry.v12``: v11, reading drift-undone small cells at a lower bar.

v11's network, recipe and rules unchanged, except one number: a small cell averaged with
the scan lines' drift undone (`symcat.embed.symmetry.drift`) is read where it explains
0.75 of the scan's variance (``motif.drift.min_r2`` in ``weights_v12/config.json``; v11
wants 0.85, as for any averaged cell). Undoing a bend leaves more residue than a scan
that never bent; most of v11's remaining misses at 8 or more cells were such cells at
0.75-0.85. The folder holds only its config.json (v2's files and v5's delta); the stored
id hashes all three, so its vectors never mix with v11's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v12"
SYMMETRY_V12 = register_delta_recipe(
    "symcat_symmetry.v12", FOLDER, V5_FOLDER,
    "symcat_symmetry.v11's recipe and network; drift-undone small cells read at R^2 0.75; "
    "calibrated groups with a 'none' outcome")
