"""`symcat.embed.shapes.KnownShapes`: a short batch padded to a full batch shape already
run gives each of its rows the output the rows get alone; nothing else is padded."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from symcat.embed.shapes import KnownShapes


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


def test_nothing_is_padded_before_its_full_shape_ran_or_once_its_own_shape_did() -> None:
    inner = RowSums()
    shapes = KnownShapes(inner, batch_size=4)
    shapes(torch.rand(2, 3, 8, 8))  # no full batch of 8 x 8 yet: runs as it is
    shapes(torch.rand(4, 3, 8, 8))
    shapes(torch.rand(2, 3, 8, 8))  # its own shape already ran: no padding needed
    shapes(torch.rand(3, 3, 16, 16))  # another image size: its full shape never ran
    shapes(torch.rand(6, 3, 8, 8))  # larger than a batch: as it is
    assert inner.shapes == [(2, 3, 8, 8), (4, 3, 8, 8), (2, 3, 8, 8), (3, 3, 16, 16),
                            (6, 3, 8, 8)]
    assert shapes.padded_rows == 0
