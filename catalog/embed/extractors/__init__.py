"""Built-in extractors: each module registers its names; builders import torch lazily.

Every extractor is a torch module taking ``(N, 3, S, S)`` float images in [0, 1] (the
output of `symcat.embed.preprocess`, divided by 255) and returning ``(N, dim)`` raw
features; the caller mean-centres and L2-normalizes them (`center_normalize`).
"""

from __future__ import annotations

from typing import Any


def center_normalize(features: Any) -> Any:
    """Subtract each vector's own mean, divide by its length: cosine = correlation.

    Works on a torch tensor or a numpy array of shape (N, d); a constant vector
    becomes all zeros rather than NaN.
    """
    if hasattr(features, "detach"):  # torch
        centred = features - features.mean(-1, keepdim=True)
        return centred / (centred.norm(dim=-1, keepdim=True) + 1e-12)
    centred = features - features.mean(-1, keepdims=True)
    return centred / (((centred * centred).sum(-1, keepdims=True) ** 0.5) + 1e-12)


def forward(extractor: Any, images: Any, device: str) -> Any:
    """One batch (N, 3, S, S) through an extractor: centred, unit float32 vectors as numpy.

    `images` are uint8 (as `preprocess` makes them; converted to [0, 1] on the device,
    after the 4x smaller transfer) or float in [0, 1]. On a GPU the batch runs
    channels-last under fp16 autocast (the vectors are stored in half precision anyway).
    """
    return forward_tensor(extractor, images, device).cpu().numpy()


def forward_tensor(extractor: Any, images: Any, device: str) -> Any:
    """`forward` without the copy back: the (N, dim) float32 vectors stay on the device,
    so a GPU caller can queue the next batch before waiting for this one."""
    import torch

    with torch.inference_mode():
        x = images.to(device, non_blocking=True)
        if x.dtype == torch.uint8:
            x = x.float().div_(255.0)
        if device.startswith("cuda"):
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast("cuda", dtype=torch.float16):
                features = extractor(x)
        else:
            features = extractor(x)
        return center_normalize(features.float())


def forward_groups(extractor: Any, groups: Any, n: int, device: str) -> Any:
    """Groups of one shape each, `[(positions, uint8 (g, 3, h, w))]` -> (n, dim) numpy
    vectors in position order: native-resolution batches hold several shapes."""
    import numpy as np

    out = forward_groups_tensor(extractor, groups, n, device)
    return out.cpu().numpy() if out is not None else np.zeros((0, 0), np.float32)


def forward_groups_tensor(extractor: Any, groups: Any, n: int, device: str) -> Any:
    """`forward_groups` left on the device: (n, dim) float32 in position order, or None."""
    import torch

    out: Any = None
    with torch.inference_mode():
        for positions, images in groups:
            vectors = forward_tensor(extractor, images, device)
            if len(groups) == 1 and list(positions) == list(range(n)):
                return vectors  # one shape, in order: nothing to place
            if out is None:
                out = torch.empty((n, vectors.shape[1]), dtype=torch.float32,
                                  device=vectors.device)
            # the positions go over without blocking: a list made into a GPU tensor is a
            # blocking copy, which would wait for the network just queued
            out[torch.as_tensor(positions).to(vectors.device, non_blocking=True)] = vectors
    return out


def forward_any(extractor: Any, images: Any, device: str) -> Any:
    """A (n, 3, S, S) tensor as one batch, or a list of (3, h, w) uint8 tensors or arrays of
    any shapes, each shape as one batch; (n, dim) numpy vectors in input order."""
    import torch

    if torch.is_tensor(images):
        return forward(extractor, images, device)
    shapes: dict[tuple[int, ...], list[int]] = {}
    for i, image in enumerate(images):
        shapes.setdefault(tuple(image.shape), []).append(i)
    groups = [(positions, torch.stack([torch.as_tensor(images[i]) for i in positions]))
              for positions in shapes.values()]
    return forward_groups(extractor, groups, len(images), device)
