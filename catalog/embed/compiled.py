"""An extractor through `torch.compile`, fed one batch size per image shape.

On the H200, torch.compile runs symcat_combined.v2 at 512 px in 0.51 of the eager time
(6,540 against 3,334 images/s, the network alone: benchmarks/RESULTS.md, GPU end to end,
session 10). It compiles once per input shape, and a dynamic compile of these networks
still recompiled for every new batch size, so batches are padded to the run's batch
size: one compile per image shape. Groups under a quarter of the batch (scans of a rare
shape) run uncompiled: the same network, without waiting for a compile; so does the
rest of a run whose compile failed (no C compiler on a CPU machine, say), with a warning.
Opt-in (`symcat embed --compile`): each compile costs tens of seconds at the start of a
run.
"""

from __future__ import annotations

import logging
import time

import torch
from torch import nn

log = logging.getLogger(__name__)


class StaticBatches(nn.Module):
    """`extractor` compiled, called on batches of exactly `batch_size` rows."""

    def __init__(self, extractor: nn.Module, batch_size: int) -> None:
        super().__init__()
        self.eager = extractor
        # Not a registered child: it wraps `eager` (the same parameters, moved with it).
        self.__dict__["compiled"] = torch.compile(extractor, dynamic=False)
        self.batch_size = batch_size
        if not torch.cuda.is_available():  # a CPU run: torch's "No CUDA runtime is found"
            logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
        self._shapes: set[tuple[int, ...]] = set()
        self._failed = False  # a compile failed: the rest of the run goes uncompiled
        # Wall time of the calls that compiled (trace, code generation and that one batch):
        # a run's fixed cost, apart from its per-scan rate.
        self.compile_seconds = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if self._failed or n < max(1, self.batch_size // 4):
            return self.eager(x)
        layout = (torch.channels_last if x.dim() == 4
                  and x.is_contiguous(memory_format=torch.channels_last)
                  else torch.contiguous_format)
        out = []
        for start in range(0, n, self.batch_size):
            part = x[start : start + self.batch_size]
            rows = part.shape[0]
            if rows < self.batch_size:
                padded = torch.zeros((self.batch_size, *part.shape[1:]), dtype=part.dtype,
                                     device=part.device).contiguous(memory_format=layout)
                padded[:rows] = part
                part = padded
            shape = tuple(part.shape)
            compiling = shape not in self._shapes
            if compiling:
                log.info("compiling the network for inputs of %s (once per shape)", shape)
            started = time.perf_counter()
            try:
                out.append(self.compiled(part)[:rows])
                if compiling and part.is_cuda:
                    torch.cuda.synchronize(part.device)  # the batch's own run, not queued
            except Exception as exc:  # no C compiler, an unsupported operation, ...
                if not compiling:
                    raise
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("could not compile the network (%s: %s); running it "
                            "uncompiled", type(exc).__name__, first[:200])
                self._failed = True
                self.compile_seconds += time.perf_counter() - started
                return self.eager(x)
            if compiling:
                self.compile_seconds += time.perf_counter() - started
            self._shapes.add(shape)
        return torch.cat(out) if len(out) > 1 else out[0]
