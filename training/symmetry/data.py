"""Training and evaluation batches: generated images, photometric noise, crops.

Photometric changes (gamma, contrast inversion, noise, blur) keep every symmetry, so
they are safe augmentations; flips and quarter turns map each group to itself, so
labels survive them too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from symcat.embed.symmetry.model import INPUT_SIZE
from training.symmetry.generate import generate, random_labels


def mixed_batch(n: int, sources: tuple[str, ...], g: torch.Generator, device,
                size: int = 256, max_extra: float | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images split evenly over ``sources``; returns (images, labels).

    ``max_extra`` redraws patterns that come close to a higher group (see ``purity``).
    """
    imgs, labels = [], []
    for k, src in enumerate(sources):
        m = n // len(sources) + (1 if k < n % len(sources) else 0)
        lab = random_labels(m, g, device)
        imgs.append(generate(lab, src, g, size=size, max_extra=max_extra).images)
        labels.append(lab)
    return torch.cat(imgs), torch.cat(labels)


def photometric(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random gamma, inversion, blur and Gaussian noise, per image."""
    n, dev = x.shape[0], x.device
    gamma = torch.exp((torch.rand(n, 1, 1, 1, generator=g, device=dev) - 0.5) * 1.4)
    x = x.clamp(0, 1) ** gamma
    invert = torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.5
    x = torch.where(invert, 1 - x, x)
    blur = torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.3
    k = torch.tensor([0.25, 0.5, 0.25], device=dev)
    xb = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), (k[:, None] * k[None])[None, None])
    x = torch.where(blur, xb, x)
    sigma = torch.rand(n, 1, 1, 1, generator=g, device=dev) * 0.1
    return x + sigma * torch.randn(x.shape, generator=g, device=dev)


def dihedral(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random element of the square's symmetry group (flips, transposition) per image."""
    n, dev = x.shape[0], x.device
    for op in (lambda t: t.flip(-1), lambda t: t.flip(-2), lambda t: t.transpose(-1, -2)):
        mask = torch.rand(n, 1, 1, 1, generator=g, device=dev) < 0.5
        x = torch.where(mask, op(x), x)
    return x


def crop(x: torch.Tensor, g: torch.Generator | None = None, size: int = INPUT_SIZE) -> torch.Tensor:
    """Random (with ``g``) or centre crop to ``size``."""
    h = x.shape[-1]
    if g is None:
        o = (h - size) // 2
        return x[..., o : o + size, o : o + size]
    i, j = torch.randint(0, h - size + 1, (2,), generator=g, device=x.device).tolist()
    return x[..., i : i + size, j : j + size]
