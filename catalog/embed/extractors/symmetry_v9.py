"""``symcat_symmetry.v9``: v8, and scans of small cells read from their averaged cell.

v8's network and recipe unchanged, with one rule in front (``motif`` in
``weights_v9/config.json``; `symcat.embed.symmetry.motif`): where a scan's cells are
under 12 px and one averaged cell explains most of the scan, the network reads views
drawn from that cell at its trained scale instead of the scan's aliased pixels.
Everything else goes v8's way. The
folder holds only its config.json (v2's files and v5's delta, as v8); the stored id
hashes all three, so its vectors never mix with v8's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v9"
SYMMETRY_V9 = register_delta_recipe(
    "symcat_symmetry.v9", FOLDER, V5_FOLDER,
    "symcat_symmetry.v8's recipe and network, plus small cells read from their averaged "
    "cell; calibrated groups with a 'none' outcome")
