"""Widened training batches for ``symcat_symmetry.v2`` (issue 12).

v1 saw 256-px images with cells of 20 to 64 px, centre-cropped to 224. v2 sees what
the runtime extractor feeds it (``symcat.embed.symmetry.lattice``): the scan rescaled
so that its cells are about 20 to 64 px, as a square of 64 to 224 px (fewer cells
across means a smaller input, never an upscaled cell), plus a share of "raw" 224-px
views with 2 to 50 cells across (the fallback when no scale is found). On top:

* motif families ``noise``, ``texture`` and ``binary`` (thresholded: domain-like edges);
  ``atoms`` stays out of training for evaluation, and the benchmark's glyph generator
  (benchmarks/symmetry_eval.py) is independent code. ``lines`` (thin contour lines of a
  symmetric random field, 1-10% of a cell wide, not band-limited at the pixel, so small
  cells alias as a point-sampling generator's do) is opt-in (``families=``), for
  versions after v6; so is ``waves`` (a few plane waves of the cell, smooth and often
  close to a higher group: ``plane_waves``), for versions after v14;
* distortions of the sampling grid: non-square pixels, shear, slow drift;
* scan artefacts: per-line offsets, missing (repeated or blank) lines, noise, blur;
* partly periodic images (a non-periodic patch over part of the field, label kept);
* a ``none`` class (index 17): non-periodic fields (domain-like thresholded noise,
  labyrinths, smooth backgrounds), so the network learns to say "no lattice".
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.groups import GROUPS, operations
from training.symmetry.data import dihedral, photometric
from training.symmetry.generate import (
    _frac_grid,
    noise_motif,
    pixel_centres,
    sample_field,
    sample_lattices,
    symmetrize,
    texture_motif,
)
from training.symmetry.purity import extra_symmetry

NONE_INDEX = len(GROUPS)
FAMILIES = ("noise", "texture", "binary")  # v2-v6's training
ALL_FAMILIES = (*FAMILIES, "lines", "waves")
LINES_GRID = 192  # finer than the 64 of the others: lines of 1% of a cell stay symmetric
WAVES_INDEX = 4  # candidate plane waves (h, k) of the cell with |h|, |k| <= 4
WAVES_MAX_WAVES = 10
WAVES_PURE_BELOW = 0.97  # redraw waves this close to a higher group or a smaller cell
WAVES_TRIES = 8
SIDES = (64, 96, 128, 160, 192, 224)


def _u(n: int, lo: float, hi: float, g: torch.Generator, dev) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, device=dev)


def _bandpass_field(n: int, side: int, g: torch.Generator, dev) -> torch.Tensor:
    """Non-periodic random fields: low-pass (blobs, domains) or ring-filtered (labyrinths)."""
    white = torch.randn(n, side, side, generator=g, device=dev)
    k = torch.fft.fftfreq(side, device=dev)
    kr = (k[:, None] ** 2 + k[None, :] ** 2).sqrt()[None]
    k0 = _u(n, 1 / 60, 1 / 6, g, dev)[:, None, None]
    width = k0 * _u(n, 0.1, 0.5, g, dev)[:, None, None]
    ring = torch.exp(-0.5 * ((kr - k0) / width) ** 2)
    low = torch.exp(-0.5 * (kr / k0) ** 2)
    use_ring = (torch.rand(n, generator=g, device=dev) < 0.5)[:, None, None]
    f = torch.fft.ifft2(torch.fft.fft2(white) * torch.where(use_ring, ring, low)).real
    return (f - f.mean((1, 2), keepdim=True)) / (f.std((1, 2), keepdim=True) + 1e-6)


def non_periodic(n: int, side: int, g: torch.Generator, dev) -> torch.Tensor:
    """``(n, 1, side, side)`` images in [0, 1] with no lattice: the ``none`` class."""
    f = _bandpass_field(n, side, g, dev)
    thr = (torch.rand(n, generator=g, device=dev) < 0.6)[:, None, None]
    bias = _u(n, -0.5, 0.5, g, dev)[:, None, None]
    f = torch.where(thr, torch.tanh(8 * (f - bias)), f)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, side, device=dev),
                            torch.linspace(-1, 1, side, device=dev), indexing="ij")
    tilt = _u(n * 2, -1, 1, g, dev).reshape(n, 2, 1, 1)
    grad = (torch.rand(n, generator=g, device=dev) < 0.3)[:, None, None]
    f = f + torch.where(grad, tilt[:, 0] * xx + tilt[:, 1] * yy, torch.zeros_like(f))
    return _unit(f[:, None])


def _unit(x: torch.Tensor) -> torch.Tensor:
    lo = x.amin((2, 3), keepdim=True)
    hi = x.amax((2, 3), keepdim=True)
    return (x - lo) / (hi - lo + 1e-6)


def _warped_points(n: int, side: int, g: torch.Generator, dev, strength: float) -> torch.Tensor:
    """Pixel centres after non-square pixels, shear and slow drift (``strength`` 0 = none)."""
    pts = pixel_centres(side, dev)[None].expand(n, -1, -1).clone()
    c = side / 2
    x, y = pts[..., 0] - c, pts[..., 1] - c
    on = (torch.rand(n, generator=g, device=dev) < 0.6).float() * strength
    aspect = 1 + on * _u(n, -0.15, 0.15, g, dev)
    shear = on * _u(n, -0.08, 0.08, g, dev)
    drift = on * _u(n, -0.04, 0.04, g, dev) * side
    phase = _u(n, 0, 2 * math.pi, g, dev)
    yn = y / side
    x2 = x * aspect[:, None] + shear[:, None] * y + drift[:, None] * torch.sin(
        2 * math.pi * 0.5 * yn + phase[:, None])
    y2 = y + drift[:, None] * 0.5 * yn**2
    return torch.stack([x2 + c, y2 + c], -1)


def scan_artefacts(x: torch.Tensor, g: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """Per-line offsets and missing lines (rows = scan lines), on some images."""
    n, _, h, _ = x.shape
    dev = x.device
    on = (torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.5).float() * strength
    offs = torch.randn(n, 1, h, 1, generator=g, device=dev) * _u(n, 0, 0.1, g, dev)[
        :, None, None, None]
    x = x + on * offs
    miss = (torch.rand(n, 1, h, 1, generator=g, device=dev)
            < _u(n, 0, 0.05, g, dev)[:, None, None, None]) & (on > 0)
    prev = torch.cat([x[:, :, :1], x[:, :, :-1]], 2)
    blank = (torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.5)
    fill = torch.where(blank, x.mean((2, 3), keepdim=True).expand_as(x), prev)
    return torch.where(miss, fill, x)


def partly_periodic(x: torch.Tensor, g: torch.Generator, frac: float = 0.25) -> torch.Tensor:
    """On ``frac`` of the images, a non-periodic patch covers up to ~35% of the field."""
    n, _, side, _ = x.shape
    dev = x.device
    other = non_periodic(n, side, g, dev)
    m = _bandpass_field(n, side, g, dev)[:, None]
    m = F.avg_pool2d(m, 5, 1, 2)
    thr = torch.quantile(m.flatten(1), 0.7, dim=1)[:, None, None, None]
    mask = torch.sigmoid((m - thr) * 6)
    on = (torch.rand(n, 1, 1, 1, generator=g, device=dev) < frac).float()
    return x * (1 - on * mask) + other * on * mask


def periodic(labels: torch.Tensor, family: str, side: int, g: torch.Generator,
             min_len: float, max_len: float, distort: float = 1.0,
             grid: int = 64) -> torch.Tensor:
    """``(n, 1, side, side)`` wallpaper images of ``labels`` with cells in [min_len, max_len]."""
    n, dev = labels.numel(), labels.device
    basis = sample_lattices(labels, g, min_len, max_len)
    if family == "lines":
        field = contour_lines(basis, labels, g)
    elif family == "waves":
        field = plane_waves(basis, labels, g, grid)
    else:
        motif = (texture_motif(basis, grid, g) if family == "texture"
                 else noise_motif(basis, grid, g))
        field = symmetrize(motif, labels)
    origin = torch.rand(n, 2, generator=g, device=dev) * side
    pts = _warped_points(n, side, g, dev, distort)
    img = _unit(sample_field(field, basis, origin, pts).reshape(n, 1, side, side))
    if family == "binary":
        med = img.flatten(1).median(1).values[:, None, None, None]
        img = torch.sigmoid((img - med) * _u(n, 10, 40, g, dev)[:, None, None, None])
    return img


def contour_lines(basis: torch.Tensor, labels: torch.Tensor,
                  g: torch.Generator) -> torch.Tensor:
    """``(N, R, R)`` motif of thin lines: the level set of a symmetrised random field
    (correlation length 4-12% of a cell, never clamped to a pixel), drawn ``exp(-(f /
    w)^2)`` with w 0.1-0.4 standard deviations (lines about 1-10% of a cell wide), bright
    or dark. A pointwise function of a symmetric field keeps its symmetry exactly."""
    n, dev = labels.numel(), labels.device
    f = symmetrize(noise_motif(basis, LINES_GRID, g, (0.04, 0.12), 0.0), labels)
    f = (f - f.mean((1, 2), keepdim=True)) / (f.std((1, 2), keepdim=True) + 1e-6)
    level = _u(n, -0.5, 0.5, g, dev)[:, None, None]
    w = _u(n, 0.1, 0.4, g, dev)[:, None, None]
    lines = torch.exp(-(((f - level) / w) ** 2))
    dark = (torch.rand(n, generator=g, device=dev) < 0.5)[:, None, None]
    return torch.where(dark, 1 - lines, lines)


@lru_cache(maxsize=4)
def _wave_indices(device: str) -> torch.Tensor:
    """``(C, 2)`` wave indices (h, k), one of each +- pair (a random phase covers both)."""
    r = range(-WAVES_INDEX, WAVES_INDEX + 1)
    hk = [(h, k) for h in r for k in r if h > 0 or (h == 0 and k > 0)]
    return torch.tensor(hk, dtype=torch.float32, device=device)


def _draw_waves(basis: torch.Tensor, labels: torch.Tensor, g: torch.Generator,
                grid: int, reach: float = 0.0) -> torch.Tensor:
    """Symmetrised sums of 3-10 plane waves on the ``(N, grid, grid)`` fractional grid;
    ``reach`` raises the highest order allowed (redraws: see ``plane_waves``)."""
    n, dev = labels.numel(), labels.device
    hk = _wave_indices(str(dev))
    # a wave's order: its wavenumber in units of one over the cell's mean edge (the square
    # root of its area), so that "order" means the same on every lattice shape
    q = torch.einsum("nba,cb->nca", torch.linalg.inv(basis), hk)  # cycles per pixel
    order = q.norm(dim=-1) * torch.linalg.det(basis).abs().sqrt()[:, None]
    top = _u(n, 1.8, 3.3, g, dev)[:, None] + reach  # highest order allowed
    bias = _u(n, 0.0, 1.5, g, dev)[:, None]  # preference for low orders
    gumbel = -torch.log(-torch.log(torch.rand(order.shape, generator=g, device=dev)
                                   .clamp(1e-9, 1 - 1e-9)))
    score = torch.where(order <= top, gumbel - bias * order, torch.full_like(order, -math.inf))
    best, pick = score.topk(WAVES_MAX_WAVES, dim=1)
    count = torch.randint(3, WAVES_MAX_WAVES + 1, (n, 1), generator=g, device=dev)
    keep = (torch.arange(WAVES_MAX_WAVES, device=dev)[None] < count) & torch.isfinite(best)
    fall = _u(n, 0.5, 2.0, g, dev)[:, None]  # amplitude ~ order^-fall
    amp = torch.gather(order, 1, pick) ** -fall * _u(n * WAVES_MAX_WAVES, 0.3, 1.0, g, dev
                                                     ).reshape(n, -1) * keep
    phase = _u(n * WAVES_MAX_WAVES, 0, 2 * math.pi, g, dev).reshape(n, -1)
    arg = 2 * math.pi * torch.einsum("nwb,ijb->nwij", hk[pick], _frac_grid(grid, dev))
    motif = (amp[:, :, None, None] * torch.cos(arg + phase[:, :, None, None])).sum(1)
    field = symmetrize(motif, labels)
    # a flat sum (every wave extinct under the group) is marked by std 0 and redrawn
    spread = field.std((1, 2), keepdim=True)
    ok = spread > 0.05 * motif.std((1, 2), keepdim=True)
    field = torch.where(ok, (field - field.mean((1, 2), keepdim=True)) / (spread + 1e-6),
                        torch.zeros_like(field))
    squash = (torch.rand(n, generator=g, device=dev) < 0.3)[:, None, None]
    gain = _u(n, 0.7, 3.0, g, dev)[:, None, None]
    return torch.where(squash, torch.tanh(gain * field), field)


@lru_cache(maxsize=4)
def _subcell_tables(grid: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Fractional translations (i/d, j/d), d <= 6, as ``cos(2 pi (h t1 + k t2))`` over the
    ``grid x grid`` FFT bins ``(R*R, T)``, and which of them each group has ``(17, T)``
    (the centring translation of cm and cmm)."""
    ts = sorted({((i % d) / d, (j % d) / d) for d in range(2, 7) for i in range(d)
                 for j in range(d)} - {(0.0, 0.0)})
    t = torch.tensor(ts, dtype=torch.float64)
    f = torch.fft.fftfreq(grid, d=1.0 / grid, dtype=torch.float64)
    h, k = torch.meshgrid(f, f, indexing="ij")
    table = torch.cos(2 * math.pi * (h.reshape(-1, 1) * t[:, 0] + k.reshape(-1, 1) * t[:, 1]))
    own = torch.zeros(len(GROUPS), len(ts), dtype=torch.bool)
    for gi, name in enumerate(GROUPS):
        for op in operations(name):
            if op.matrix == ((1, 0), (0, 1)) and any(op.shift):
                own[gi] |= ((t - torch.tensor([float(x) for x in op.shift],
                                              dtype=torch.float64)).abs() < 1e-9).all(1)
    return table.float().to(device), own.to(device)


def smaller_cell(field: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Best correlation (-1..1) of each ``(N, R, R)`` field with itself moved by a fraction
    (i/d, j/d) of its cell, d <= 6, that is not its group's own translation: 1 when the
    pattern repeats on a smaller cell than its label's."""
    n, r, _ = field.shape
    table, own = _subcell_tables(r, str(field.device))
    power = torch.fft.fft2(field - field.mean((1, 2), keepdim=True)).abs().square()
    corr = power.reshape(n, r * r) @ table / (power.reshape(n, -1).sum(1, keepdim=True) + 1e-12)
    return torch.where(own[labels], torch.full_like(corr, -1.0), corr).amax(1)


def plane_waves(basis: torch.Tensor, labels: torch.Tensor, g: torch.Generator,
                grid: int = 64) -> torch.Tensor:
    """``(N, R, R)`` motif of a few plane waves of the cell (the ``waves`` family): 3-10
    waves (h, k) drawn among those of order (wavenumber times the square root of the cell's
    area) up to 1.8-3.3, low orders preferred by a random bias, amplitudes falling as
    order^-(0.5-2), random phases; averaged over the label's group, standardised, and on
    30% squashed by tanh (a pointwise function keeps the symmetry, adds none).

    Smooth and with few degrees of freedom, such patterns often come near a higher group.
    So that the label stays the pattern's own, draws that correlate ``WAVES_PURE_BELOW`` or
    more with themselves under a point operation their group lacks
    (``purity.extra_symmetry``) or moved by a fraction of the cell (``smaller_cell``), or
    that are flat, are drawn again (up to ``WAVES_TRIES`` times, then a noise motif takes
    their place). Near-supergroup draws under that bar are kept: they are what the family
    is for."""
    field = _draw_waves(basis, labels, g, grid)
    for attempt in range(WAVES_TRIES + 1):
        bad = ((extra_symmetry(field, labels) >= WAVES_PURE_BELOW)
               | (smaller_cell(field, labels) >= WAVES_PURE_BELOW)
               | (field.std((1, 2)) < 1e-3))
        idx = bad.nonzero()[:, 0]
        if idx.numel() == 0:
            break
        if attempt == WAVES_TRIES:
            field[idx] = symmetrize(noise_motif(basis[idx], grid, g), labels[idx])
        else:
            field[idx] = _draw_waves(basis[idx], labels[idx], g, grid, 0.25 * (attempt + 1))
    return field


def widened_batch(n: int, g: torch.Generator, dev, none_frac: float = 0.15,
                  raw_frac: float = 0.2, distort: float = 1.0,
                  families: tuple[str, ...] = FAMILIES,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """One training batch: (images ``(n, 1, S, S)``, labels in 0..17), S drawn per batch."""
    raw = torch.rand(1, generator=g, device=dev).item() < raw_frac
    if raw:
        side = 224
        cells = math.exp(_u(1, math.log(2), math.log(50), g, dev).item())
        hi = side / cells
        lo, hi = max(3.0, hi * 0.6), max(4.0, hi)
    else:
        side = SIDES[int(torch.randint(len(SIDES), (1,), generator=g, device=dev))]
        lo, hi = 18.0, min(72.0, side / 1.6)
    x, y = scans(n, side, g, dev, lo, hi, none_frac, distort, families)
    return dihedral(x, g), y


def scans(n: int, side: int, g: torch.Generator, dev, lo: float, hi: float,
          none_frac: float, distort: float, families: tuple[str, ...] = FAMILIES,
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` labelled ``side``-px scans with cell edges in ``lo``-``hi`` px: every motif
    family, partly periodic ones, ``none_frac`` non-periodic, photometric changes and scan
    artefacts (the widened batches, and training.symmetry.small_views before enlarging)."""
    labels = torch.randint(0, NONE_INDEX, (n,), generator=g, device=dev)
    parts = []
    for k, fam in enumerate(families):
        sel = labels[k::len(families)]
        if len(sel):  # a batch of fewer images than families leaves one out
            parts.append((sel, periodic(sel, fam, side, g, lo, hi, distort)))
    y = torch.cat([p[0] for p in parts])
    x = torch.cat([p[1] for p in parts])
    x = partly_periodic(x, g)
    is_none = torch.rand(n, generator=g, device=dev) < none_frac
    x = torch.where(is_none[:, None, None, None], non_periodic(n, side, g, dev), x)
    y = torch.where(is_none, torch.full_like(y, NONE_INDEX), y)
    return scan_artefacts(photometric(x, g), g, distort), y
