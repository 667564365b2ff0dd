"""Short batches padded to the full batch shape, so that a GPU run meets few shapes.

In a fresh process, each input shape a GPU network meets costs about 1.5 s the first
time it runs with cuDNN's heuristics, and 4-5.6 s with its timed search, against 41 ms
for a whole 512-px batch of 128 afterwards (H100, `benchmarks/first_batches.py`,
RESULTS.md "GPU end to end", session 48). `symcat embed` runs in a process of its own,
so a run's short last batch, or a group of scans of another size inside a batch, padded
with blank rows to the full batch shape costs at most one batch's compute where its own
shape would have cost seconds.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch import nn

# A short shape that keeps coming (a catalog of mixed scan sizes) runs as it is from its
# RECUR_LIMIT + 1-th batch on: its first call then costs about what the padding of
# RECUR_LIMIT batches did (1.5 s against 36 batches of 41 ms at 512 px).
RECUR_LIMIT = 32


class KnownShapes(nn.Module):
    """`extractor`, with a batch of fewer than `batch_size` rows padded with blank rows
    to `batch_size` unless its own shape has already run (rows are independent in eval
    mode: the padded rows are dropped from the output)."""

    def __init__(self, extractor: nn.Module, batch_size: int) -> None:
        super().__init__()
        self.eager = extractor
        self.batch_size = batch_size
        self._seen: set[tuple[int, ...]] = set()
        self._short: Counter[tuple[int, ...]] = Counter()  # padded batches, by own shape
        self.padded_rows = 0  # blank rows run so far (the padding's cost, in rows)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        shape = tuple(x.shape)
        if n >= self.batch_size or shape in self._seen or self._short[shape] >= RECUR_LIMIT:
            self._seen.add(shape)
            return self.eager(x)
        self._short[shape] += 1
        self._seen.add((self.batch_size, *shape[1:]))
        self.padded_rows += self.batch_size - n
        return self.eager(pad_rows(x, self.batch_size))[:n]


def pad_rows(x: torch.Tensor, rows: int) -> torch.Tensor:
    """`x` with blank rows after its own up to `rows`, in `x`'s memory layout (a
    channels-last batch stays channels-last, as the network's kernels were chosen for)."""
    layout = (torch.channels_last if x.dim() == 4
              and x.is_contiguous(memory_format=torch.channels_last)
              else torch.contiguous_format)
    padded = torch.zeros((rows, *x.shape[1:]), dtype=x.dtype, device=x.device).contiguous(
        memory_format=layout)
    padded[: x.shape[0]] = x
    return padded
