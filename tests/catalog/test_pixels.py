"""Stored pixels: uint16 quantization and thumbnails."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from symcat.store.pixels import _block_mean, dequantize_u16, quantize_u16, thumbnail_png


def test_quantization_round_trip_is_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    values = (rng.normal(size=(64, 48)) * 3e-9).astype(np.float32)
    lo, hi = float(values.min()), float(values.max())
    back = dequantize_u16(quantize_u16(values, lo, hi), values.shape, lo, hi)
    assert back.shape == values.shape and back.dtype == np.float32
    assert np.abs(back - values).max() <= (hi - lo) / 65535 * 0.51 + 1e-15
    assert back.min() == np.float32(lo)


def test_nan_and_constant_channels_survive() -> None:
    values = np.full((4, 4), 2.5, dtype=np.float32)
    assert np.all(dequantize_u16(quantize_u16(values, 2.5, 2.5), (4, 4), 2.5, 2.5) == 2.5)
    holes = np.array([[0.0, np.nan], [1.0, 0.5]], dtype=np.float32)
    raw = quantize_u16(holes, 0.0, 1.0)
    assert np.frombuffer(raw, dtype="<u2").tolist() == [0, 0, 65535, 32768]


def test_block_mean_matches_reshaped_mean() -> None:
    image = np.arange(300 * 200, dtype=np.float32).reshape(300, 200)
    small = _block_mean(image, 128)
    assert small.shape == (100, 66)
    assert np.allclose(small, image[:300, :198].reshape(100, 3, 66, 3).mean(axis=(1, 3)))


def test_thumbnail_is_a_small_png_with_contrast() -> None:
    x = np.linspace(0, 1, 512, dtype=np.float32)
    ramp = np.tile(x, (256, 1))
    png = thumbnail_png(ramp)
    assert png is not None
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG" and max(picture.size) <= 128
    pixels = np.asarray(picture.convert("RGB"))
    assert pixels.min() == 0 and pixels.max() == 255  # percentiles stretch the contrast
    assert thumbnail_png(np.full((8, 8), np.nan, dtype=np.float32)) is None
    assert thumbnail_png(np.zeros(10, dtype=np.float32)) is None
