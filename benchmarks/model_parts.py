"""Where a combined model's forward time goes: each half alone, and variants of the whole.

    python benchmarks/model_parts.py --device cuda --size 512 --batch 128     # GPU
    python benchmarks/model_parts.py --size 256 --batch 8 --iters 3           # CPU, ~1 min

Times, on random uint8 batches as preprocessing gives them (`forward_tensor`: channels-last
under fp16 autocast on a GPU), interleaved (`benchmarks/_timing.py`), with the load average:

* `combined`: the model as `symcat embed` runs it (the baseline), BatchNorm folded into
  the convolutions (`symcat.embed.folding`);
* `published`: the network as published, nothing folded (what ran before session 17);
* `natural`, `symmetry`: each half alone (the EfficientNet taps; the symmetry network's
  features with its own input policy);
* `bf16`: the whole under bfloat16 autocast instead of float16 (GPU only);
* `heuristics`: cuDNN's built-in algorithm choice instead of its timed search (GPU only);
* `graphed`: the whole replayed as one CUDA graph (kernel launches recorded once; GPU
  only);
* `compiled` (`--compile`): the whole through `torch.compile` (inductor, one static shape;
  its compile time is left out: it runs in the warm-up).

Prints images/s of each and its ratio to `combined`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, interleave, stats  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="symcat_combined.v2")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=512, help="input side (px)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--iters", type=int, default=20, help="batches per timed pass")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="add a torch.compile contender")
    args = parser.parse_args()

    import torch

    from symcat.embed.extractors import center_normalize, forward_tensor
    from symcat.embed.registry import create_extractor

    cuda = args.device.startswith("cuda")
    if cuda:
        torch.backends.cudnn.benchmark = True

    def prepared(module: Any) -> Any:
        module = module.eval().to(args.device)
        return module.to(memory_format=torch.channels_last) if cuda else module

    combined = prepared(create_extractor(args.model))
    published = prepared(create_extractor(args.model, fold=False))
    x = torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8)
    if cuda:
        x = x.pin_memory()

    def half(module: Any) -> Any:
        class Half(torch.nn.Module):
            def forward(self, images: torch.Tensor) -> torch.Tensor:
                return center_normalize(module(images).float())
        return Half()

    def timed(run: Any, setup: Any = None) -> Any:
        def one_pass() -> float:
            if setup is not None:
                setup(True)
            try:
                for _ in range(2):  # warm-up: shapes, autotuning
                    run()
                if cuda:
                    torch.cuda.synchronize()
                started = time.perf_counter()
                for _ in range(args.iters):
                    run()
                if cuda:
                    torch.cuda.synchronize()
                return time.perf_counter() - started
            finally:
                if setup is not None:
                    setup(False)
        return one_pass

    def with_dtype(dtype: torch.dtype) -> Any:
        def run() -> None:
            with torch.inference_mode():
                images = x.to(args.device, non_blocking=True).float().div_(255.0)
                images = images.contiguous(memory_format=torch.channels_last)
                with torch.autocast("cuda", dtype=dtype):
                    center_normalize(combined(images).float())
        return run

    def heuristics(on: bool) -> None:
        torch.backends.cudnn.benchmark = not on

    def graphed() -> Any:
        """One CUDA graph of the whole forward, on a static input on the device."""
        static = x.to(args.device)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):  # cuDNN's autotuning happens outside the capture
                forward_tensor(combined, static, args.device)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            forward_tensor(combined, static, args.device)

        def run() -> None:
            static.copy_(x, non_blocking=True)
            graph.replay()
        return run

    contenders = {
        "combined": timed(lambda: forward_tensor(combined, x, args.device)),
        "published": timed(lambda: forward_tensor(published, x, args.device)),
        "natural": timed(lambda: forward_tensor(half(combined.natural), x, args.device)),
        "symmetry": timed(lambda: forward_tensor(
            half(combined.symmetry.forward_features), x, args.device)),
    }
    if not hasattr(combined, "natural"):
        contenders = {"combined": contenders["combined"]}
    if cuda:
        contenders["bf16"] = timed(with_dtype(torch.bfloat16))
        contenders["heuristics"] = timed(lambda: forward_tensor(combined, x, args.device),
                                         heuristics)
        try:
            contenders["graphed"] = timed(graphed())
        except RuntimeError as exc:  # a capture torch refuses: say so, time the rest
            print(f"graphed: not timed, the capture failed: {exc}")
    if args.compile:
        compiled = torch.compile(combined, dynamic=False)
        contenders["compiled"] = timed(lambda: forward_tensor(compiled, x, args.device))
    with LoadWatch() as load:
        times = interleave(contenders, args.repeats, load)
    images = args.batch * args.iters
    base = stats(times["combined"])["min"]
    print(f"{args.model} on {args.device}"
          f"{' (' + torch.cuda.get_device_name() + ')' if cuda else ''}, {args.size} px, "
          f"batches of {args.batch}, {args.iters} batches a pass, best of {args.repeats}")
    for name, seconds in times.items():
        best = stats(seconds)["min"]
        print(f"{name:>11}: {images / best:9.1f} images/s  (ratio of time to combined "
              f"{best / base:.2f}; passes {', '.join(f'{s:.3f}' for s in seconds)} s)")
    print(load.line())


if __name__ == "__main__":
    main()
