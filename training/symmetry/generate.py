"""GPU-batched generator of wallpaper-group images, exact by construction.

A random periodic motif is drawn on an ``R x R`` grid of fractional lattice
coordinates and averaged over the group's coset operations. Every operation has
an integer matrix and half-cell shifts, so with ``R`` even it permutes grid points:
the averaged field is invariant *exactly*, with no interpolation. The only
interpolation is the final bilinear read-out at image pixels (through a random
lattice, orientation and origin), whose error the tests measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.groups import GROUPS, LATTICE, max_order, operations
from training.symmetry.textures import texture_bank

SOURCES: tuple[str, ...] = ("noise", "atoms", "texture")


@dataclass
class WallpaperBatch:
    """Images plus the geometry that made them, so symmetry can be checked."""

    images: torch.Tensor  # (N, 1, S, S) in [0, 1]
    labels: torch.Tensor  # (N,) index into GROUPS
    basis: torch.Tensor  # (N, 2, 2) columns a1, a2 in pixels (x = column, y = row)
    origin: torch.Tensor  # (N, 2) pixel position of the fractional origin
    field: torch.Tensor  # (N, R, R) symmetrised motif on the fractional grid

    def pattern_at(self, points: torch.Tensor) -> torch.Tensor:
        """Continuous pattern (before image normalisation) at ``(N, P, 2)`` pixel points."""
        return sample_field(self.field, self.basis, self.origin, points)


@lru_cache(maxsize=8)
def _coset_tables(grid: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Gather indices ``(17, M, R*R)`` and weights ``(17, M)`` of each group's operations."""
    if grid % 2:
        raise ValueError(f"grid must be even so half-cell shifts land on grid points, got {grid}")
    m = max_order()
    i, j = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    idx = torch.zeros(len(GROUPS), m, grid * grid, dtype=torch.long)
    weight = torch.zeros(len(GROUPS), m)
    for g, name in enumerate(GROUPS):
        for k in range(m):
            idx[g, k] = (i * grid + j).flatten()  # identity padding, weight 0
        for k, op in enumerate(operations(name)):
            (a, b), (c, d) = op.matrix
            i2 = (a * i + b * j + int(op.shift[0] * grid)) % grid
            j2 = (c * i + d * j + int(op.shift[1] * grid)) % grid
            idx[g, k] = (i2 * grid + j2).flatten()
            weight[g, k] = 1.0
    return idx.to(device), weight.to(device)


def symmetrize(motif: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Average a ``(N, R, R)`` periodic motif over each sample's group operations."""
    n, r, _ = motif.shape
    idx, weight = _coset_tables(r, str(motif.device))
    sel, w = idx[labels], weight[labels]
    flat = motif.reshape(n, 1, r * r).expand(n, sel.shape[1], r * r)
    vals = torch.gather(flat, 2, sel)
    out = (vals * w[:, :, None]).sum(1) / w.sum(1, keepdim=True)
    return out.reshape(n, r, r)


_LATTICE_CODE = {"oblique": 0, "rectangular": 1, "centred": 2, "square": 3, "hexagonal": 4}


@lru_cache(maxsize=8)
def _lattice_codes(device: str) -> torch.Tensor:
    return torch.tensor([_LATTICE_CODE[LATTICE[name]] for name in GROUPS], device=device)


def _uniform(n: int, lo: float, hi: float, g: torch.Generator, device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, device=device)


def sample_lattices(labels: torch.Tensor, g: torch.Generator, min_len: float,
                    max_len: float) -> torch.Tensor:
    """Random lattice basis per label within its lattice type, randomly rotated.

    Returns ``(N, 2, 2)`` with columns a1, a2 (pixels). Shapes that would fake a
    higher lattice (oblique near 90 degrees, rectangles near square, centred
    cells near hexagonal) are pushed away so the lattice never adds symmetry.
    """
    dev = labels.device
    n = labels.numel()
    kind = _lattice_codes(str(dev))[labels]
    a = _uniform(n, min_len, max_len, g, dev)
    ratio = _uniform(n, 0.55, 1.0, g, dev)
    r = 1.0 - _uniform(n, 0.12, 0.45, g, dev)  # rectangles stay away from squares
    near_hex = (kind == 2) & ((r - 1 / math.sqrt(3)).abs() < 0.06)
    r = torch.where(near_hex, torch.full_like(r, 1 / math.sqrt(3) + 0.06), r)
    swap = torch.rand(n, generator=g, device=dev) < 0.5
    obl = _uniform(n, math.radians(66), math.radians(84), g, dev)
    obl = torch.where(torch.rand(n, generator=g, device=dev) < 0.5, obl, math.pi - obl)
    rect = (kind == 1) | (kind == 2)
    b = torch.where(kind == 0, a * ratio, torch.where(rect, a * r, a))
    a, b = torch.where(rect & swap, b, a), torch.where(rect & swap, a, b)
    gamma = torch.where(kind == 0, obl, torch.where(kind == 4, 2 * math.pi / 3, math.pi / 2))
    b = b.clamp(min=min_len * 0.75)
    a1 = torch.stack([a, torch.zeros_like(a)], -1)
    a2 = torch.stack([b * torch.cos(gamma), b * torch.sin(gamma)], -1)
    basis = torch.stack([a1, a2], -1)  # (N, 2, 2), columns
    theta = _uniform(n, 0.0, 2 * math.pi, g, dev)
    c, s = torch.cos(theta), torch.sin(theta)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)
    return rot @ basis


def _frac_grid(r: int, device) -> torch.Tensor:
    t = torch.arange(r, device=device, dtype=torch.float32) / r
    return torch.stack(torch.meshgrid(t, t, indexing="ij"), -1)  # (R, R, 2)


def noise_motif(basis: torch.Tensor, r: int, g: torch.Generator,
                sigma_cells: tuple[float, float] = (0.025, 0.08),
                min_sigma_px: float = 1.5) -> torch.Tensor:
    """Smooth periodic Gaussian random field, isotropic in real space: correlation length
    ``sigma_cells`` of the cell's edge, and at least ``min_sigma_px`` pixels (band-limited
    at the pixel; 0 lets details fall under a pixel, which sampling then aliases)."""
    n, dev = basis.shape[0], basis.device
    white = torch.randn(n, r, r, generator=g, device=dev)
    k = torch.fft.fftfreq(r, d=1.0 / r, device=dev)
    kk = torch.stack(torch.meshgrid(k, k, indexing="ij"), -1)  # cycles per cell
    q = torch.einsum("nba,ijb->nija", torch.linalg.inv(basis), kk)  # cycles per pixel
    area = torch.linalg.det(basis).abs().sqrt()
    sigma = torch.clamp(_uniform(n, *sigma_cells, g, dev) * area, min=min_sigma_px)
    filt = torch.exp(-2 * math.pi**2 * sigma[:, None, None] ** 2 * (q**2).sum(-1))
    field = torch.fft.ifft2(torch.fft.fft2(white) * filt).real
    field = (field - field.mean((1, 2), keepdim=True)) / (field.std((1, 2), keepdim=True) + 1e-6)
    gain = _uniform(n, 0.5, 4.0, g, dev)[:, None, None]
    squash = (torch.rand(n, generator=g, device=dev) < 0.5)[:, None, None]
    return torch.where(squash, torch.tanh(gain * field), field)


def _general_positions(basis: torch.Tensor, labels: torch.Tensor, sigma: torch.Tensor,
                       g: torch.Generator, count: int, tries: int = 16) -> torch.Tensor:
    """Random fractional atom positions kept away from the group's special positions.

    An atom sitting on a mirror or rotation centre merges with its own images and
    often gives the pattern a higher symmetry than its label; such candidates
    (nearest image closer than 2.5 sigma) are redrawn, up to ``tries`` times.
    """
    n, dev = basis.shape[0], basis.device
    mats, shifts, valid = _op_arrays(str(dev))
    cand = torch.rand(n, count, tries, 2, generator=g, device=dev)
    a, t, v = mats[labels], shifts[labels], valid[labels]  # (N,M,2,2), (N,M,2), (N,M)
    img = torch.einsum("nmab,nktb->nktma", a, cand) + t[:, None, None]
    d = img - cand[..., None, :]
    d = d - torch.round(d)
    dist = torch.einsum("nab,nktmb->nktma", basis, d).norm(dim=-1)  # (N, A, T, M)
    dist = torch.where(v[:, None, None, :], dist, torch.full_like(dist, float("inf")))
    ok = dist.amin(-1) > 2.5 * sigma[:, :, None]
    first = ok.float().argmax(-1)  # first good candidate, else the first one
    return torch.gather(cand, 2, first[:, :, None, None].expand(n, count, 1, 2))[:, :, 0]


@lru_cache(maxsize=8)
def _op_arrays(device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Non-identity coset operations as ``(17, M, 2, 2)`` matrices, shifts and a mask."""
    m = max_order()
    mats = torch.zeros(len(GROUPS), m, 2, 2)
    shifts = torch.zeros(len(GROUPS), m, 2)
    valid = torch.zeros(len(GROUPS), m, dtype=torch.bool)
    for gi, name in enumerate(GROUPS):
        for k, op in enumerate(operations(name)[1:]):
            mats[gi, k] = torch.tensor(op.matrix, dtype=torch.float32)
            shifts[gi, k] = torch.tensor([float(x) for x in op.shift])
            valid[gi, k] = True
    return mats.to(device), shifts.to(device), valid.to(device)


def atom_motif(basis: torch.Tensor, labels: torch.Tensor, r: int, g: torch.Generator,
               max_atoms: int = 5) -> torch.Tensor:
    """Gaussian blobs of 1 to 3 species at general positions (periodic images summed).

    Isotropic blobs carry symmetry of their own: one atom per cell is centrosymmetric
    (p1 becomes p2), one atom in pm sits on a row that adds a mirror (pm becomes pmm).
    So each asymmetric unit gets at least 3 atoms in groups of order up to 4 and at
    least 2 in the larger ones, which makes such accidents rare (see the tests).
    """
    n, dev = basis.shape[0], basis.device
    order = _op_arrays(str(dev))[2].sum(1)[labels] + 1
    least = torch.where(order <= 4, 3, 2)
    count = least + torch.randint(0, 3, (n,), generator=g, device=dev)
    n_species = torch.randint(1, 4, (n,), generator=g, device=dev)
    species = torch.randint(0, 3, (n, max_atoms), generator=g, device=dev) % n_species[:, None]
    lengths = basis.norm(dim=1).min(1).values
    sig_s = _uniform(n * 3, 0.04, 0.11, g, dev).reshape(n, 3) * lengths[:, None]
    sig_s = sig_s.clamp(min=1.2)
    amp_s = _uniform(n * 3, 0.4, 1.0, g, dev).reshape(n, 3)
    amp_s = amp_s * torch.where(torch.rand(n, 3, generator=g, device=dev) < 0.2, -1.0, 1.0)
    sig = torch.gather(sig_s, 1, species)
    amp = torch.gather(amp_s, 1, species)
    present = torch.arange(max_atoms, device=dev)[None] < count[:, None].clamp(max=max_atoms)
    amp = amp * present
    centre = _general_positions(basis, labels, sig, g, max_atoms)
    d = _frac_grid(r, dev)[None, None] - centre[:, :, None, None, :]  # (N, A, R, R, 2)
    d = d - torch.round(d)
    out = torch.zeros(n, r, r, device=dev)
    for s1 in (-1, 0, 1):
        for s2 in (-1, 0, 1):
            shift = torch.tensor([s1, s2], device=dev, dtype=d.dtype)
            x = torch.einsum("nab,nkijb->nkija", basis, d + shift)
            dist2 = (x**2).sum(-1)
            blob = torch.exp(-dist2 / (2 * sig[:, :, None, None] ** 2))
            out += (amp[:, :, None, None] * blob).sum(1)
    return out


def texture_motif(basis: torch.Tensor, r: int, g: torch.Generator,
                  bank: torch.Tensor | None = None) -> torch.Tensor:
    """Seamless periodic motif from four natural-texture crops blended by a partition of unity."""
    n, dev = basis.shape[0], basis.device
    bank = texture_bank(dev) if bank is None else bank
    side = bank.shape[-1]
    pick = torch.randint(0, bank.shape[0], (n,), generator=g, device=dev)
    scale = _uniform(n, 0.8, 1.8, g, dev)
    phi = _uniform(n, 0.0, 2 * math.pi, g, dev)
    c, s = torch.cos(phi), torch.sin(phi)
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)
    m = scale[:, None, None] * (rot @ basis)  # fractional offset -> texture pixels
    centre = side / 2 + _uniform(n * 2, -side / 8, side / 8, g, dev).reshape(n, 2)
    u = _frac_grid(r, dev)
    out = torch.zeros(n, r, r, device=dev)
    src = bank[pick]
    for o1 in (0, 1):
        for o2 in (0, 1):
            v = u + torch.tensor([o1, o2], device=dev, dtype=u.dtype)  # in [0, 2)
            w = (torch.sin(math.pi * v[..., 0] / 2) * torch.sin(math.pi * v[..., 1] / 2)) ** 2
            pos = torch.einsum("nab,ijb->nija", m, v - 1.0) + centre[:, None, None, :]
            grid = pos / side * 2 - 1  # (x, y) order matches grid_sample
            val = F.grid_sample(src, grid, mode="bilinear", padding_mode="reflection",
                                align_corners=False)[:, 0]
            out += w[None] * val
    return out


def sample_field(field: torch.Tensor, basis: torch.Tensor, origin: torch.Tensor,
                 points: torch.Tensor) -> torch.Tensor:
    """Bilinear read-out of the periodic ``(N, R, R)`` field at ``(N, P, 2)`` pixel points."""
    n, r, _ = field.shape
    frac = torch.einsum("nab,npb->npa", torch.linalg.inv(basis), points - origin[:, None, :])
    frac = frac - torch.floor(frac)
    padded = torch.cat([field, field[:, :1]], 1)
    padded = torch.cat([padded, padded[:, :, :1]], 2)[:, None]  # (N, 1, R+1, R+1)
    grid = torch.stack([frac[..., 1], frac[..., 0]], -1) * 2 - 1  # W <- u2, H <- u1
    out = F.grid_sample(padded, grid[:, :, None, :], mode="bilinear", align_corners=True)
    return out[:, 0, :, 0]


def pixel_centres(size: int, device) -> torch.Tensor:
    """``(size*size, 2)`` pixel-centre coordinates (x = column, y = row), row-major."""
    t = torch.arange(size, device=device, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], -1)


def generate(labels: torch.Tensor, source: str, g: torch.Generator, size: int = 256,
             grid: int = 64, min_cells: float = 4.0, min_len: float = 20.0,
             max_extra: float | None = None) -> WallpaperBatch:
    """Render one image per label from motif ``source`` (one of :data:`SOURCES`).

    Lattice vectors are at most ``size / min_cells`` pixels long, so every image
    spans at least ``min_cells`` cells along each lattice direction. With
    ``max_extra``, patterns whose :func:`~training.symmetry.purity.extra_symmetry`
    reaches it are redrawn (up to 8 times) so labels are unambiguous.
    """
    batch = _generate(labels, source, g, size, grid, min_cells, min_len)
    if max_extra is None:
        return batch
    from training.symmetry.purity import extra_symmetry

    for _ in range(8):
        bad = (extra_symmetry(batch.field, labels) >= max_extra).nonzero()[:, 0]
        if bad.numel() == 0:
            break
        redo = _generate(labels[bad], source, g, size, grid, min_cells, min_len)
        for name in ("images", "basis", "origin", "field"):
            getattr(batch, name)[bad] = getattr(redo, name)
    return batch


def _generate(labels: torch.Tensor, source: str, g: torch.Generator, size: int, grid: int,
              min_cells: float, min_len: float) -> WallpaperBatch:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    dev = labels.device
    n = labels.numel()
    basis = sample_lattices(labels, g, min_len, size / min_cells)
    if source == "noise":
        motif = noise_motif(basis, grid, g)
    elif source == "atoms":
        motif = atom_motif(basis, labels, grid, g)
    else:
        motif = texture_motif(basis, grid, g)
    field = symmetrize(motif, labels)
    origin = torch.rand(n, 2, generator=g, device=dev) * size
    pts = pixel_centres(size, dev)[None].expand(n, -1, -1)
    img = sample_field(field, basis, origin, pts).reshape(n, 1, size, size)
    lo = img.amin((2, 3), keepdim=True)
    hi = img.amax((2, 3), keepdim=True)
    img = (img - lo) / (hi - lo + 1e-6)
    return WallpaperBatch(img, labels, basis, origin, field)


def random_labels(n: int, g: torch.Generator, device) -> torch.Tensor:
    """Uniform random group indices."""
    return torch.randint(0, len(GROUPS), (n,), generator=g, device=device)
