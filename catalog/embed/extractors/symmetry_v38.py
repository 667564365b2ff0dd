"""``symcat_symmetry.v38``: v37, which also reads a distorted scan with its lattice restored.

v37's network, views, features, averaged cells, cell check, equal-edges rule, cleaning
steps and reading of pictures enlarged by repeating pixels unchanged; one step added
after them (``weights_v38/config.json``: ``rectify``, `symcat.embed.symmetry.rectify`):
a scan whose lattice lies near a more symmetric one (square, hexagonal, rectangular,
rhombic, centred) is read again, resampled by the map that keeps its rows as rows and
makes its lattice that one exactly, and the reading that answers a group with the larger
probability is kept; its lattice is reported in the scan's own pixels.

Why: drift, a fast-axis gain a few percent off and line spacing unlike the pixel width
distort a scan's lattice by such a map, and the symmetry measured on its pixels is off by
as much: v37 read distorted square and hexagonal patterns as their subgroups (p4m as pmm,
p3m1 as p3) and mirrored ones on sheared lattices as p1. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v38").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v38"
SYMMETRY_V38 = register_delta_recipe(
    "symcat_symmetry.v38", FOLDER, V5_FOLDER,
    "symcat_symmetry.v37's recipe and network; a scan whose lattice lies near a more "
    "symmetric one also read resampled onto it (rows kept as rows), the surer reading "
    "kept; calibrated groups with a 'none' outcome")
