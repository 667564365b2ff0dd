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
the whole network is worse: 3-3.7x slower, session 48.)
"""

from __future__ import annotations

import torch
from torch import nn

# Runs of at most this many batches take PyTorch's kernel: at 512 px it saves about 1.3 s
# once and costs about 39 ms a batch, so 8 batches keep at least 1 s of the saving.
SHORT_RUN_BATCHES = 8


def pays_for(batches: int) -> bool:
    """Whether a run of `batches` GPU batches is short enough for PyTorch's kernel."""
    return 0 < batches <= SHORT_RUN_BATCHES


class NativeDepthwise(nn.Module):
    """A depthwise convolution run with cuDNN off (PyTorch's `conv_depthwise2d` kernel).

    The switch is process-wide while the layer runs: another thread's convolution in that
    instant runs without cuDNN too (slower, same result)."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        was = torch.backends.cudnn.enabled
        torch.backends.cudnn.enabled = False
        try:
            return self.conv(x)
        finally:
            torch.backends.cudnn.enabled = was


def is_depthwise(module: nn.Module) -> bool:
    """A 2-D convolution with one group per input channel (and more than one channel)."""
    return (isinstance(module, nn.Conv2d) and module.groups > 1
            and module.groups == module.in_channels)


def native_depthwise(model: nn.Module) -> int:
    """Wraps each depthwise convolution of `model` in `NativeDepthwise`, in place; returns
    how many (0 for a network without them, which is left as it was)."""
    found = [(parent, name) for parent in model.modules()
             if not isinstance(parent, NativeDepthwise)
             for name, child in parent.named_children() if is_depthwise(child)]
    for parent, name in found:
        setattr(parent, name, NativeDepthwise(getattr(parent, name)))
    return len(found)
