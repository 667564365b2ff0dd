"""cuDNN's first call of each batch shape paid layer by layer, in a thread for each depthwise
convolution, while the run's own calls of a layer go through PyTorch's depthwise kernel
until that layer's thread is warm.

A fresh GPU process pays cuDNN 1.7-2.2 s the first time a batch shape meets
EfficientNet-Lite0's 16 depthwise convolutions (84-91% of that first call; H100, cuDNN
9.19; `benchmarks/first_convs.py`, RESULTS.md "GPU end to end", session 49), then runs
them fastest. PyTorch's own depthwise kernel has no such cost but runs the network about
80% slower. PyTorch keeps cuDNN's plans per thread, so a thread that pays the cost must
also run the calls after it (session 50).

`WarmingLayers` gives each depthwise convolution a thread of its own, which pays cuDNN's
first call of each input shape it meets (on a blank input of that shape) and then runs
that layer's calls of the shape. The layers' warm-ups all start within the first batch,
and each layer turns to cuDNN when its own is done, not when the slowest is. cuDNN does
not compile them side by side (all 16 warm in about 2 s, as in one thread), but a fresh
12,000-scan run at 512 px went from 1,626-1,656 images/s (one thread warming the whole
network, which then ran the batches) to 1,852-1,863 (H100; `benchmarks/embed.py --warmup`,
`benchmarks/cudnn_warm.py --modes layers`, RESULTS.md "GPU end to end", session 52). The
16 hand-overs a batch cost nothing measurable (48.9 against 48.7 ms a 512-px batch).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext

import torch
from torch import nn

from symcat.embed.depthwise import DepthwiseKernel, wrap_depthwise

log = logging.getLogger(__name__)


def _input_key(x: torch.Tensor) -> tuple:
    """What cuDNN's plans depend on: shape, dtype and memory layout."""
    return (tuple(x.shape), x.dtype, x.is_contiguous(memory_format=torch.channels_last))


class WarmingLayer(nn.Module):
    """A depthwise convolution whose cuDNN first call of each input shape is paid by a
    thread of its own, which then runs that shape's calls (the caller's meanwhile go through
    PyTorch's depthwise kernel). The caller's autocast, inference mode and CUDA stream go
    with each call (all three are per thread)."""

    def __init__(self, conv: nn.Module) -> None:
        super().__init__()
        self.conv = conv
        self._pool: ThreadPoolExecutor | None = None
        self._warm: dict[tuple, Future] = {}
        self.native_calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = _input_key(x)
        kind = x.device.type
        autocast = torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None
        stream = torch.cuda.current_stream(x.device) if x.is_cuda else None
        warm = self._warm.get(key)
        if warm is not None and warm.done():
            assert self._pool is not None
            return self._pool.submit(self._run, x, autocast, stream).result()
        if warm is None:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="cudnn-layer")
            self._warm[key] = self._pool.submit(self._warm_up, torch.zeros_like(x),
                                                autocast, stream, key)
        self.native_calls += 1
        with DepthwiseKernel():
            return self.conv(x)

    def _run(self, x: torch.Tensor, autocast: torch.dtype | None,
             stream: torch.cuda.Stream | None) -> torch.Tensor:
        with torch.inference_mode(), torch.autocast(
                x.device.type, dtype=autocast, enabled=autocast is not None), (
                torch.cuda.stream(stream) if stream is not None else nullcontext()):
            return self.conv(x)

    def _warm_up(self, blank: torch.Tensor, autocast: torch.dtype | None,
                 stream: torch.cuda.Stream | None, key: tuple) -> None:
        """One call on `blank`: cuDNN's one-off cost is host work, paid as it is queued."""
        try:
            self._run(blank, autocast, stream)
        except Exception as exc:  # noqa: BLE001 - a warm-up never fails a run
            log.warning("cuDNN warm-up of a depthwise layer's input %s failed (%s); its "
                        "calls go through cuDNN as usual", key[0], exc)

    def warmed(self) -> bool:
        """Whether every input shape met so far is warm."""
        return all(warm.done() for warm in list(self._warm.values()))

    def wait(self) -> None:
        """Waits until every input shape met so far is warm."""
        for warm in list(self._warm.values()):
            warm.result()

    def close(self) -> None:
        """Stops the layer's thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._pool = None
        self._warm.clear()


class WarmingLayers(nn.Module):
    """`network` with each depthwise convolution wrapped in `WarmingLayer` (in place).

    The layers must keep no state between calls: while a layer warms, its thread and the
    caller both call it, and the GPU holds a blank input of its shape besides the batch."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.layers = wrap_depthwise(network, WarmingLayer)
        self.network = network
        self._shapes: set[tuple] = set()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._shapes.add(_input_key(x))
        return self.network(x)

    @property
    def native_calls(self) -> int:
        """Batches that met at least one layer still warming: every batch meets every
        layer, and a layer once warm stays warm, so the most of any layer."""
        return max((layer.native_calls for layer in self.layers), default=0)

    @property
    def shapes_met(self) -> int:
        return len(self._shapes)

    def warmed(self) -> bool:
        """Whether every layer is warm for every input shape met so far."""
        return all(layer.warmed() for layer in self.layers)

    def wait(self) -> None:
        for layer in self.layers:
            layer.wait()

    def close(self) -> None:
        for layer in self.layers:
            layer.close()
