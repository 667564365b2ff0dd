"""``symcat_symmetry.v27``: v26, whose cell measured on its pixels also says what the
pattern holds beyond a group.

v26's network, views, features, averaged cells and rules unchanged but for three settings
of the cell check (``weights_v27/config.json``; `symcat.embed.symmetry.cell_symmetry.
CellCheck`): on a cell measured on the scan's pixel values, an operation the pixels obey
at 0.98 or more contradicts the groups that lack it (``pixel_exact``; `CellSymmetry.
lacking`: a turn the group has none of, more mirror or glide directions, or mirrors
where it has glides along the cell's edges) and confirms the pixels on its own
(`symcat.embed.symmetry.pixel_cell.confirms`); a cell vector within 0.3% of its length
of whole pixels counts as whole where that is more than 0.02 px (``pixel_slack_share``);
and a trusted cell measured on its pixels is not replaced by its central band's cell
(``pixel_over_band``: a scan of whole-pixel cells whose bands agree does not drift).

Why: v26 only removed groups whose operations the pixels deny. On scans tiled from a few
sharp pixels (two-tone cells, cells upscaled by repeating pixels) the network, reading
views resampled from them, missed operations the pixels obey exactly and answered a
subgroup with confidence (a pmg of 4 x 4 px read p2 at p 0.99, a cmm read p2 at 1.00);
and the averaged cell (24 bins a side) of a 20 px cell of such pixels obeys its exact
4-fold turn at only 0.88, so v26 did not let the pixels stand for it and read p1.
Measured in benchmarks/RESULTS.md ("symcat_symmetry.v27").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v27"
SYMMETRY_V27 = register_delta_recipe(
    "symcat_symmetry.v27", FOLDER, V5_FOLDER,
    "symcat_symmetry.v26's recipe and network; on a cell checked on the scan's pixels, "
    "an operation they obey exactly rules out the groups lacking it; calibrated groups "
    "with a 'none' outcome")
