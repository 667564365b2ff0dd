"""Can another thread pay cuDNN's first-call cost of a batch shape for the thread that runs?

    python benchmarks/cudnn_warm.py --size 512 --batch 128 --rounds 3

A fresh GPU process pays 1.7-2.2 s on the first call of a batch shape, 84-91% of it in
the 16 depthwise convolutions of EfficientNet-Lite0 (`benchmarks/first_convs.py`,
session 49). PyTorch keeps cuDNN's execution plans per thread (`thread_local` in
`Conv_v8.cpp`), so a warm-up in another thread helps the running thread only if what
costs the time (loading the engine library, compiling kernels) is shared by the process.
This measures it: each mode runs in a fresh process of its own, the modes interleaved
round by round, and the main thread's first full forward is timed after the warm-up.

- `none`: no warm-up (the baseline).
- `thread`: one other thread runs a full forward of the shape first.
- `concurrent`: as `thread`, while the main thread runs full batches with PyTorch's
  depthwise kernel (`symcat.embed.depthwise.DepthwiseKernel`) until the other is done.
- `layers`: each depthwise convolution with a thread of its own
  (`symcat.embed.warmup.WarmingLayers`), all starting to warm within the first batch,
  while the main thread runs full batches (each layer through PyTorch's kernel until its
  own thread is warm); then the main thread's calls, each depthwise layer's in its thread.

`--apis v8 v7`: each mode also with PyTorch's older cuDNN path (`TORCH_CUDNN_V8_API_DISABLED=1`
in the fresh process: cuDNN's legacy convolution calls, whose algorithm choice PyTorch
caches for the whole process, where the v8 path keeps a plan cache per thread); `v8b`:
the v8 path with cuDNN's heuristics mode B (`TORCH_CUDNN_USE_HEURISTIC_MODE_B=1`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch  # noqa: E402

MODES = ("none", "thread", "concurrent", "layers")
APIS = {"v8": {}, "v7": {"TORCH_CUDNN_V8_API_DISABLED": "1"},
        "v8b": {"TORCH_CUDNN_USE_HEURISTIC_MODE_B": "1"}}


def one(mode: str, model: str, size: int, batch: int) -> dict[str, float]:
    """One fresh process's figures for `mode` (seconds)."""
    import torch

    from symcat.embed.depthwise import DepthwiseKernel
    from symcat.embed.extractors import forward_tensor
    from symcat.embed.registry import create_extractor
    from symcat.embed.warmup import WarmingLayers

    t0 = time.perf_counter()
    extractor = create_extractor(model).eval().to("cuda").to(memory_format=torch.channels_last)
    torch.backends.cudnn.benchmark = False
    torch.cuda.synchronize()
    ready = time.perf_counter() - t0
    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)

    net = WarmingLayers(extractor) if mode == "layers" else extractor

    def forward(native: bool = False) -> None:
        """One full batch as a run calls the network, waited for."""
        with DepthwiseKernel() if native else contextlib.nullcontext():
            forward_tensor(net, x, "cuda")
        torch.cuda.synchronize()

    warm, native, native_first = 0.0, 0, 0.0
    if mode == "layers":
        t = time.perf_counter()
        while native == 0 or not net.warmed():
            forward()  # each layer through PyTorch's kernel until its thread is warm
            native += 1
            if native == 1:
                native_first = time.perf_counter() - t
        warm = time.perf_counter() - t
    elif mode != "none":
        t = time.perf_counter()
        worker = threading.Thread(target=forward)
        worker.start()
        while mode == "concurrent" and worker.is_alive():
            forward(native=True)
            native += 1
            if native == 1:
                native_first = time.perf_counter() - t
        worker.join()
        warm = time.perf_counter() - t
    t = time.perf_counter()
    forward()
    first = time.perf_counter() - t
    later = []
    for _ in range(5):
        t = time.perf_counter()
        forward()
        later.append(time.perf_counter() - t)
    later = min(later)
    return {"ready": ready, "warm": warm, "first": first, "later": later, "native": native,
            "native_first": native_first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="symcat_combined.v2")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--apis", nargs="+", choices=list(APIS), default=["v8"],
                        help="PyTorch's cuDNN path for each mode (v7: the legacy calls)")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.model, args.size, args.batch)))
        return
    print(f"{args.model}, {args.size} px, batch {args.batch}; each mode in a fresh process, "
          "interleaved; seconds", flush=True)
    with LoadWatch() as watch:
        for r in range(args.rounds):
            for api, mode in [(a, m) for a in args.apis for m in args.modes]:
                env = {k: v for k, v in os.environ.items()
                       if not any(k in a for a in APIS.values())} | APIS[api]
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, "--model", args.model,
                     "--size", str(args.size), "--batch", str(args.batch)],
                    capture_output=True, text=True, check=True, env=env)
                f = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"round {r + 1} {api} {mode:10s} model ready {f['ready']:.2f}, warm-up "
                      f"{f['warm']:.2f}, main thread's first call {f['first']:.2f}, "
                      f"later (best of 5) {f['later'] * 1000:.1f} ms; warm-up + first "
                      f"{f['warm'] + f['first']:.2f}" + (
                          f"; meanwhile {f['native']} batches through PyTorch's depthwise "
                          f"kernel, the first done at {f['native_first']:.2f}"
                          if mode == "concurrent" else
                          f"; meanwhile {f['native']} batches, each layer through PyTorch's "
                          f"depthwise kernel until warm, the first done at "
                          f"{f['native_first']:.2f}"
                          if mode == "layers" else ""), flush=True)
            watch.sample()
    print(watch.line())


if __name__ == "__main__":
    main()
