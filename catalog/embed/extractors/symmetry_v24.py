"""``symcat_symmetry.v24``: v23, whose small averaged cell also gives way to the lattice
of the spectrum's peaks where that is a supercell of it resolving more of the scan.

v23's network, views, features, cell check and rules unchanged but for one setting of the
averaged cell's rule (``weights_v24/config.json``, ``motif.extinction_gain``;
`symcat.embed.symmetry.extract.MotifRule.supercell`): a small cell that stands gives way
to the lattice of the spectrum's peaks (`motif.peak_lattice`) where that lattice is a
supercell of it whose frequencies inside the Nyquist square hold this much more of the
scan, and its cell explains the scan within v23's ``alias_tie``.

Why: glides cancel a cell's lowest peaks, so the strongest peaks span a subcell; on a
noisy scan the supercell's coarser bins cost it the binned R^2 its extra frequencies gain,
and the binned search keeps the subcell. A distorted held-out pgg of 9.4 px cells was
averaged on a subcell of index 4 and read cmm; its peaks' lattice resolves 0.09 more of
the scan and reads pgg. Measured in benchmarks/RESULTS.md ("symcat_symmetry.v24").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v24"
SYMMETRY_V24 = register_delta_recipe(
    "symcat_symmetry.v24", FOLDER, V5_FOLDER,
    "symcat_symmetry.v23's recipe and network; a small averaged cell also gives way to "
    "a supercell the spectrum's peaks span where that resolves more of the scan; "
    "calibrated groups with a 'none' outcome")
