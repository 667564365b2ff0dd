"""`symcat.embed.shapes.KnownShapes`: a short batch padded to the full batch shape gives
each of its rows the output the rows get alone; a shape that ran, or keeps coming, is
not padded."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from symcat.embed.shapes import RECUR_LIMIT, KnownShapes


class RowSums(nn.Module):
    """Rows independent, shapes recorded: what the wrapper passes on is visible."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.shapes.append(tuple(x.shape))
        return x.flatten(1).sum(1, keepdim=True) * torch.arange(1, 4, dtype=x.dtype)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_a_short_batch_runs_as_the_full_shape_already_seen(
        layout: torch.memory_format) -> None:
    inner = RowSums()
    shapes = KnownShapes(inner, batch_size=4)
    full = torch.rand(4, 3, 8, 8).contiguous(memory_format=layout)
    short = torch.rand(3, 3, 8, 8).contiguous(memory_format=layout)
    shapes(full)
    out = shapes(short)
    assert inner.shapes == [(4, 3, 8, 8), (4, 3, 8, 8)]  # the short batch went in padded
    assert shapes.padded_rows == 1
    assert torch.allclose(out, RowSums()(short))
    assert out.shape == (3, 3)


def test_a_shape_is_run_as_it_is_once_it_ran_or_keeps_coming() -> None:
    inner = RowSums()
    shapes = KnownShapes(inner, batch_size=4)
    shapes(torch.rand(2, 3, 8, 8))  # no batch of 8 x 8 yet: the full shape all the same
    shapes(torch.rand(6, 3, 8, 8))  # larger than a batch: as it is
    shapes(torch.rand(3, 3, 16, 16))  # another image size: padded to its full shape
    assert inner.shapes == [(4, 3, 8, 8), (6, 3, 8, 8), (4, 3, 16, 16)]
    assert shapes.padded_rows == 2 + 1
    for _ in range(RECUR_LIMIT + 2):  # a short shape that keeps coming (mixed sizes)
        shapes(torch.rand(1, 3, 16, 16))
    assert inner.shapes[3:] == [(4, 3, 16, 16)] * RECUR_LIMIT + [(1, 3, 16, 16)] * 2
    assert shapes.padded_rows == 3 + 3 * RECUR_LIMIT
