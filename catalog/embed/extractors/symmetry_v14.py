"""``symcat_symmetry.v14``: v13, whose answer must agree with the averaged cell's symmetry.

v13's network, views and lattice search unchanged. Then the scan's averaged cell (the
cell v13 read, or one averaged on the lattice its views came from) is checked for the
point operations each plane group needs (`symcat.embed.symmetry.cell_symmetry`): where
the cell explains at least 0.95 of the scan's variance and is not a supercell, a group
whose weakest needed rotation, or mirror or glide direction, correlates under 0.9 with
the cell loses its probability to the groups that remain (``cell_check`` in
``weights_v14/config.json``).

Why: on smooth motifs that nearly have a higher group's symmetry (a pm pattern that
correlates 0.8 with itself turned by 180 degrees) the network answers the higher group;
averaging many cells leaves only the motif's own asymmetry, which is measured directly.
Measured in benchmarks/RESULTS.md ("symcat_symmetry.v14"). The features (the vectors
stored for similarity search) are v13's; only the predicted group can differ.
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v14"
SYMMETRY_V14 = register_delta_recipe(
    "symcat_symmetry.v14", FOLDER, V5_FOLDER,
    "symcat_symmetry.v13's recipe and network; groups the averaged cell's own rotations "
    "and mirrors contradict lose their probability; calibrated groups with a 'none' outcome")
