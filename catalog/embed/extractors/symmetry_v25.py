"""``symcat_symmetry.v25``: v24, whose hexagonal small cell, where its pixels sample it along
a few lines only, is averaged from the lattice's Fourier coefficients inside a disk.

v24's network, views, features, cell check and rules unchanged but for one setting of the
averaged-cell search (``weights_v25/config.json``, ``motif.search.hexagonal_disk``;
`symcat.embed.symmetry.motif.Search`): a hexagonal cell (`motif.is_hexagonal`) made exact
whose bins the pixels leave partly empty (`motif.sampled_lines`) is the lattice's Fourier
coefficients inside a disk of 0.45 cycles per pixel alone, nothing binned.

Why: a hexagonal scan drawn pixel by pixel has one cell edge a whole number of pixels
along a scan axis. Along it a cycle per pixel is a lattice vector, so the pixels fold
the motif's waves finer than they resolve onto the lattice's own frequencies, unevenly
around the turn (most near the Nyquist limit, whose square is no hexagonal shape), and
its pixels sample the cell along a few lines only, so the bins hold those folded values
along the lines. A held-out tiled p6 of 8 px cells averaged into a cell whose 3-fold turn
measured 0.90 (0.34 binned) and was read p2; inside the disk 0.96, read p6. Measured in
benchmarks/RESULTS.md ("symcat_symmetry.v25").
"""

from __future__ import annotations

from pathlib import Path

from symcat.embed.extractors.symmetry_v2 import register_delta_recipe
from symcat.embed.extractors.symmetry_v5 import FOLDER as V5_FOLDER

FOLDER = Path(__file__).resolve().parents[1] / "symmetry" / "weights_v25"
SYMMETRY_V25 = register_delta_recipe(
    "symcat_symmetry.v25", FOLDER, V5_FOLDER,
    "symcat_symmetry.v24's recipe and network; a hexagonal small cell sampled along a few "
    "lines is averaged from its Fourier coefficients inside a disk; calibrated groups "
    "with a 'none' outcome")
