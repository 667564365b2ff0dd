"""cuDNN's first call of each batch shape paid in a background thread, while the run's own
batches of that shape go through PyTorch's depthwise kernel.

A fresh GPU process pays cuDNN 1.7-2.2 s the first time a batch shape meets
EfficientNet-Lite0's 16 depthwise convolutions (84-91% of that first call; H100, cuDNN
9.19; `benchmarks/first_convs.py`, RESULTS.md "GPU end to end", session 49), then runs
them fastest. PyTorch's own depthwise kernel has no such cost but runs the network about
80% slower. `WarmingShapes` takes both: a shape's batches use PyTorch's kernel
(`depthwise.DepthwiseKernel`, in the calling thread only) until a background thread has
run the network once through cuDNN on a blank input of that shape, and cuDNN's after it
(`benchmarks/cudnn_warm.py`, session 50).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import torch
from torch import nn

from symcat.embed.depthwise import DepthwiseKernel

log = logging.getLogger(__name__)


class WarmingShapes(nn.Module):
    """`network`, with each new input shape first met by cuDNN in a background thread.

    The network must be in eval mode and keep no state between calls: two threads call it
    at once while a shape warms. `hand_over`: once a shape is warm, its calls run in the
    thread that warmed it (where PyTorch keeps the plans cuDNN made: they are per thread)."""

    def __init__(self, network: nn.Module, *, hand_over: bool = False) -> None:
        super().__init__()
        self.network = network
        self.hand_over = hand_over
        self._warmers: dict[tuple, tuple[ThreadPoolExecutor, Future]] = {}
        self.native_calls = 0  # calls through PyTorch's kernel while their shape warmed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape), x.dtype, x.is_contiguous(memory_format=torch.channels_last))
        kind = x.device.type
        autocast = torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None
        warmer = self._warmers.get(key)
        if warmer is not None and warmer[1].done():
            if self.hand_over:
                return warmer[0].submit(self._run, x, autocast).result()
            return self.network(x)
        if warmer is None:
            pool = ThreadPoolExecutor(1, thread_name_prefix="cudnn-warmup")
            self._warmers[key] = (pool, pool.submit(self._warm, torch.zeros_like(x),
                                                    autocast, key))
        self.native_calls += 1
        with DepthwiseKernel():
            return self.network(x)

    def _run(self, x: torch.Tensor, autocast: torch.dtype | None) -> torch.Tensor:
        """The network on `x` in this thread, as the caller would run it (inference mode,
        its autocast: both are per thread)."""
        with torch.inference_mode(), torch.autocast(
                x.device.type, dtype=autocast, enabled=autocast is not None):
            return self.network(x)

    def _warm(self, blank: torch.Tensor, autocast: torch.dtype | None, key: tuple) -> None:
        """One call on `blank`: cuDNN's one-off cost is host work, paid as the kernels are
        queued."""
        try:
            self._run(blank, autocast)
        except Exception as exc:  # noqa: BLE001 - a warm-up never fails a run
            log.warning("cuDNN warm-up of input shape %s failed (%s); its batches go "
                        "through cuDNN as usual", key[0], exc)

    def join(self) -> None:
        """Waits for the background threads and stops them (a run's end)."""
        for pool, _ in list(self._warmers.values()):
            pool.shutdown(wait=True)
