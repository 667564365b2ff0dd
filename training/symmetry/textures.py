"""Natural-texture bank from images that ship inside scikit-image (no download).

Images that look like isolated blobs (star fields, coins, binary blobs) are left
out on purpose: the cross-source test uses Gaussian "atom" motifs that training
must never have seen, and blob-like textures would leak that source.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

TEXTURE_NAMES: tuple[str, ...] = (
    "brick", "grass", "gravel", "camera", "moon", "astronaut", "coffee", "chelsea",
    "immunohistochemistry", "rocket", "retina", "cell", "clock", "text", "page", "colorwheel",
)

_CACHE: dict[tuple[str, int], torch.Tensor] = {}


def _load(name: str) -> np.ndarray:
    import skimage.data
    from skimage.color import rgb2gray

    im = getattr(skimage.data, name)()
    if im.ndim == 3:
        im = rgb2gray(im[..., :3])
    im = im.astype(np.float32)
    if im.max() > 1.5:
        im = im / 255.0
    return im


def texture_bank(device: torch.device | str = "cpu", side: int = 384) -> torch.Tensor:
    """Return a ``(K, 1, side, side)`` float tensor of grey textures, standardised per image.

    Each image is resized so its short side is ``side`` and centre-cropped square.
    Cached per device so training pays the cost once. Where scikit-image is missing (the
    GPU machine), ``SYMCAT_TEXTURE_BANK`` names a file saved by ``torch.save`` of it.
    """
    key = (str(device), side)
    saved = os.environ.get("SYMCAT_TEXTURE_BANK")  # a torch.save of this bank (no skimage)
    if key not in _CACHE and saved and side == 384:
        _CACHE[key] = torch.load(saved).float().to(device)
    if key not in _CACHE:
        tiles = []
        for name in TEXTURE_NAMES:
            t = torch.from_numpy(_load(name))[None, None]
            h, w = t.shape[-2:]
            s = side / min(h, w)
            t = F.interpolate(t, size=(max(side, round(h * s)), max(side, round(w * s))),
                              mode="bilinear", antialias=True, align_corners=False)
            h, w = t.shape[-2:]
            top, left = (h - side) // 2, (w - side) // 2
            t = t[..., top : top + side, left : left + side]
            t = (t - t.mean()) / (t.std() + 1e-6)
            tiles.append(t)
        _CACHE[key] = torch.cat(tiles).to(device)
    return _CACHE[key]
