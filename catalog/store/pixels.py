"""Channel pixels as stored: uint16 quantized between min and max, plus PNG thumbnails."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

THUMBNAIL_SIZE = 128
U16_MAX = 65535


def quantize_u16(values: np.ndarray, lo: float | None, hi: float | None) -> bytes:
    """Map [lo, hi] onto 0..65535 (NaN -> 0), little-endian, C order."""
    if lo is None or hi is None or not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return np.zeros(values.shape, dtype="<u2").tobytes()
    scaled = (values.astype(np.float64) - lo) * (U16_MAX / (hi - lo))
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=U16_MAX, neginf=0.0)
    return np.clip(np.rint(scaled), 0, U16_MAX).astype("<u2").tobytes()


def dequantize_u16(
    raw: bytes, shape: tuple[int, ...], lo: float | None, hi: float | None
) -> np.ndarray:
    """Inverse of `quantize_u16`, as float32 in the channel's physical unit."""
    q = np.frombuffer(raw, dtype="<u2").reshape(shape).astype(np.float32)
    if lo is None or hi is None or hi <= lo:
        return np.full(shape, lo if lo is not None else np.nan, dtype=np.float32)
    return (lo + q * np.float32((hi - lo) / U16_MAX)).astype(np.float32)


def thumbnail_png(image: np.ndarray, size: int = THUMBNAIL_SIZE) -> bytes | None:
    """A grey-scale PNG, contrast set by the 1st and 99th percentiles, at most `size` px."""
    if image.ndim != 2 or image.size == 0:
        return None
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return None
    lo, hi = np.percentile(finite, [1.0, 99.0])
    if hi <= lo:
        hi = lo + 1.0
    scaled = np.clip((np.nan_to_num(image, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
    picture = Image.fromarray((scaled * 255).astype(np.uint8))
    picture.thumbnail((size, size), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
