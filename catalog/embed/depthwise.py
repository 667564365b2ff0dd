"""Depthwise convolutions through PyTorch's own CUDA kernel instead of cuDNN's, for short runs.

A fresh GPU process pays cuDNN 0.1-0.8 s for each depthwise convolution the first time
it meets a batch shape: EfficientNet-Lite0's 16 depthwise layers are 84-91% of a shape's
first call (1.7-2.2 s at 512 px), every other convolution a few ms to 0.13 s (H100, cuDNN
9.19, fp16, channels-last; `benchmarks/first_convs.py`, RESULTS.md "GPU end to end",
session 49). PyTorch's own depthwise kernel has no such cost (the whole first call about
0.5 s), but the network then runs 80% slower (88 against 49 ms a batch of 128:
the kernel is slow and wants the other memory layout), and a fresh run of 12,000 scans
went from 1,463-1,486 to 1,200 images/s. So it pays for short runs only: a user's
`symcat embed` after a day's scans, not a catalog's re-embedding. (Turning cuDNN off for
the whole network is worse: 3-3.7x slower, session 48.) Longer runs take the kernel only
while cuDNN meets a new batch shape in another thread (`symcat.embed.warmup`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

# Runs of at most this many batches take PyTorch's kernel: at 512 px it saves about 1.3 s
# once and costs about 39 ms a batch, so 8 batches keep at least 1 s of the saving.
SHORT_RUN_BATCHES = 8


def pays_for(batches: int) -> bool:
    """Whether a run of `batches` GPU batches is short enough for PyTorch's kernel."""
    return 0 < batches <= SHORT_RUN_BATCHES


class NativeDepthwise(nn.Module):
    """A depthwise convolution run through PyTorch's `conv_depthwise2d` kernel
    (`DepthwiseKernel`: in the calling thread only, so no other thread loses cuDNN)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with DepthwiseKernel():
            return self.conv(x)


def is_depthwise(module: nn.Module) -> bool:
    """A 2-D convolution with one group per input channel (and more than one channel)."""
    return (isinstance(module, nn.Conv2d) and module.groups > 1
            and module.groups == module.in_channels)


def wrap_depthwise(model: nn.Module, wrapper: type[nn.Module]) -> list[nn.Module]:
    """Replaces each depthwise convolution of `model` by `wrapper(convolution)`, in place (one
    already inside a `wrapper` is left); returns the new wrappers, in the model's order."""
    found = [(parent, name) for parent in model.modules() if not isinstance(parent, wrapper)
             for name, child in parent.named_children() if is_depthwise(child)]
    for parent, name in found:
        setattr(parent, name, wrapper(getattr(parent, name)))
    return [getattr(parent, name) for parent, name in found]


def native_depthwise(model: nn.Module) -> int:
    """Wraps each depthwise convolution of `model` in `NativeDepthwise`, in place; returns
    how many (0 for a network without them, which is left as it was)."""
    return len(wrap_depthwise(model, NativeDepthwise))


def _pair(value: Any) -> list[int]:
    return [int(value), int(value)] if isinstance(value, int) else [int(v) for v in value]


class DepthwiseKernel(TorchFunctionMode):
    """Inside it, this thread's depthwise `conv2d` calls on CUDA tensors run PyTorch's own
    kernel (`aten._conv_depthwise2d`, what cuDNN switched off runs); every other call, and
    every other thread, is left alone (function modes are per thread), so another thread can
    meanwhile pay cuDNN's first call of the same layers (`symcat.embed.warmup`)."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func is torch.conv2d:
            routed = _depthwise_call(*args, **kwargs)
            if routed is not None:
                return routed
        return func(*args, **kwargs)


def _depthwise_call(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                    stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                    groups: int = 1) -> torch.Tensor | None:
    """`conv2d` through PyTorch's depthwise kernel, or None where that kernel does not apply
    (not CUDA, not depthwise, or a padding given by name)."""
    if (not x.is_cuda or x.dim() != 4 or groups <= 1 or groups != x.shape[1]
            or isinstance(padding, str)):
        return None
    dtype = (torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled("cuda")
             else x.dtype)  # as autocast would cast a convolution's operands
    return torch.ops.aten._conv_depthwise2d(
        x.to(dtype).contiguous(), weight.to(dtype), list(weight.shape[2:]),
        None if bias is None else bias.to(dtype), _pair(stride), _pair(padding),
        _pair(dilation))
