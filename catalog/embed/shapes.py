"""Short batches padded to a batch shape the GPU has already run.

In a fresh process, each input shape a GPU network meets costs about 1.5 s the first
time it runs with cuDNN's heuristics, and 4-5.6 s with its timed search, against 40 ms
for a whole 512-px batch of 128 afterwards (H100, `benchmarks/first_batches.py`,
RESULTS.md "One-off costs of a batch shape"). `symcat embed` runs in a process of its
own, so a run's short last batch padded with blank rows to the full batch shape costs
at most one batch's compute, where its own shape would have cost seconds.
"""

from __future__ import annotations

import torch
from torch import nn


class KnownShapes(nn.Module):
    """`extractor`, with a batch of fewer than `batch_size` rows padded to `batch_size`
    when that full shape has run and the short one has not (rows are independent in
    eval mode: the padded rows are dropped from the output)."""

    def __init__(self, extractor: nn.Module, batch_size: int) -> None:
        super().__init__()
        self.eager = extractor
        self.batch_size = batch_size
        self._seen: set[tuple[int, ...]] = set()
        self.padded_rows = 0  # blank rows run so far (the padding's cost, in rows)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        shape = tuple(x.shape)
        full = (self.batch_size, *shape[1:])
        if n >= self.batch_size or shape in self._seen or full not in self._seen:
            self._seen.add(shape)
            return self.eager(x)
        layout = (torch.channels_last if x.dim() == 4
                  and x.is_contiguous(memory_format=torch.channels_last)
                  else torch.contiguous_format)
        padded = torch.zeros(full, dtype=x.dtype, device=x.device).contiguous(
            memory_format=layout)
        padded[:n] = x
        self.padded_rows += self.batch_size - n
        return self.eager(padded)[:n]
