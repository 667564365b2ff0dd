"""``symcat_symmetry.v16``: v14, whose cell check also knows centring and trusts the lattice.

v14's network, views, lattice search and cell check unchanged, with two more rules
(``centring`` and ``judge_lattice`` in ``weights_v16/config.json``;
`symcat.embed.symmetry.cell_symmetry`), applied only where v14's check applies (the
averaged cell explains at least 0.95 of the scan and is no supercell):

- the rectangular groups need mirrors of their own kind: pm, pg, pmm, pmg and pgg along
  the edges of a primitive rectangular cell, cm and cmm along a centred cell's diagonals.
  Point operations alone cannot tell pmm from cmm; the lattice can (`mirror_index`);
- a group needing an operation the lattice does not admit (a mirror on an oblique
  lattice, a quarter turn on a rectangular one) is contradicted; v14 left such groups to
  the network, but a cell that explains most of its scan is no guess, nor is its lattice.

Why: v14 read a held-out plane-wave pmm scan as cmm, and p1 scans as pm, pgg or cm on
lattices with no mirror of that kind. Measured in benchmarks/RESULTS.md
("symcat_symmetry.v16"). The features (the vectors stored for similarity search) are
v13's; only the predicted group can differ.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v16"
SYMMETRY_V16 = register_delta_recipe(
    "symcat_symmetry.v16", FOLDER, V5_FOLDER,
    "symcat_symmetry.v14's recipe and network; the cell check also needs each rectangular "
    "group's kind of mirror and, on a trusted cell, the operations the lattice admits; "
    "calibrated groups with a 'none' outcome")
