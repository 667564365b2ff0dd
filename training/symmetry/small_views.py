"""Training batches of small cells as symcat_symmetry.v4's recipe shows them to the network.

v4 (``extract.NativeRule``) reads a scan whose cells are under 12 px from **native
views**: squares of ``round(224 / k)`` px cut as scanned and enlarged to 224 px
(``lattice.native_views``, k = 2, 3, 4), and a scan whose lattice estimate is a
supercell of small cells from **lattice views** that enlarge its few-pixel cells by a
non-integer factor. v2's network never saw either in training (its 224-px "raw" inputs
had 2 to 50 cells, never enlarged), and on the held-out generator it names the group of
cells of 3-10 px only 40-75% of the time. These batches are those inputs, built from
training's own motif families (``widen.periodic``: noise, texture, binary; the
evaluation's glyph generator stays unseen): the scan is rendered at native resolution
with cells of 3 to 14 px, distortions, partly periodic patches and scan artefacts are
applied at native resolution (where a microscope makes them), then the crop is enlarged
with the same bilinear interpolation as ``lattice.resize`` (``enlarge``; equal to
Pillow's to 1e-5, tests/training/test_small_views.py). A share are non-periodic fields
enlarged the same way (the ``none`` class), because v4 also asks native views of scans
without a lattice and must keep refusing domain patterns.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.lattice import MAX_VIEW
from training.symmetry.data import dihedral
from training.symmetry.widen import FAMILIES, scans

NATIVE_FACTORS = (2, 3, 4)  # symcat_symmetry.v4's native.factors
MIN_EDGE_PX, MAX_EDGE_PX = 3.0, 14.0


def native_side(k: float) -> tuple[int, int]:
    """(crop side as scanned, view side) of a native view enlarged ``k`` times, as
    ``lattice.native_views`` cuts it from a scan of at least that size."""
    s = int(round(MAX_VIEW / k))
    return s, min(MAX_VIEW, int(round(s * k)))


def enlarge(x: torch.Tensor, size: int) -> torch.Tensor:
    """``(N, C, s, s)`` -> ``(N, C, size, size)``: bilinear, half-pixel centres, no
    antialiasing; what ``lattice.resize`` (Pillow) does when it enlarges."""
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def small_cell_batch(n: int, g: torch.Generator, dev, none_frac: float = 0.15,
                     lattice_frac: float = 0.3, distort: float = 1.0,
                     families: tuple[str, ...] = FAMILIES,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` enlarged views of small-cell scans, ``(n, 1, S, S)``, labels 0..17; S is 224
    for native views and 223 or 224 for a lattice view's factor (``round(side * k)``, as
    ``lattice.views`` sizes them).

    One enlargement per batch: with probability ``1 - lattice_frac`` a native factor
    (2, 3 or 4), else a lattice view's factor (30 or 45 px over a supercell of 10-30 px:
    1.5-4.5). Cell edges are drawn per batch within 3-14 px (the longer vector at most
    1.5 times the shorter bound), so a crop holds at least 4 cells.
    """
    u = torch.rand(3, generator=g, device=dev).tolist()
    if u[0] < lattice_frac:
        k = math.exp(math.log(1.5) + u[1] * (math.log(4.5) - math.log(1.5)))
    else:
        k = float(NATIVE_FACTORS[min(int(u[1] * len(NATIVE_FACTORS)), len(NATIVE_FACTORS) - 1)])
    side, size = native_side(k)
    lo = MIN_EDGE_PX + u[2] * (min(MAX_EDGE_PX, side / 4) / 1.5 - MIN_EDGE_PX)
    lo = max(MIN_EDGE_PX, lo)
    hi = lo * 1.5
    x, y = scans(n, side, g, dev, lo, hi, none_frac, distort, families)
    return dihedral(enlarge(x, size), g), y
