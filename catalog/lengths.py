"""Lengths as people read them: cell edges as "3.67 x 4.51 um", not 3.67e-06 (the CLI
and the dashboard)."""

from __future__ import annotations

import math
from numbers import Real


def cell_edges(a_m: float, b_m: float) -> str:
    """Two cell edges in metres as "1.21 x 1.51 um" (nm under a micrometre)."""
    unit, scale = ("um", 1e6) if b_m >= 1e-6 else ("nm", 1e9)
    return f"{a_m * scale:.3g} x {b_m * scale:.3g} {unit}"


def known_cell(a_m: object, b_m: object) -> str | None:
    """`cell_edges` of a stored cell, or None where either edge is unknown (None, NaN or
    not a number): what the listings and the dashboard show beside a plane group."""
    if not isinstance(a_m, Real) or not isinstance(b_m, Real) or \
            not (math.isfinite(a_m) and math.isfinite(b_m)):
        return None
    return cell_edges(float(a_m), float(b_m))
