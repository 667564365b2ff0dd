"""`symcat.embed.depthwise`: depthwise convolutions wrapped to run through PyTorch's kernel
give the same output, every other layer is left alone, the routing ends whatever
happens, and only short runs take it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from symcat.embed.depthwise import (
    SHORT_RUN_BATCHES,
    DepthwiseKernel,
    NativeDepthwise,
    is_depthwise,
    native_depthwise,
    pays_for,
)


def small_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 1),
        nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU()),  # depthwise
        nn.Conv2d(8, 8, 3, padding=1, groups=2),  # grouped, not depthwise
        nn.Conv2d(8, 8, 5, padding=2, groups=8),  # depthwise
    ).eval()


def test_only_depthwise_layers_are_wrapped_and_the_output_is_the_same() -> None:
    net = small_net()
    x = torch.rand(2, 3, 16, 16)
    with torch.inference_mode():
        before = net(x)
        assert native_depthwise(net) == 2
        after = net(x)
    assert isinstance(net[1][0], NativeDepthwise) and isinstance(net[3], NativeDepthwise)
    assert not isinstance(net[2], NativeDepthwise) and not is_depthwise(net[2])
    assert torch.allclose(before, after)
    assert native_depthwise(net) == 0  # wrapped once only


def test_the_network_we_run_has_its_depthwise_layers_wrapped() -> None:
    from symcat.embed.registry import create_extractor

    extractor = create_extractor("symcat_combined.v2")
    assert native_depthwise(extractor) == 16  # EfficientNet-Lite0's; the ResNet has none
    wrapped = {id(m.conv) for m in extractor.modules() if isinstance(m, NativeDepthwise)}
    assert all(id(m) in wrapped for m in extractor.modules() if is_depthwise(m))


class Failing(nn.Conv2d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert kernel_modes() == 1  # PyTorch's kernel is routed to while the layer runs
        raise RuntimeError("out of memory")


def kernel_modes() -> int:
    from torch.overrides import _get_current_function_mode_stack

    return sum(isinstance(m, DepthwiseKernel) for m in _get_current_function_mode_stack())


def test_the_kernel_is_left_after_the_layer_even_when_it_fails() -> None:
    wrapped = NativeDepthwise(Failing(4, 4, 3, groups=4))
    assert kernel_modes() == 0
    with pytest.raises(RuntimeError, match="out of memory"):
        wrapped(torch.rand(1, 4, 8, 8))
    assert kernel_modes() == 0
    assert torch.backends.cudnn.enabled  # nothing process-wide was switched


def test_only_short_runs_take_pytorchs_kernel() -> None:
    assert pays_for(1) and pays_for(SHORT_RUN_BATCHES)
    assert not pays_for(0) and not pays_for(SHORT_RUN_BATCHES + 1)
