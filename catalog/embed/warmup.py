"""cuDNN's first call of each batch shape paid in a background thread, while the run's own
batches of that shape go through PyTorch's depthwise kernel.

A fresh GPU process pays cuDNN 1.7-2.2 s the first time a batch shape meets
EfficientNet-Lite0's 16 depthwise convolutions (84-91% of that first call; H100, cuDNN
9.19; `benchmarks/first_convs.py`, RESULTS.md "GPU end to end", session 49), then runs
them fastest. PyTorch's own depthwise kernel has no such cost but runs the network about
80% slower. `WarmingShapes` takes both: a shape's batches use PyTorch's kernel
(`depthwise.DepthwiseKernel`, in the calling thread only) until a thread of the shape's
own has run the network once through cuDNN on a blank input of that shape; the shape's
batches then run in that thread. PyTorch keeps cuDNN's plans per thread: another thread
meeting the shape after the warm-up still pays 1.4 s of the cost, and a warm-up that
did not hand its batches over made a fresh 12,000-scan run at 512 px slower (1,392-1,404
images/s against 1,552-1,597 without a warm-up); handing over made it faster
(1,632-1,662; H100, `benchmarks/cudnn_warm.py`, `benchmarks/embed.py --warmup`, RESULTS.md
"GPU end to end", session 50).

The batches meanwhile may run through a copy of the network in another memory layout
(`meanwhile`): PyTorch's depthwise kernel wants the contiguous layout, where a full
512-px batch of 128 took 62-63 ms against 88 ms channels-last, as cuDNN's runs want it
(49 ms; `benchmarks/first_convs.py`, session 49). Whether that shortens a whole run is
not yet measured, so `embed_catalog` gives no copy unless asked (`warm_contiguous`).

`WarmingLayers` meets new shapes layer by layer instead: each depthwise convolution has a
thread of its own, which pays cuDNN's first call of each input shape it meets (on a blank
input of that shape) and then runs that layer's calls of the shape; the caller's calls of a
layer go through PyTorch's kernel until its own thread is warm. The layers' warm-ups all
start within the first batch and run side by side, and each layer turns to cuDNN as soon as
its own is done, not when the slowest is. Whether cuDNN compiles side by side, and whether
16 hand-overs a batch cost less than they save, is measured, not assumed
(`benchmarks/cudnn_warm.py --modes layers`, `benchmarks/embed.py --warmup layers`).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext

import torch
from torch import nn

from symcat.embed.depthwise import DepthwiseKernel, is_depthwise

log = logging.getLogger(__name__)


class WarmingShapes(nn.Module):
    """`network`, each new input shape met by cuDNN in a thread of its own, which then runs
    that shape's calls.

    The network must be in eval mode and keep no state between calls: two threads call it
    at once while a shape warms, and the GPU then holds two batches' activations.
    `meanwhile`: the same network (the same weights) to run the caller's batches while
    their shape warms, in the layout PyTorch's depthwise kernel wants; None: `network`."""

    def __init__(self, network: nn.Module, meanwhile: nn.Module | None = None) -> None:
        super().__init__()
        self.network = network
        self.meanwhile = meanwhile
        self._warmers: dict[tuple, tuple[ThreadPoolExecutor, Future]] = {}
        self.native_calls = 0  # calls through PyTorch's kernel while their shape warmed
        self.shapes_met = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (tuple(x.shape), x.dtype, x.is_contiguous(memory_format=torch.channels_last))
        kind = x.device.type
        autocast = torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None
        warmer = self._warmers.get(key)
        if warmer is not None and warmer[1].done():
            return warmer[0].submit(self._run, x, autocast).result()
        if warmer is None:
            pool = ThreadPoolExecutor(1, thread_name_prefix="cudnn-warmup")
            self.shapes_met += 1
            log.debug("input shape %s: cuDNN meets it in a thread of its own; PyTorch's "
                      "depthwise kernel meanwhile", key[0])
            self._warmers[key] = (pool, pool.submit(self._warm, torch.zeros_like(x),
                                                    autocast, key))
        self.native_calls += 1
        with DepthwiseKernel():
            if self.meanwhile is not None:
                return self.meanwhile(x.contiguous())
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

    def wait(self) -> None:
        """Waits until every shape met so far is warm."""
        for _, warm in list(self._warmers.values()):
            warm.result()

    def close(self) -> None:
        """Stops the shapes' threads (a run's end; a long run's warm-ups are long done, a
        short run's is waited for)."""
        for pool, _ in list(self._warmers.values()):
            pool.shutdown(wait=True)
        self._warmers.clear()


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
        try:
            self._run(blank, autocast, stream)
        except Exception as exc:  # noqa: BLE001 - a warm-up never fails a run
            log.warning("cuDNN warm-up of a depthwise layer's input %s failed (%s); its "
                        "calls go through cuDNN as usual", key[0], exc)

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
    """`network` with each depthwise convolution wrapped in `WarmingLayer` (in place)."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        found = [(parent, name) for parent in network.modules()
                 if not isinstance(parent, WarmingLayer)
                 for name, child in parent.named_children() if is_depthwise(child)]
        for parent, name in found:
            setattr(parent, name, WarmingLayer(getattr(parent, name)))
        self.network = network
        self.layers = [getattr(parent, name) for parent, name in found]
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
        return all(warm.done() for layer in self.layers for warm in layer._warm.values())

    def wait(self) -> None:
        for layer in self.layers:
            layer.wait()

    def close(self) -> None:
        for layer in self.layers:
            layer.close()
