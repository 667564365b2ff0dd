"""Channels as RGB images with numpy and Pillow: contrast per kind, colour maps, stored
thumbnails, and captioned panels with a colour bar (range and unit) and a scale bar.

Images are drawn with their first row at the bottom, as Asylum and Igor show a scan.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from symcat.render.colormaps import colormap_for

THUMBNAIL_SIZE = 128
PREFIXES = ((1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"),
            (1e6, "M"), (1e9, "G"))
SI_UNITS = {"m", "V", "Hz", "A", "N", "s", "W"}


def contrast_range(image: np.ndarray, kind: str) -> tuple[float, float]:
    """The values mapped to the ends of the colour map: the 1st and 99th percentiles,
    symmetric about zero for the composite and about the median for other centred maps."""
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = (float(v) for v in np.percentile(finite, [1.0, 99.0]))
    if kind == "phase_cyclic":
        low = float(np.floor(low / 180.0) * 180.0) if high - low < 360 else low
        return low, low + 360.0
    if colormap_for(kind).centred:
        centre = 0.0 if kind == "composite" else float(np.median(finite))
        half = max(abs(high - centre), abs(centre - low))
        low, high = centre - half, centre + half
    if not high > low:
        low, high = low - 0.5, low + 0.5
    return low, high


def colourize(image: np.ndarray, kind: str, value_range: tuple[float, float] | None = None
              ) -> np.ndarray:
    """(rows, cols) values -> (rows, cols, 3) uint8 through the kind's colour map; NaN
    pixels are grey. Row 0 becomes the bottom row."""
    low, high = value_range or contrast_range(image, kind)
    rgb = colormap_for(kind).lut[lut_index(image, low, high)]
    rgb[~np.isfinite(image)] = (128, 128, 128)
    return rgb[::-1]


def lut_index(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values -> colour-map indices 0..255 (`low` -> 0, `high` -> 255, NaN -> 0)."""
    scaled = np.asarray(image, dtype=np.float64) - low
    scaled *= 255.0 / (high - low)
    np.nan_to_num(scaled, copy=False, nan=0.0)
    return np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)


def composite(amplitude: np.ndarray, phase: np.ndarray, phase_unit: str | None = "deg"
              ) -> np.ndarray:
    """The PFM mixed signal A·cos(φ): domains of opposite polarisation get opposite signs."""
    radians = np.deg2rad(phase) if (phase_unit or "deg").lower().startswith("deg") else phase
    return (amplitude * np.cos(radians)).astype(np.float32)


def thumbnail_png(image: np.ndarray, kind: str = "grey", size: int = THUMBNAIL_SIZE
                  ) -> bytes | None:
    """A colour-mapped PNG of at most `size` px for tiles and tooltips (no bars: it is drawn
    small). The image is first shrunk by block means (this runs once per channel on every
    ingested file), and the contrast range is taken on the small image."""
    if image.ndim != 2 or image.size == 0:
        return None
    small = _block_mean(np.asarray(image, dtype=np.float32), size)
    finite = np.isfinite(small)
    if not finite.any():
        return None
    if finite.all() and max(small.shape) <= size:
        # The common case, drawn as a palette image: the same colours as the RGB path (a
        # colour map has 256 entries), a third of the bytes, and PNG's cheap no-filter
        # encoding; 4-5x faster (thumbnails were the largest CPU stage of ingest, issue 17).
        picture = Image.fromarray(lut_index(small, *contrast_range(small, kind))[::-1])
        picture.putpalette(colormap_for(kind).lut.tobytes())
        return _png(picture)
    picture = Image.fromarray(colourize(small, kind))
    if max(picture.size) > size:
        picture.thumbnail((size, size), Image.Resampling.BILINEAR)
    return _png(picture)


def panel_png(image: np.ndarray, *, kind: str, unit: str | None = None,
              scan_size_m: float | None = None, title: str | None = None,
              size: int = 192, value_range: tuple[float, float] | None = None) -> bytes:
    """One channel as a figure panel: the image, a scale bar (from the scan's width), a
    colour bar with its range and unit, and a title."""
    if image.ndim != 2 or image.size == 0:
        raise ValueError("panel_png draws 2-D images only")
    value_range = value_range or contrast_range(image, kind)
    small = _block_mean(np.asarray(image, dtype=np.float32), size)
    picture = Image.fromarray(colourize(small, kind, value_range))
    scale = size / max(picture.size)
    picture = picture.resize((max(1, round(picture.width * scale)),
                              max(1, round(picture.height * scale))), Image.Resampling.NEAREST)
    font, small_font = _font(12), _font(10)
    top = 18 if title else 4
    bar_x = picture.width + 8
    canvas = Image.new("RGB", (picture.width + 74, picture.height + top + 4), "white")
    canvas.paste(picture, (0, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((0, 2), _text(font, title), fill="black", font=font)
    if scan_size_m and scan_size_m > 0:
        _scale_bar(draw, picture.width, top + picture.height, scan_size_m, small_font)
    bar = colormap_for(kind).lut[np.linspace(255, 0, picture.height).astype(int)]
    canvas.paste(Image.fromarray(np.repeat(bar[:, None, :], 12, axis=1)), (bar_x, top))
    draw.rectangle((bar_x, top, bar_x + 11, top + picture.height - 1), outline="black")
    high_text, low_text, unit_text = format_range(*value_range, unit)
    draw.text((bar_x + 15, top - 1), high_text, fill="black", font=small_font)
    draw.text((bar_x + 15, top + picture.height - 12), low_text, fill="black", font=small_font)
    if unit_text:
        draw.text((bar_x + 15, top + picture.height // 2 - 6), _text(small_font, unit_text),
                  fill="black", font=small_font)
    return _png(canvas)


def colour_bar_png(kind: str, width: int = 160, height: int = 12) -> bytes:
    """A horizontal strip of a kind's colour map (legends)."""
    strip = colormap_for(kind).lut[np.linspace(0, 255, width).astype(int)]
    return _png(Image.fromarray(np.repeat(strip[None, :, :], height, axis=0)))


def format_value(value: float, unit: str | None = None) -> str:
    """`value` with an SI prefix for SI units (3.2e-9 m -> '3.2 nm'), degrees as °."""
    text, unit_text = _scaled(value, _prefix(abs(value), unit), unit)
    return f"{text} {unit_text}".strip() if unit_text != "°" else f"{text}°"


def format_range(low: float, high: float, unit: str | None) -> tuple[str, str, str]:
    """(high, low, unit) labels sharing one prefix, for a colour bar; with enough digits
    that the two ends differ (a 2 kHz range at 387 kHz reads 386.1 .. 388.1)."""
    magnitude = max(abs(low), abs(high))
    factor = _prefix(magnitude, unit)
    span = high - low
    digits = 3
    if span > 0 and magnitude > 0 and math.isfinite(span):
        digits = min(8, max(3, math.ceil(math.log10(magnitude / span)) + 2))
    high_text, unit_text = _scaled(high, factor, unit, digits)
    low_text, _ = _scaled(low, factor, unit, digits)
    return high_text, low_text, unit_text


def nice_length(span: float) -> float:
    """The longest 1, 2 or 5 x 10^n not above `span` (scale bars)."""
    if span <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(span))
    return max(m * power for m in (1, 2, 5) if m * power <= span)


def _prefix(magnitude: float, unit: str | None) -> tuple[float, str]:
    if unit not in SI_UNITS or magnitude == 0 or not math.isfinite(magnitude):
        return 1.0, ""
    chosen = PREFIXES[0]
    for factor, prefix in PREFIXES:
        if magnitude >= factor * 0.999:
            chosen = (factor, prefix)
    return chosen


def _scaled(value: float, prefix: tuple[float, str], unit: str | None, digits: int = 3
            ) -> tuple[str, str]:
    factor, symbol = prefix
    unit_text = "°" if unit in ("deg", "°") else f"{symbol}{unit}" if unit else ""
    if not math.isfinite(value):
        return "nan", unit_text
    return f"{value / factor:.{digits}g}", unit_text


def _scale_bar(draw: ImageDraw.ImageDraw, width: int, bottom: int, scan_size_m: float,
               font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> None:
    length_m = nice_length(scan_size_m * 0.3)
    pixels = round(width * length_m / scan_size_m)
    if pixels < 4:
        return
    x0, y0 = 6, bottom - 8
    draw.rectangle((x0 - 1, y0 - 1, x0 + pixels + 1, y0 + 4), fill="black")
    draw.rectangle((x0, y0, x0 + pixels, y0 + 3), fill="white")
    label = _text(font, format_value(length_m, "m"))
    draw.text((x0 + 1, y0 - 14), label, fill="black", font=font, stroke_width=2,
              stroke_fill="black")
    draw.text((x0 + 1, y0 - 14), label, fill="white", font=font)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans (the system's, else matplotlib's copy) for µ, ° and φ; Pillow's own
    font otherwise, whose labels `_ascii` then spells out."""
    candidates = ["DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]
    try:
        import matplotlib

        candidates.append(str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"))
    except ImportError:
        pass
    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def _text(font: ImageFont.ImageFont | ImageFont.FreeTypeFont, text: str) -> str:
    """`text`, with µ, φ and · spelled in ASCII when `font` is not DejaVu."""
    if "DejaVu" in str(getattr(font, "path", "")):
        return text
    return text.replace("µ", "u").replace("φ", "phi").replace("·", "*")


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _block_mean(image: np.ndarray, size: int) -> np.ndarray:
    """Average non-overlapping f x f blocks so the longer side is at most about `size`."""
    factor = int(np.ceil(max(image.shape) / size))
    if factor <= 1:
        return image
    rows, cols = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    if rows == 0 or cols == 0:
        return image
    # A sum of f*f strided views: much faster than a mean over reshaped axes.
    total = np.zeros((rows // factor, cols // factor), dtype=np.float32)
    for i in range(factor):
        for j in range(factor):
            total += image[i:rows:factor, j:cols:factor]
    return total * np.float32(1.0 / (factor * factor))
