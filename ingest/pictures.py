"""Image files a user hands in without cataloguing them: pictures, arrays and `.ibw` files.

A query image, a folder of labelled images for `symcat evaluate`, or images whose plane
group is asked (`symcat symmetry`) arrive as files of other programs: JPEG, PNG, TIFF,
BMP, GIF or WebP (grey, RGB or 16-bit; an animation's first frame), numpy `.npy` arrays,
or Asylum `.ibw` files. Pictures and arrays
become one 2-D float array (colour -> the mean of R, G and B); `.ibw` files go through
the ingest reader and keep their channels, units and imaging mode. Readers raise
`ValueError` with a one-line reason; callers list the file as skipped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp")
ARRAY_SUFFIXES = (".npy",)
SUFFIXES = (*PICTURE_SUFFIXES, *ARRAY_SUFFIXES, ".ibw")
MIN_SIDE = 8  # smaller is no image of a pattern: refused, not guessed at


def read_picture(path: Path) -> np.ndarray:
    """One picture as a 2-D float array, any bit depth kept; colour as the mean of R, G
    and B, as a colour array handed to the client or a model is read (`embed.run.as_grey`,
    `symmetry.lattice.as_grey`): a file and the array it holds get the same answer."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged tag is PIL's to skip, not the user's
            with Image.open(path) as image:
                image.seek(0)
                if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                    array = np.asarray(image, dtype=np.float32)
                elif image.mode in ("1", "L", "LA", "La"):
                    array = np.asarray(image.convert("L"), dtype=np.float32)
                else:  # colour (RGB, RGBA, CMYK, palette, ...): the mean of R, G and B
                    array = np.asarray(image.convert("RGB"), dtype=np.float32).mean(-1)
    except (OSError, Image.DecompressionBombError) as exc:  # not a picture, cut short, huge
        raise ValueError(f"cannot read the picture: {reason_of(exc)}") from None
    return _checked(array)


def read_array(path: Path) -> np.ndarray:
    """A `.npy` array as a 2-D float array: (H, W), or (H, W, 3|4) / (3, H, W) colour ->
    the mean of the colour channels. Pickled objects are refused (they can run code)."""
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001  (a damaged header fails in numpy's parser)
        raise ValueError(f"not a plain numeric .npy array ({reason_of(exc)})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"a .npy array of {array.dtype}, not numbers")
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        array = array[..., :3].mean(-1)
    elif array.ndim == 3 and array.shape[0] in (1, 3):
        array = array.mean(0)
    return _checked(array)


def _checked(array: np.ndarray) -> np.ndarray:
    if array.ndim != 2:
        raise ValueError(f"an array of shape {array.shape}, not one image (H x W)")
    if min(array.shape) < MIN_SIDE:
        raise ValueError(f"image of shape {array.shape} is too small "
                         f"(at least {MIN_SIDE}x{MIN_SIDE} pixels)")
    return array


class ImageFile(NamedTuple):
    """What a file holds: channels (name -> 2-D array), imaging mode and channel units
    (None where unknown), a pixel's height over its width (`pixel_aspect`) and its width
    in metres (`pixel_width`); None where the file does not say (pictures, arrays)."""

    channels: dict[str, np.ndarray]
    mode: str | None
    units: dict[str, str | None]
    pixel_aspect: float | None = None
    pixel_width_m: float | None = None


def pixel_width(scan: Mapping[str, Any] | None, shape: tuple[int, ...]) -> float | None:
    """A pixel's width in metres: a metadata document's ``scan`` size along x over the
    image's columns; None where it is missing or not a positive number."""
    if not scan or len(shape) < 2 or shape[1] < 1:
        return None
    try:
        width = float(scan["size_x_m"]) / shape[1]
    except (KeyError, TypeError, ValueError):
        return None
    return width if math.isfinite(width) and width > 0 else None


def pixel_aspect(scan: Mapping[str, Any] | None, shape: tuple[int, ...]) -> float | None:
    """A pixel's height over its width, from a metadata document's ``scan`` section (its
    size along x and y) and the image's ``shape`` (rows are scan lines, along y). None
    where a size is missing or not a positive number: the pixels count as square."""
    width = pixel_width(scan, shape)
    if width is None or min(shape[:2]) < 1:
        return None
    try:
        aspect = float(scan["size_y_m"]) / shape[0] / width  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    return aspect if math.isfinite(aspect) and aspect > 0 else None


def document_pixels(document: Mapping[str, Any], channels: Mapping[str, Any],
                    ) -> tuple[float | None, float | None]:
    """(`pixel_aspect`, `pixel_width`) of a scan from its metadata document's ``scan``
    section and its channels (which share one shape): an `.ibw` file read, or a scan
    read back from the catalog."""
    shape = np.shape(next(iter(channels.values()))) if channels else ()
    scan = document.get("scan")
    return pixel_aspect(scan, shape), pixel_width(scan, shape)


def read_ibw_image(path: Path) -> ImageFile:
    """An `.ibw` image's channels (name -> array), imaging mode, channel units, and its
    pixels' aspect and width (from its scan size; channels share one shape)."""
    from symcat.ingest.read import read_file
    from symcat.ingest.records import Refused

    result = read_file(path)
    if isinstance(result, Refused):
        raise ValueError(result.reason)
    if result.kind != "image":
        raise ValueError(f"a {result.kind}, not an image")
    metas = result.document.get("channels", [])
    channels: dict[str, np.ndarray] = {}
    units: dict[str, str | None] = {}
    for meta, array in zip(metas, result.arrays, strict=True):
        name = meta["name"] if meta["name"] not in channels else f"{meta['name']}#{meta['index']}"
        channels[name] = np.asarray(array)
        units[name] = meta.get("unit")
    return ImageFile(channels, result.document.get("imaging_mode"), units,
                     *document_pixels(result.document, channels))


def read_image(path: Path) -> ImageFile:
    """Any supported file as an `ImageFile`; a picture or an array is one channel,
    "Height", of unknown mode, unit and pixel aspect."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported type {suffix or '(none)'}; expected {', '.join(SUFFIXES)}")
    if suffix == ".ibw":
        return read_ibw_image(path)
    array = read_array(path) if suffix in ARRAY_SUFFIXES else read_picture(path)
    return ImageFile({"Height": array}, None, {"Height": None})


def reason_of(exc: BaseException) -> str:
    """The first line of an error, as a skipped file's reason."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
