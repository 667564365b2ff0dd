"""The 17 plane (wallpaper) groups as data: lattice type and coset operations.

Operations are written as in the International Tables (ITA, standard setting),
``"-y,x-y"`` style, acting on fractional coordinates of the conventional cell.
Keeping them as ITA strings makes the table checkable by eye against the
reference, and the parser turns each into an integer matrix plus a translation
in halves, which is what lets the generator symmetrise exactly on a grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

GROUPS: tuple[str, ...] = (
    "p1", "p2", "pm", "pg", "cm", "pmm", "pmg", "pgg", "cmm",
    "p4", "p4m", "p4g", "p3", "p3m1", "p31m", "p6", "p6m",
)

LATTICE: dict[str, str] = {
    "p1": "oblique", "p2": "oblique",
    "pm": "rectangular", "pg": "rectangular", "pmm": "rectangular",
    "pmg": "rectangular", "pgg": "rectangular",
    "cm": "centred", "cmm": "centred",
    "p4": "square", "p4m": "square", "p4g": "square",
    "p3": "hexagonal", "p3m1": "hexagonal", "p31m": "hexagonal",
    "p6": "hexagonal", "p6m": "hexagonal",
}

# each lattice type's highest group: the point operations the lattice allows
HOLOHEDRY: dict[str, str] = {"oblique": "p2", "rectangular": "pmm", "centred": "cmm",
                             "square": "p4m", "hexagonal": "p6m"}

_P3 = ("x,y", "-y,x-y", "-x+y,-x")
_P4 = ("x,y", "-x,-y", "-y,x", "y,-x")

# Coset representatives modulo the lattice (including centring for cm, cmm).
_OPS: dict[str, tuple[str, ...]] = {
    "p1": ("x,y",),
    "p2": ("x,y", "-x,-y"),
    "pm": ("x,y", "-x,y"),
    "pg": ("x,y", "-x,y+1/2"),
    "cm": ("x,y", "-x,y", "x+1/2,y+1/2", "-x+1/2,y+1/2"),
    "pmm": ("x,y", "-x,-y", "-x,y", "x,-y"),
    "pmg": ("x,y", "-x,-y", "-x+1/2,y", "x+1/2,-y"),
    "pgg": ("x,y", "-x,-y", "-x+1/2,y+1/2", "x+1/2,-y+1/2"),
    "cmm": ("x,y", "-x,-y", "-x,y", "x,-y",
            "x+1/2,y+1/2", "-x+1/2,-y+1/2", "-x+1/2,y+1/2", "x+1/2,-y+1/2"),
    "p4": _P4,
    "p4m": _P4 + ("-x,y", "x,-y", "y,x", "-y,-x"),
    "p4g": _P4 + ("-x+1/2,y+1/2", "x+1/2,-y+1/2", "y+1/2,x+1/2", "-y+1/2,-x+1/2"),
    "p3": _P3,
    "p3m1": _P3 + ("-y,-x", "-x+y,y", "x,x-y"),
    "p31m": _P3 + ("y,x", "x-y,-y", "-x,-x+y"),
    "p6": _P3 + ("-x,-y", "y,-x+y", "x-y,x"),
    "p6m": _P3 + ("-x,-y", "y,-x+y", "x-y,x",
                  "-y,-x", "-x+y,y", "x,x-y", "y,x", "x-y,-y", "-x,-x+y"),
}


@dataclass(frozen=True)
class Op:
    """``u -> matrix @ u + shift`` on fractional coordinates (shift in cells)."""

    matrix: tuple[tuple[int, int], tuple[int, int]]
    shift: tuple[Fraction, Fraction]


def _parse_component(expr: str) -> tuple[int, int, Fraction]:
    """Parse one ITA coordinate such as ``-x+y`` or ``y+1/2`` into (cx, cy, const)."""
    expr = expr.replace(" ", "")
    if not expr or expr[0] not in "+-":
        expr = "+" + expr
    cx = cy = 0
    const = Fraction(0)
    i = 0
    while i < len(expr):
        sign = -1 if expr[i] == "-" else 1
        j = i + 1
        while j < len(expr) and expr[j] not in "+-":
            j += 1
        term = expr[i + 1 : j]
        if term == "x":
            cx += sign
        elif term == "y":
            cy += sign
        else:
            const += sign * Fraction(term)
        i = j
    return cx, cy, const


def parse_op(text: str) -> Op:
    """Turn an ITA string like ``"-y,x-y"`` into an :class:`Op`."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"expected two comma-separated coordinates, got {text!r}")
    (a, b, s), (c, d, t) = (_parse_component(p) for p in parts)
    return Op(matrix=((a, b), (c, d)), shift=(s % 1, t % 1))


def operations(group: str) -> tuple[Op, ...]:
    """Coset representatives of ``group`` modulo its (conventional) lattice."""
    if group not in _OPS:
        raise ValueError(f"unknown plane group {group!r}; expected one of {', '.join(GROUPS)}")
    return tuple(parse_op(s) for s in _OPS[group])


def max_order() -> int:
    """Largest number of coset operations of any group (12, for p6m)."""
    return max(len(v) for v in _OPS.values())
