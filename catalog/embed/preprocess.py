"""Turn a scan's stored channels into the network's input: three levelled, scaled planes.

The recipe (bump `PREPROCESS_VERSION` whenever any step changes, because the version is
part of every extractor id and so of every stored vector's provenance):

1. choose three channels by imaging mode (`CHANNELS_BY_MODE`; retrace before trace);
2. height-like channels: subtract a least-squares plane, then each scan line's median
   (rows are scan lines), which removes tilt and line-to-line offsets;
3. phase channels: rotate the circle so the cut falls in the widest empty arc of the
   histogram, so domains near +-180 degrees do not split into two colours;
4. scale each channel to [0, 1] between its 1st and 99th percentiles (clipped), so a
   few spikes cannot flatten the contrast; missing pixels become 0.5;
5. resize keeping the aspect ratio so the long side is `size`, and pad the short side
   with 0.5 (mid-grey, which the extractors' normalisation maps to zero, like the
   networks' own zero padding) to a square batchable image;
6. quantize to 8 bits, the depth ImageNet networks were trained on: a quarter of the
   bytes to move between loading processes and to the GPU (`forward` divides by 255).

numpy and Pillow only, so it runs in data-loading workers without the GPU. It is the
definition of the recipe; `symcat.embed.preprocess_torch` runs steps 2 to 6 batched on the
inference device (what `symcat embed` does on a GPU), to float rounding the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from symcat.ingest.channels import split_name

PREPROCESS_VERSION = "pp1"

# Channel wanted -> (base name, number or None for any). Modes not listed use "default".
ChannelSpec = tuple[str, str | None]
CHANNELS_BY_MODE: dict[str, tuple[ChannelSpec, ...]] = {
    "dart_pfm": (("height", None), ("amplitude", "1"), ("phase", "1")),
    "pfm": (("height", None), ("amplitude", None), ("phase", None)),
    "ss_pfm": (("height", None), ("amplitude", None), ("phase", None)),
    "ac": (("height", None), ("amplitude", None), ("phase", None)),
    "contact": (("height", None), ("deflection", None), ("lateral", None)),
    "kpfm": (("height", None), ("potential", None), ("phase", None)),
    "default": (("height", None), ("amplitude", None), ("phase", None)),
}
HEIGHT_LIKE = frozenset({"height", "zsensor", "zsnsr", "lvdt"})
PHASE_PERIOD = {"deg": 360.0, "rad": 2.0 * np.pi}
LOW_PERCENTILE = 1.0
HIGH_PERCENTILE = 99.0
PAD_VALUE = 0.5
# Statistics (percentiles, phase histogram, line medians) are taken on an even stride
# of at most this many pixels: the same answer to well under one grey level, 4x faster.
STAT_SAMPLE = 16384


class NoUsableChannel(ValueError):
    """A scan has none of the channels an embedding needs (e.g. a force curve)."""


@dataclass(frozen=True)
class StoredChannel:
    """What the preprocessing needs of one stored channel: name, unit, pixels."""

    name: str
    unit: str | None
    pixels: np.ndarray


def choose_channels(
    mode: str | None, channels: Sequence[StoredChannel],
    by_mode: Mapping[str, tuple[ChannelSpec, ...]] = CHANNELS_BY_MODE,
) -> list[StoredChannel]:
    """Three channels for this imaging mode; a missing one is replaced by the first found.

    A scan always yields three planes, so every extractor sees the same layout; a scan
    without any wanted channel falls back to its first 2-D channels.
    """
    specs = by_mode.get(mode or "default", by_mode["default"])
    images = [c for c in channels if c.pixels.ndim == 2 and min(c.pixels.shape) >= 2]
    if not images:
        raise NoUsableChannel("no 2-D channel to embed")
    ranked = sorted(images, key=_direction_rank)
    chosen: list[StoredChannel | None] = [_find(ranked, spec) for spec in specs]
    found = [c for c in chosen if c is not None]
    if not found:
        found = ranked[:1]
    return [c if c is not None else found[0] for c in chosen]


def _direction_rank(channel: StoredChannel) -> int:
    direction = split_name(channel.name).direction
    return {"retrace": 0, "trace": 1, None: 2}.get(direction, 3)


def _find(channels: Sequence[StoredChannel], spec: ChannelSpec) -> StoredChannel | None:
    base, number = spec
    for channel in channels:
        parts = split_name(channel.name)
        if parts.nap:
            continue
        same_base = parts.base == base or (base == "height" and parts.base in HEIGHT_LIKE)
        if same_base and (number is None or parts.number == number):
            return channel
    return None


def level_height(image: np.ndarray) -> np.ndarray:
    """Subtract the least-squares plane, then each scan line's (row's) median."""
    out = image.astype(np.float32, copy=True)
    finite = np.isfinite(out)
    if finite.all():
        # Full grid: centred row and column indices are orthogonal, so the plane's
        # slopes are two dot products (the same answer as lstsq, 20x faster).
        h, w = out.shape
        ys = np.arange(h, dtype=np.float32) - (h - 1) / 2
        xs = np.arange(w, dtype=np.float32) - (w - 1) / 2
        out -= out.mean(dtype=np.float64)
        slope_y = float(ys @ out.sum(1)) / (w * float(ys @ ys)) if h > 1 else 0.0
        slope_x = float(out.sum(0) @ xs) / (h * float(xs @ xs)) if w > 1 else 0.0
        out -= slope_y * ys[:, None] + slope_x * xs[None, :]
        step = max(1, w // 128)
        return out - np.median(out[:, ::step], axis=1, keepdims=True)
    if finite.sum() < 3:
        return out
    rows, cols = np.nonzero(finite)
    design = np.column_stack([cols, rows, np.ones(rows.size)]).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, out[finite], rcond=None)
    yy, xx = np.indices(out.shape)
    out -= (coef[0] * xx + coef[1] * yy + coef[2]).astype(np.float32)
    with np.errstate(all="ignore"):
        medians = np.nanmedian(np.where(finite, out, np.nan), axis=1, keepdims=True)
    return out - np.nan_to_num(medians)


def unwrap_phase(image: np.ndarray, period: float) -> np.ndarray:
    """Shift phases so the circle is cut where it is emptiest (no domain split at +-180).

    The cut is the minimum of the circular histogram smoothed over 10 degrees, which
    falls in the middle of the widest gap when there is one, and in the sparsest
    region when noise fills the whole circle.
    """
    finite = np.isfinite(image)
    if not finite.any():
        return image.astype(np.float32)
    values = np.mod(_sample(image[finite]).astype(np.float32), np.float32(period))
    bins, window = 720, 21
    counts = np.bincount(np.minimum((values / period * bins).astype(np.int64), bins - 1),
                         minlength=bins).astype(np.float64)
    padded = np.concatenate([counts[-(window // 2):], counts, counts[: window // 2]])
    smoothed = np.convolve(padded, np.ones(window), mode="valid")
    cut = (int(np.argmin(smoothed)) + 0.5) * period / bins
    out = image.astype(np.float32, copy=True)
    out[finite] = np.mod(out[finite] - np.float32(cut), np.float32(period))
    return out


def _sample(values: np.ndarray) -> np.ndarray:
    """An even stride through `values`, at most about STAT_SAMPLE of them."""
    return values[:: max(1, values.size // STAT_SAMPLE)]


def robust_scale(image: np.ndarray) -> np.ndarray:
    """Min-max scale between the 1st and 99th percentiles, clipped to [0, 1]; NaN -> 0.5."""
    finite = np.isfinite(image)
    values = _sample(image[finite] if not finite.all() else image.ravel())
    if values.size == 0:
        return np.full(image.shape, PAD_VALUE, dtype=np.float32)
    # Both order statistics from one partition (what np.percentile does, twice as fast).
    last = values.size - 1
    lo_rank, hi_rank = LOW_PERCENTILE / 100 * last, HIGH_PERCENTILE / 100 * last
    ranks = sorted({int(np.floor(lo_rank)), int(np.ceil(lo_rank)), int(np.floor(hi_rank)),
                    int(np.ceil(hi_rank))})
    part = np.partition(values, ranks)
    lo = float(np.interp(lo_rank, ranks, part[ranks]))
    hi = float(np.interp(hi_rank, ranks, part[ranks]))
    if not hi > lo:
        return np.full(image.shape, PAD_VALUE, dtype=np.float32)
    scaled = np.clip((image.astype(np.float32) - lo) * np.float32(1 / (hi - lo)), 0.0, 1.0)
    return np.where(finite, scaled, np.float32(PAD_VALUE)).astype(np.float32, copy=False)


def resize_pad(image: np.ndarray, size: int) -> np.ndarray:
    """Resize so the long side is `size` (aspect kept, antialiased), pad to size x size."""
    h, w = image.shape
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    if (new_h, new_w) != (h, w):
        picture = Image.fromarray(image.astype(np.float32), mode="F")
        image = np.asarray(picture.resize((new_w, new_h), Image.Resampling.BILINEAR))
    out = np.full((size, size), PAD_VALUE, dtype=np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[top : top + new_h, left : left + new_w] = image
    return out


def channel_role(name: str, unit: str | None) -> tuple[str, float | None]:
    """What step 2 or 3 a channel gets: ("height", None), ("phase", period) or ("plain", None)."""
    base = split_name(name).base
    if base in HEIGHT_LIKE:
        return "height", None
    if base == "phase" and unit in PHASE_PERIOD:
        return "phase", PHASE_PERIOD[unit]
    return "plain", None


def prepare_channel(channel: StoredChannel) -> np.ndarray:
    """Steps 2 to 4 for one channel, by what the channel measures."""
    role, period = channel_role(channel.name, channel.unit)
    image = channel.pixels
    if role == "height":
        image = level_height(image)
    elif role == "phase" and period is not None:
        image = unwrap_phase(image, period)
    return robust_scale(image)


def preprocess(
    mode: str | None, channels: Sequence[StoredChannel], size: int
) -> np.ndarray:
    """A scan's channels -> uint8 array (3, size, size); 0..255 stands for [0, 1]."""
    chosen = choose_channels(mode, channels)
    prepared = {id(c): prepare_channel(c) for c in {id(c): c for c in chosen}.values()}
    planes = np.stack([resize_pad(prepared[id(c)], size) for c in chosen])
    return np.rint(planes * np.float32(255)).astype(np.uint8)
