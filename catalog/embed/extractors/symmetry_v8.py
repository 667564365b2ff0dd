"""``symcat_symmetry.v8``: v5's network, and scans that look like stripes get a second look.

v5's recipe and network unchanged, with one rule added (``native.one_direction_native``
in ``weights_v8/config.json``): where the lattice estimate's finding is "one period
direction" (stripes, or periods over 3:1), the network also reads the scan's native
views, as it does for a scan without a lattice, and answers only at a calibrated p of
0.7 or more. Many small cells that alias (under 10 px) and some sheared ones look like
stripes to the autocorrelation; real stripes still abstain (benchmarks/RESULTS.md).
The folder holds only its config.json: v2's files and v5's delta, named through
``weights_from`` and the delta's ``from``; the stored id hashes all three, so its vectors
never mix with v5's.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v8"
SYMMETRY_V8 = register_delta_recipe(
    "symcat_symmetry.v8", FOLDER, V5_FOLDER,
    "symcat_symmetry.v5's recipe and network, plus native views where the lattice "
    "estimate finds one period direction; calibrated groups with a 'none' outcome")
