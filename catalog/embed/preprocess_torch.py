"""Steps 2 to 6 of `symcat.embed.preprocess` as batched torch operations (GPU or CPU).

The same recipe, version and constants as the numpy reference (which stays the
definition); this module runs it on whole batches of planes on the inference device, so
loading processes only read the stored uint16 pixels. It covers planes whose pixels are
all finite, which is every channel the catalog stores with a finite min < max (stored
NaNs are quantized to the minimum); anything else is left to the reference.

Planes are a float32 tensor (B, H, W) of one shape, with a `kind` per plane
(`PLAIN`, `HEIGHT`, `PHASE`) and, for phase, its period. Statistics are taken on the
same even strides as the reference, reductions in float64; the results agree with it to
float rounding, i.e. at most one grey level on a few pixels after the 8-bit step
(tests/embed/test_preprocess_torch.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from symcat.embed.native import SizePolicy, Sizing
from symcat.embed.preprocess import HIGH_PERCENTILE, LOW_PERCENTILE, PAD_VALUE, STAT_SAMPLE

PLAIN, HEIGHT, PHASE = 0, 1, 2
PHASE_BINS, PHASE_WINDOW = 720, 21  # as `unwrap_phase`: 0.5-degree bins, 10-degree smoothing
U16_MAX = 65535


def dequantize(pixels: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Stored uint16 pixels (as int16/uint16/int32 bits) -> float32, like `dequantize_u16`.

    `lo`, `hi`: float64 (B,), one per plane; a plane with hi <= lo becomes constant lo.
    """
    q = pixels.to(torch.int32).bitwise_and_(U16_MAX).to(torch.float32)
    step = torch.where(hi > lo, (hi - lo) / U16_MAX, torch.zeros_like(hi)).to(torch.float32)
    return q * step[:, None, None] + lo.to(torch.float32)[:, None, None]


def level_height(x: torch.Tensor) -> torch.Tensor:
    """Subtract each plane's least-squares plane, then each row's median (finite planes)."""
    b, h, w = x.shape
    ys = torch.arange(h, device=x.device, dtype=torch.float64) - (h - 1) / 2
    xs = torch.arange(w, device=x.device, dtype=torch.float64) - (w - 1) / 2
    mean = x.mean((1, 2), dtype=torch.float64)
    out = (x.double() - mean[:, None, None]).float()
    # sum of squares of the centred indices, in closed form: reading ys @ ys back from the
    # GPU would make the host wait for every queued kernel
    slope_y = (out.sum(2, dtype=torch.float64) @ ys) / (w * h * (h * h - 1) / 12) \
        if h > 1 else None
    slope_x = (out.sum(1, dtype=torch.float64) @ xs) / (h * w * (w * w - 1) / 12) \
        if w > 1 else None
    tilt = torch.zeros((b, h, w), device=x.device, dtype=torch.float32)
    if slope_y is not None:
        tilt = tilt + slope_y.float()[:, None, None] * ys.float()[None, :, None]
    if slope_x is not None:
        tilt = tilt + slope_x.float()[:, None, None] * xs.float()[None, None, :]
    out = out - tilt
    return out - _median(out[:, :, :: max(1, w // 128)])[:, :, None]


def _median(values: torch.Tensor) -> torch.Tensor:
    """Median along the last axis, the mean of the two middle values for an even count."""
    n = values.shape[-1]
    ordered = values.sort(-1).values
    if n % 2:
        return ordered[..., n // 2]
    return (ordered[..., n // 2 - 1] + ordered[..., n // 2]) / 2


def _sample(x: torch.Tensor) -> torch.Tensor:
    """Each plane's even stride of at most about STAT_SAMPLE pixels, as (B, n)."""
    flat = x.reshape(x.shape[0], -1)
    return flat[:, :: max(1, flat.shape[1] // STAT_SAMPLE)]


def unwrap_phase(x: torch.Tensor, period: torch.Tensor) -> torch.Tensor:
    """Cut each plane's phase circle at the minimum of its smoothed histogram.

    `period`: float64 (B,), 360 for degrees or 2 pi for radians.
    """
    p32 = period.to(torch.float32)[:, None]
    values = torch.remainder(_sample(x), p32)
    bins = (values / p32 * PHASE_BINS).to(torch.int64).clamp_(max=PHASE_BINS - 1)
    counts = torch.zeros((x.shape[0], PHASE_BINS), device=x.device, dtype=torch.float64)
    counts.scatter_add_(1, bins, torch.ones_like(bins, dtype=torch.float64))
    half = PHASE_WINDOW // 2
    padded = torch.cat([counts[:, -half:], counts, counts[:, :half]], 1)
    smoothed = padded.unfold(1, PHASE_WINDOW, 1).sum(-1)
    # The first minimum, as numpy's argmin: ties are common (empty arcs sum to 0).
    index = torch.arange(PHASE_BINS, device=x.device).expand_as(smoothed)
    lowest = smoothed == smoothed.min(1, keepdim=True).values
    first = torch.where(lowest, index, PHASE_BINS).min(1).values
    cut = ((first.double() + 0.5) * period / PHASE_BINS).to(torch.float32)
    return torch.remainder(x - cut[:, None, None], p32[:, :, None])


def robust_scale(x: torch.Tensor) -> torch.Tensor:
    """Scale each plane to [0, 1] between its 1st and 99th percentiles, clipped.

    A plane whose percentiles coincide becomes PAD_VALUE, as in the reference.
    """
    ordered = _sample(x).sort(1).values
    last = ordered.shape[1] - 1
    lo = _at_rank(ordered, LOW_PERCENTILE / 100 * last)
    hi = _at_rank(ordered, HIGH_PERCENTILE / 100 * last)
    flat = ~(hi > lo)
    inv = torch.where(flat, torch.ones_like(hi), 1 / (hi - lo)).to(torch.float32)
    scaled = ((x - lo.to(torch.float32)[:, None, None]) * inv[:, None, None]).clamp_(0.0, 1.0)
    return scaled.masked_fill_(flat[:, None, None], PAD_VALUE)


def _at_rank(ordered: torch.Tensor, rank: float) -> torch.Tensor:
    """Linear interpolation between the sorted values around `rank`, in float64."""
    below, above = int(rank // 1), -int(-rank // 1)
    low = ordered[:, below].double()
    return low + (rank - below) * (ordered[:, above].double() - low)


def resize_pad(x: torch.Tensor, size: int) -> torch.Tensor:
    """Long side to `size` (bilinear, antialiased like Pillow), short side padded mid-grey."""
    b, h, w = x.shape
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    if (new_h, new_w) != (h, w):
        x = F.interpolate(x[:, None], size=(new_h, new_w), mode="bilinear",
                          align_corners=False, antialias=True)[:, 0]
    if (new_h, new_w) == (size, size):
        return x
    out = torch.full((b, size, size), PAD_VALUE, device=x.device, dtype=x.dtype)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    out[:, top : top + new_h, left : left + new_w] = x
    return out


def resize_to(x: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of planes (B, H, W) to `shape`, antialiased like Pillow (native path)."""
    if tuple(x.shape[1:]) == shape:
        return x
    return F.interpolate(x[:, None], size=shape, mode="bilinear", align_corners=False,
                         antialias=True)[:, 0]


def prepare_planes(
    x: torch.Tensor, kind: torch.Tensor, period: torch.Tensor, size: Sizing
) -> torch.Tensor:
    """Finite float32 planes (B, H, W) -> uint8 (B, h, w), 0..255 standing for [0, 1]:
    (size, size) padded for a fixed size, the policy's shape for a native one.

    `kind`: (B,) of PLAIN, HEIGHT, PHASE, best on the host (the rows of each kind are
    chosen there: on the GPU, `nonzero` waits for every queued kernel); `period`: float64
    (B,) on x's device, read for PHASE planes.
    """
    x = x.clone()
    kind = kind.cpu()
    for value, step in ((HEIGHT, level_height), (PHASE, None)):
        rows = (kind == value).nonzero().flatten()
        if rows.numel() == 0:
            continue
        rows = rows.to(x.device, non_blocking=True)
        picked = x.index_select(0, rows)
        done = step(picked) if step else unwrap_phase(picked, period.index_select(0, rows))
        x.index_copy_(0, rows, done)
    scaled = robust_scale(x)
    if isinstance(size, SizePolicy):
        planes = resize_to(scaled, size.shape(*x.shape[1:]))
    else:
        planes = resize_pad(scaled, size)
    return torch.round(planes * 255.0).to(torch.uint8)
