"""`pixel_cell`'s large cells (symcat_symmetry.v40): a cell's positions numbered by the
Smith normal form of its basis, each operation's correlation at every translation one
cyclic cross-correlation (FFT). They must give the numbers the value-by-value path gives."""

from __future__ import annotations

import numpy as np
import pytest

from symcat.embed.symmetry import pixel_cell


def _bases(seed: int, n: int, low: int = 4, high: int = 400) -> list[np.ndarray]:
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        basis = rng.integers(-14, 15, size=(2, 2))
        if low <= abs(round(float(np.linalg.det(basis)))) <= high:
            out.append(basis)
    return out


def _window(size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return np.stack([xx.ravel(), yy.ravel()]).astype(np.int64)


def test_smith_rows_number_a_cells_positions() -> None:
    pixels = _window(64)
    for basis in _bases(0, 40):
        u, d1, d2 = pixel_cell.smith_rows(basis)
        area = abs(round(float(np.linalg.det(basis))))
        assert d1 * d2 == area and d2 % d1 == 0
        assert abs(round(float(np.linalg.det(u)))) == 1
        grid = pixel_cell._GridClasses(pixels, np.zeros(pixels.shape[1]), basis)
        assert grid.complete and np.unique(grid.key(pixels)).size == area
        moved = pixels + basis @ np.array([[3], [-2]])  # a lattice translation away
        assert np.array_equal(grid.key(moved), grid.key(pixels))
    with pytest.raises(ValueError, match="no area"):
        pixel_cell.smith_rows(np.array([[2, 4], [1, 2]]))


def test_large_cells_correlate_as_the_value_by_value_path() -> None:
    rng, pixels = np.random.default_rng(1), _window(96)
    compared = 0
    for basis in _bases(2, 30):
        positions = pixel_cell._GridClasses(pixels, np.zeros(pixels.shape[1]), basis)
        values = rng.normal(size=positions.area)[positions.key(pixels)]
        dense = pixel_cell._Classes(pixels, values, basis)
        grid = pixel_cell._GridClasses(pixels, values, basis)
        assert grid.r2() == pytest.approx(dense.r2(), abs=1e-9)
        for op in (np.eye(2, dtype=np.int64), *pixel_cell.GRID_OPERATIONS):
            m = np.linalg.inv(basis.astype(float)) @ op @ basis
            if np.abs(m - np.rint(m)).max() > 1e-9:
                continue  # not an operation of this lattice
            at = grid.key(dense.representatives)  # the same translations, in grid order
            assert np.allclose(grid.correlations(op)[at], dense.correlations(op), atol=1e-9)
            compared += 1
    assert compared >= 40


def _tiled(tile: np.ndarray, reps: int = 4) -> tuple[np.ndarray, np.ndarray]:
    image = np.tile(tile, (reps, reps))
    return _window(image.shape[0]), image.ravel()  # (x, y) pixels, their values


@pytest.mark.parametrize("group", ["p2", "pm", "pmm", "p4m", "p1"])
def test_measure_through_the_grid_is_the_value_by_value_measure(monkeypatch, group) -> None:
    t = np.random.default_rng(3).random((24, 24))
    tile = {"p1": [t], "p2": [t, np.rot90(t, 2)], "pm": [t, np.fliplr(t)],
            "pmm": [t, np.fliplr(t), np.flipud(t), np.rot90(t, 2)],
            "p4m": [np.rot90(u, k) for u in (t, t.T) for k in range(4)]}[group]
    pixels, values = _tiled(sum(tile) / len(tile))
    vectors = np.array([[24, 0], [0, 24]])
    dense = pixel_cell.measure(pixels, values, vectors, 0.9)
    monkeypatch.setattr(pixel_cell, "DENSE_MAX_AREA", 0)
    grid = pixel_cell.measure(pixels, values, vectors, 0.9)
    assert dense is not None and grid is not None and grid.pixels
    assert grid.rotations.keys() == dense.rotations.keys()
    assert list(grid.rotations.values()) == pytest.approx(list(dense.rotations.values()))
    assert grid.mirrors == pytest.approx(dense.mirrors)
    assert (grid.r2, grid.edge_px) == pytest.approx((dense.r2, dense.edge_px))
    if group != "p1":
        assert max(grid.rotations.get(2, -1.0), *grid.mirrors) == pytest.approx(1.0)


def test_large_cells_are_measured_only_up_to_the_area_asked() -> None:
    t = np.random.default_rng(4).random((50, 50))
    pixels, values = _tiled((t + np.rot90(t, 2)) / 2)
    vectors = np.array([[50, 0], [0, 50]])
    assert pixel_cell.measure(pixels, values, vectors, 0.9) is None  # 2,500 px^2 > 1,024
    found = pixel_cell.measure(pixels, values, vectors, 0.9, max_area=16384)
    assert found is not None and found.rotations[2] == pytest.approx(1.0)
    assert found.r2 == pytest.approx(1.0) and found.rotations.get(4, -1.0) < 0.5
    assert pixel_cell.measure(pixels, values, vectors, 0.9, max_area=2499) is None
