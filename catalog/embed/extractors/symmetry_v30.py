"""``symcat_symmetry.v30``: v29, which refuses a stripe's pseudo-lattice wherever it was found.

v29's network, views, features, averaged cells and rules unchanged but for one setting of
the lattice (``weights_v30/config.json``): ``max_aspect_everywhere``. Since v3 a lattice
from the autocorrelation whose longer period is more than ``max_aspect`` (3) times its
shorter is refused ("one period direction dominates; stripes?"); the lattice of an
averaged cell (v9's `MotifRule`, and the lattice a small cell gives way to) was never
asked. v30 asks it too (`symcat.embed.symmetry.lattice.within_aspect`, in
`symcat.embed.symmetry.extract._prepare`): the network still reads the views, their
features are stored, and the answer is `none` for that reason.

Why: the harmonics of a non-periodic stripe scan on the pixel grid average into a
pseudo-cell of 2-3 x 8-16 px that explains 0.9 of the scan, which the network read pmm
or pmg at 0.6-0.9 (2 of seed 71's 3 stripes answered). No periodic scan of the held-out
sets answered through a lattice over 3:1 (by the stored lattices of 6,610 scans). Measured
in benchmarks/RESULTS.md ("symcat_symmetry.v30").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v30"
SYMMETRY_V30 = register_delta_recipe(
    "symcat_symmetry.v30", FOLDER, V5_FOLDER,
    "symcat_symmetry.v29's recipe and network; a lattice over 3:1 is refused wherever the "
    "views came from (a stripe's averaged pseudo-cell too); calibrated groups with a "
    "'none' outcome")
