"""``symcat_symmetry.v35``: v34, which then levels scan lines offset from each other.

v34's network, views, features, averaged cells, cell check, equal-edges rule, margin trim
and background levelling unchanged; one step added after them (``weights_v35/config.json``:
``level_lines``, `symcat.embed.symmetry.scan_lines`): the rows' means are split into the
frequencies standing 5 times above their median amplitude, which are the pattern's, and
the rest, which are the lines' offsets and are subtracted where their standard deviation
is 5% of the image's range or more.

Why: a probe's feedback drifts between scan lines, and each row sits at its own offset;
measured in benchmarks/RESULTS.md ("symcat_symmetry.v35").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v35"
SYMMETRY_V35 = register_delta_recipe(
    "symcat_symmetry.v35", FOLDER, V5_FOLDER,
    "symcat_symmetry.v34's recipe and network; scan lines offset from each other levelled "
    "after the tilt and bow; calibrated groups with a 'none' outcome")
