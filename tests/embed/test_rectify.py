"""symmetry.rectify: a lattice a scan distorted (rows kept as rows) is recognised as the
more symmetric lattice it came from, and the scan resampled onto it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symcat.embed.symmetry import lattice
from symcat.embed.symmetry.lattice import Lattice, reduced
from symcat.embed.symmetry.rectify import Rectify

# a scan's distortion: fast-axis gain 5% high, a shear of 3% of a row's height per row,
# lines 2% closer than a pixel's width
SCAN = np.array([[1.05, 0.03], [0.0, 0.98]])


def _turned(vectors: list[tuple[float, float]], degrees: float) -> list[np.ndarray]:
    t = math.radians(degrees)
    turn = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return [turn @ np.array(v, float) for v in vectors]


def _shape(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(edge ratio, angle in degrees between the edges in [60, 90], projection of b on a
    over |a|^2) of the reduced basis."""
    a, b = reduced(a, b)
    if a @ b < 0:
        b = -b
    la, lb = float(np.hypot(*a)), float(np.hypot(*b))
    return lb / la, math.degrees(math.acos(float(a @ b) / (la * lb))), float(a @ b) / la ** 2


IDEAL = {"square": [(10.0, 0.0), (0.0, 10.0)],
         "hexagonal": [(10.0, 0.0), (5.0, 5.0 * math.sqrt(3))],
         "rectangular": [(10.0, 0.0), (0.0, 17.0)],
         "rhombic": [(10.0, 0.0), (10 * math.cos(math.radians(75)),
                                   10 * math.sin(math.radians(75)))],
         "centred": [(10.0, 0.0), (5.0, 15.0)]}


@pytest.mark.parametrize("kind", list(IDEAL))
@pytest.mark.parametrize("degrees", [0.0, 17.0, 45.0, 110.0])
def test_a_distorted_lattice_is_restored(kind: str, degrees: float) -> None:
    ideal = _turned(IDEAL[kind], degrees)
    seen = [SCAN @ v for v in ideal]
    assert _shape(*seen) != pytest.approx(_shape(*ideal), abs=1e-3)  # the scan distorts it
    found = Rectify().map_for(Lattice(True, "", tuple(seen[0]), tuple(seen[1])))
    if kind == "centred" and degrees == 45.0:
        # a limit: turned so, the scan moves the second vector's projection by 0.1 of the
        # first, past the slack (0.07), and the lattice is left as found
        assert _shape(*seen)[2] < 0.5 - Rectify().centred_slack and found is None
        return
    assert found is not None
    matrix, named = found
    assert named == kind
    assert matrix[1, 0] == 0 and matrix[0, 0] > 0 and matrix[1, 1] > 0  # rows stay rows
    ratio, angle, projection = _shape(*(matrix @ v for v in seen))
    # what makes each kind: the rest (a rectangle's edges, a rhombus's angle) is the
    # pattern's own and stays as scanned
    held = {"square": (ratio, angle), "hexagonal": (ratio, angle), "rectangular": angle,
            "rhombic": ratio, "centred": projection}[kind]
    want = {"square": (1.0, 90.0), "hexagonal": (1.0, 60.0), "rectangular": 90.0,
            "rhombic": 1.0, "centred": 0.5}[kind]
    assert held == pytest.approx(want, abs=1e-6)


def test_lattices_near_nothing_more_symmetric_are_left_alone() -> None:
    rule = Rectify()
    oblique = Lattice(True, "", (10.0, 0.0), (3.0, 14.0))  # ratio 1.43, 78 degrees
    assert rule.map_for(oblique) is None
    exact = Lattice(True, "", (7.0, 7.0), (-7.0, 7.0))  # a square lattice, turned
    assert rule.map_for(exact) is None
    assert rule.map_for(Lattice(False, "no lattice")) is None
    assert rule.map_for(Lattice(True, "", (0.0, 0.0), (0.0, 0.0))) is None


def _pattern(size: int, period: float, distortion: np.ndarray) -> np.ndarray:
    """A square-lattice pattern (p4m) of ``period`` px, scanned through ``distortion``:
    pixel (x, y) shows the pattern at distortion^-1 (x, y)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    back = np.linalg.inv(distortion)
    u = back[0, 0] * xx + back[0, 1] * yy
    v = back[1, 0] * xx + back[1, 1] * yy
    k = 2 * math.pi / period
    return (np.cos(k * u) + np.cos(k * v) + 0.5 * np.cos(k * u) * np.cos(k * v)).astype(
        np.float32)


@pytest.mark.parametrize("distortion", [SCAN, np.array([[0.93, -0.06], [0.0, 1.04]])])
def test_a_distorted_scan_is_resampled_onto_its_square_lattice(distortion) -> None:
    scan = _pattern(256, 16.0, distortion)
    before = lattice.estimate(scan)
    assert before.found
    ratio, angle, _ = _shape(np.array(before.a1), np.array(before.a2))
    assert abs(angle - 90) > 1.5 or ratio > 1.03  # the scan is visibly distorted
    rule = Rectify()
    matrix, kind = rule.map_for(before)
    assert kind == "square"
    picture = rule.warp(scan, matrix)
    assert picture is not None and np.isfinite(picture).all()
    assert picture.shape[0] == math.floor(matrix[1, 1] * 255 + 1e-9) + 1
    after = lattice.estimate(picture)
    ratio, angle, _ = _shape(np.array(after.a1), np.array(after.a2))
    assert ratio == pytest.approx(1.0, abs=0.02) and angle == pytest.approx(90.0, abs=1.0)
    # in the scan's own pixels again, the lattice is the one found on the scan
    back = Rectify.back(after, matrix)
    assert sorted(back.periods) == pytest.approx(sorted(before.periods), rel=0.02)


def test_the_resampled_scan_holds_only_the_scans_pixels() -> None:
    """Every pixel of the picture comes from inside the scan: a scan of ones stays ones
    (bilinear weights sum to one), whatever the shear's sign."""
    rule = Rectify()
    for b in (0.08, -0.08):
        picture = rule.warp(np.ones((100, 120)), np.array([[1.1, b], [0.0, 0.9]]))
        assert picture is not None
        np.testing.assert_allclose(picture, 1.0)
        assert picture.shape == (90, math.floor(1.1 * 119 - 0.08 / 0.9 * 89 + 1e-9) + 1)


def test_bad_scans_give_no_picture_and_never_raise() -> None:
    rule = Rectify()
    matrix = np.array([[1.05, 0.03], [0.0, 0.98]])
    assert rule.warp(np.zeros((20, 20)), matrix) is None  # narrower than min_side
    assert rule.warp(np.zeros((0, 0)), matrix) is None
    assert rule.warp(np.zeros((4, 4, 3)), matrix) is None  # not one grey plane
    assert Rectify(max_pixels=64 * 64).warp(np.zeros((65, 64)), matrix) is None  # too big
    scan = _pattern(128, 12.0, SCAN)
    scan[40:50] = np.nan  # lines never scanned stay unknown, nearby only
    picture = rule.warp(scan, matrix)
    assert picture is not None
    assert 0 < np.isnan(picture).mean() < 0.2
