"""Score how close a generated pattern comes to symmetry its label lacks.

For each point operation of the lattice's holohedry that the group lacks, the best
correlation between the field and its transform over all translations (one FFT)
says whether that operation holds anywhere, as a rotation, mirror or glide. Random
motifs sometimes land close to a higher group; this finds them without needing
to know where the extra symmetry element sits.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from symcat.embed.symmetry.groups import GROUPS, HOLOHEDRY, LATTICE, operations


@lru_cache(maxsize=4)
def _missing(grid: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Gather indices ``(17, M, R*R)`` of missing point operations and a validity mask."""
    i, j = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    per_group = []
    for name in GROUPS:
        own = {op.matrix for op in operations(name)}
        holo = {op.matrix for op in operations(HOLOHEDRY[LATTICE[name]])}
        per_group.append(sorted(holo - own))
    m = max(1, max(len(x) for x in per_group))
    idx = torch.zeros(len(GROUPS), m, grid * grid, dtype=torch.long)
    valid = torch.zeros(len(GROUPS), m, dtype=torch.bool)
    for g, mats in enumerate(per_group):
        for k, ((a, b), (c, d)) in enumerate(mats):
            idx[g, k] = (((a * i + b * j) % grid) * grid + (c * i + d * j) % grid).flatten()
            valid[g, k] = True
    return idx.to(device), valid.to(device)


def extra_symmetry(field: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Best correlation (-1..1) of each ``(N, R, R)`` field with any missing operation.

    1 means the pattern has an operation its label lacks; 0 for p2, pmm, cmm, p4m,
    p6m, whose lattices admit nothing more.
    """
    n, r, _ = field.shape
    idx, valid = _missing(r, str(field.device))
    s = field - field.mean((1, 2), keepdim=True)
    s = s / (s.std((1, 2), keepdim=True) + 1e-8)
    sel = idx[labels]  # (N, M, R*R)
    t = torch.gather(s.reshape(n, 1, r * r).expand(n, sel.shape[1], r * r), 2, sel)
    t = t.reshape(n, -1, r, r)
    cc = torch.fft.ifft2(torch.fft.fft2(s)[:, None].conj() * torch.fft.fft2(t)).real / (r * r)
    best = cc.flatten(2).amax(2)
    best = torch.where(valid[labels], best, torch.zeros_like(best))
    return best.amax(1)
