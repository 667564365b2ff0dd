"""``symcat_symmetry.v33``: v32, which first trims flat margins around the pattern.

v32's network, views, features, averaged cells, cell check and equal-edges rule
unchanged; one step added before them (``weights_v33/config.json``: ``trim_margins``,
`symcat.embed.symmetry.margins`): a run of flat lines at an edge of the scan (a figure's
white surround, a pattern padded to a square, a scan's unscanned lines of zeros or NaN)
is cut off where it is wider than any flat gap inside the pattern. An image without such
a margin is read exactly as v32 reads it.

Why: inside a 10% white margin, v32 read seed 101's held-out glyphs at 8 cells or more
30.0% right (90.0% without), most of them abstaining with "no lattice": the margin's step
dominates the lattice search. Measured in benchmarks/RESULTS.md ("symcat_symmetry.v33").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v33"
SYMMETRY_V33 = register_delta_recipe(
    "symcat_symmetry.v33", FOLDER, V5_FOLDER,
    "symcat_symmetry.v32's recipe and network; flat margins around the pattern trimmed "
    "first; calibrated groups with a 'none' outcome")
