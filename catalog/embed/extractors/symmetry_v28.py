"""``symcat_symmetry.v28``: v27, whose cell check no longer asks a square pixel to obey a
third of a turn.

v27's network, views, features, averaged cells and rules unchanged but for three settings of
the cell check (``weights_v28/config.json``; `symcat.embed.symmetry.cell_symmetry.
CellCheck`): on a hexagonal lattice of cells 4 px or more each turn and mirror of the
averaged cell is measured as if both sides had been seen through the same square of 2 px
(``footprint_px``, ``footprint_hexagonal``, ``footprint_min_px``; `symcat.embed.
symmetry.cell_symmetry.footprint_pairs`): the cell blurred by the square turned by R is
compared with the cell moved by R and blurred by the square itself, which are equal where
the pattern obeys R whatever the square does.

Why: a scan samples its pattern through square pixels, and enlarging a scan by repeating
pixels makes them larger squares. A square obeys the quarter and half turns and the
mirrors along the axes and diagonals of a square or rectangular lattice lying along the
scan's axes, but no 3- or 6-fold turn and none of a hexagonal lattice's mirrors at 30
degrees. Sharp hexagonal patterns (two-tone, or enlarged 2-3x) lost 10-30% of their turns'
correlation in the averaged cell, under the check's 0.9 bar, and v27 ruled out the group
the network had read (a p3 of 16 px cells enlarged 2x: network p3 at 1.00, its cell's
3-fold turn 0.79, answer p1 at 1.00). Measured in benchmarks/RESULTS.md
("symcat_symmetry.v28").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v28"
SYMMETRY_V28 = register_delta_recipe(
    "symcat_symmetry.v28", FOLDER, V5_FOLDER,
    "symcat_symmetry.v27's recipe and network; on a hexagonal lattice of cells 4 px or "
    "more the cell check measures turns and mirrors through a common 2 px pixel footprint; "
    "calibrated groups with a 'none' outcome")
