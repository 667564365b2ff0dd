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
  versions after v6;
* distortions of the sampling grid: non-square pixels, shear, slow drift;
* scan artefacts: per-line offsets, missing (repeated or blank) lines, noise, blur;
* partly periodic images (a non-periodic patch over part of the field, label kept);
* a ``none`` class (index 17): non-periodic fields (domain-like thresholded noise,
  labyrinths, smooth backgrounds), so the network learns to say "no lattice".
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.groups import GROUPS
from training.symmetry.data import dihedral, photometric
from training.symmetry.generate import (
    noise_motif,
    pixel_centres,
    sample_field,
    sample_lattices,
    symmetrize,
    texture_motif,
)

NONE_INDEX = len(GROUPS)
FAMILIES = ("noise", "texture", "binary")  # v2-v6's training
ALL_FAMILIES = (*FAMILIES, "lines")
LINES_GRID = 192  # finer than the 64 of the others: lines of 1% of a cell stay symmetric
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
