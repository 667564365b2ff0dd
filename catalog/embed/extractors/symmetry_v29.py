"""``symcat_symmetry.v29``: v28, whose trusted cells answer more of the network's
low-confidence abstentions.

v28's network, views, features, averaged cells and rules unchanged but for one setting of
the cell check (``weights_v29/config.json``; `symcat.embed.symmetry.cell_symmetry.
CellCheck`): ``rescue`` 0.05 (v18-v28: 0.2). Where the network's top group falls under the
0.5 bar and the scan's cell is trusted (4 px or more), the answer is the group the check
leaves once it has ruled out the groups the cell contradicts, if the network gave that
group 0.05 or more.

Why: the check had ruled out every group but one, and the one left is usually right
however little the network gave it. A two-tone cmm of 20 px cells read p6 0.44, p6m 0.28,
cmm 0.12 and abstained; its cell, explaining 0.91 of the scan, contradicts p6 and p6m and
leaves cmm. Replayed on four seeds' stored logits and cells (5,288 scans), 0.05 answers 7
more abstentions, all right (0.1: 5; 0.02: 9, one of them a p6 answered p1). Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v29").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v29"
SYMMETRY_V29 = register_delta_recipe(
    "symcat_symmetry.v29", FOLDER, V5_FOLDER,
    "symcat_symmetry.v28's recipe and network; a trusted cell answers a low-confidence "
    "abstention with the group it leaves where the network gave that group 0.05 or more; "
    "calibrated groups with a 'none' outcome")
