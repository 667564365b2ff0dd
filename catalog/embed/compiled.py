"""An extractor through `torch.compile`, fed one batch size per image shape.

On the H200, torch.compile runs symcat_combined.v2 at 512 px in 0.51 of the eager time
(6,540 against 3,334 images/s, the network alone: benchmarks/RESULTS.md, GPU end to end,
session 10). It compiles once per input shape, and a dynamic compile of these networks
still recompiled for every new batch size, so batches are padded to the run's batch
size: one compile per image shape. Groups under a quarter of the batch (scans of a rare
shape) run uncompiled: the same network, without waiting for a compile; so does the
rest of a run whose compile failed (no C compiler on a CPU machine, say), with a warning.
Each compile costs seconds to tens of seconds at the start of a run, so `auto_compile`
decides by what was measured (benchmarks/RESULTS.md, "CPU", session 11; GPU end to end,
session 11): on a CPU the compiled network runs about twice the scans/s and repays a
compile within a few hundred scans, so runs of `AUTO_MIN_SCANS` or more compile; on a
GPU it gains about 10% at 512 px against 6-30 s of start-up, so only `--compile` does.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

from symcat.embed.shapes import pad_rows

log = logging.getLogger(__name__)

# Extractors whose compiled vectors were checked against the plain network's (cosine
# 1.00000: tests/embed/test_embed_run.py, benchmarks/embed.py --check): plain tensor
# networks. The symmetry extractors' lattice search runs in numpy and stays uncompiled.
COMPILES_THE_SAME = frozenset({
    "effnet_lite0.in1k", "effnet_lite0_4tap.in1k", "effnet_lite0_4tap_native.in1k",
    "symcat_combined.v2",
})
# On 2 CPU cores symcat_combined.v2 ran 11 scans/s plain and 31 compiled after a first
# compile of 31 s (5 s with torch's compile cache warm): even a first compile is repaid
# after about 550 scans.
AUTO_MIN_SCANS = 500
# In those runs a shape compiles after one batch of it ran plain, and four shapes at
# most: a compile is repaid by a few hundred scans of its shape, not by rare sizes.
AUTO_WAIT_BATCHES, AUTO_MAX_SHAPES = 1, 4


def recompile_limit() -> int:
    """How many input shapes torch compiles for one network (dynamo's recompile limit,
    8 by default); past it torch would run a new shape uncompiled with a warning of its
    own, so an explicit --compile run stops compiling new shapes there itself."""
    import torch._dynamo.config as dynamo

    return int(getattr(dynamo, "recompile_limit", getattr(dynamo, "cache_size_limit", 8)))


def compiler_found() -> bool:
    """Whether the C++ compiler torch.compile's CPU code is built with is on the PATH:
    CXX, else torch's own default (g++; clang++ on macOS, cl on Windows). Without it a
    compile fails, so `auto_compile` does not try."""
    default = {"win32": "cl", "darwin": "clang++"}.get(sys.platform, "g++")
    name = os.environ.get("CXX") or default
    return shutil.which(name.split()[0]) is not None


def auto_compile(model: str, device: str, pending: int) -> bool:
    """What `symcat embed` does when neither --compile nor --no-compile is given."""
    return (not device.startswith("cuda") and pending >= AUTO_MIN_SCANS
            and model in COMPILES_THE_SAME and compiler_found())


class StaticBatches(nn.Module):
    """`extractor` compiled, called on batches of exactly `batch_size` rows.

    `wait_rows`: an image shape is compiled only after that many of its rows ran
    uncompiled, and `max_shapes` at most are compiled (the rest run uncompiled), so that
    a catalog of many rare scan sizes does not pay a compile for each (`auto_compile`'s
    runs; an explicit --compile compiles every shape at once).
    """

    def __init__(self, extractor: nn.Module, batch_size: int, wait_rows: int = 0,
                 max_shapes: int | None = None) -> None:
        super().__init__()
        self.eager = extractor
        # Not a registered child: it wraps `eager` (the same parameters, moved with it).
        self.__dict__["compiled"] = torch.compile(extractor, dynamic=False)
        self.batch_size = batch_size
        if not torch.cuda.is_available():  # a CPU run: torch's "No CUDA runtime is found"
            logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
        self.wait_rows = wait_rows
        self.max_shapes = max_shapes
        self._seen: dict[tuple[int, ...], int] = {}  # rows of each image shape so far
        self._shapes: set[tuple[int, ...]] = set()
        self._failed = False  # a compile failed: the rest of the run goes uncompiled
        # Wall time of the calls that compiled (trace, code generation and that one batch):
        # a run's fixed cost, apart from its per-scan rate.
        self.compile_seconds = 0.0
        # Told "compiling the network ..." before a compile and "" after it (a progress
        # bar's postfix: the bar would otherwise stand still, unexplained).
        self.on_compile: Callable[[str], object] | None = None

    @property
    def compiled_shapes(self) -> int:
        """Input shapes compiled so far (0: everything ran uncompiled)."""
        return len(self._shapes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if self._failed or n < max(1, self.batch_size // 4):
            return self.eager(x)
        image = tuple(x.shape[1:])
        seen = self._seen.get(image, 0)
        self._seen[image] = seen + n
        full = (self.batch_size, *image)
        if full not in self._shapes and (seen < self.wait_rows or (
                self.max_shapes is not None and len(self._shapes) >= self.max_shapes)):
            return self.eager(x)  # not yet (or never) worth its compile
        out = []
        for start in range(0, n, self.batch_size):
            part = x[start : start + self.batch_size]
            rows = part.shape[0]
            if rows < self.batch_size:
                part = pad_rows(part, self.batch_size)
            shape = tuple(part.shape)
            compiling = shape not in self._shapes
            if compiling:
                log.info("compiling the network for inputs of %s (once per shape)", shape)
                if self.on_compile is not None:
                    self.on_compile("compiling the network for this scan size")
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
            finally:
                if compiling:  # done or failed: its time, and the bar's note cleared
                    self.compile_seconds += time.perf_counter() - started
                    if self.on_compile is not None:
                        self.on_compile("")
            if self._failed:
                return self.eager(x)
            self._shapes.add(shape)
        return torch.cat(out) if len(out) > 1 else out[0]
