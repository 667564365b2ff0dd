"""``symcat_symmetry.v39``: v38, whose second reading answers an abstention only where sure.

v38's network, views and steps unchanged, its reading of a distorted scan with its
lattice restored included; one rule changed (``weights_v39/config.json``: ``rectify``
``answer_min_p`` 0.9): where the first reading abstains, the resampled reading's answer
is taken only at p 0.9 or more (v38 took it at any probability).

Why: squaring a rectangle near square makes a square pattern of it. v38 read two of the
demo's c/a twin checkerboards (cells 1.15-1.19 times longer than wide, on which v37
abstains) as p4m at p 0.52-0.53; on four fresh benchmark seeds, the two wrong answers
v38 gave where v37 abstained came at p 0.53 and 0.71, and the one right one at p 1.00.
Measured in benchmarks/RESULTS.md ("symcat_symmetry.v39").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v39"
SYMMETRY_V39 = register_delta_recipe(
    "symcat_symmetry.v39", FOLDER, V5_FOLDER,
    "symcat_symmetry.v38's recipe and network; where the first reading abstains, the "
    "reading resampled onto a more symmetric lattice answers only at p 0.9 or more; "
    "calibrated groups with a 'none' outcome")
