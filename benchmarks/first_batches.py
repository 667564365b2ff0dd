"""What a fresh process pays the first time it runs each batch shape on the GPU.

    python benchmarks/first_batches.py --device cuda --size 512 --autotune on
    python benchmarks/first_batches.py --device cuda --size 512 --autotune off

`symcat embed` runs in a process of its own, and its first batches of each shape pay
one-off costs (cuDNN's timed search with `--autotune on`, kernels loaded or compiled at
first use) that a benchmark's later runs in the same process do not. This times the
model's forward pass (`forward_tensor`, as a run calls it) on random uint8 batches in the
order a ramped run meets its shapes (`symcat.embed.run.RAMP`, then full batches, then a
short last batch: GPU runs before session 48; they now run the full shape only,
`symcat.embed.shapes`), each shape's first call against its later ones, with the load
average. Run each setting in a fresh process: the costs are per process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="symcat_combined.v2")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--size", type=int, default=512, help="input side (px)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--autotune", choices=["on", "off"], default="on")
    parser.add_argument("--cudnn", choices=["on", "off"], default="on",
                        help="off: PyTorch's own convolution kernels instead of cuDNN's")
    parser.add_argument("--depthwise", choices=["cudnn", "native"], default="cudnn",
                        help="native: depthwise convolutions through PyTorch's kernel "
                             "(symcat.embed.depthwise), as a short `symcat embed` run on a "
                             "GPU does")
    parser.add_argument("--full", type=int, default=6, help="full batches in the run")
    args = parser.parse_args()

    import torch

    from symcat.embed.extractors import forward
    from symcat.embed.registry import create_extractor
    from symcat.embed.run import RAMP

    started = time.perf_counter()
    cuda = args.device.startswith("cuda")
    extractor = create_extractor(args.model).eval().to(args.device)
    if cuda:
        extractor = extractor.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = args.autotune == "on"
        torch.backends.cudnn.enabled = args.cudnn == "on"
    if args.depthwise == "native":
        from symcat.embed.depthwise import native_depthwise

        native_depthwise(extractor)
    print(f"{args.model} on {args.device} "
          f"({torch.cuda.get_device_name() if cuda else '-'}), {args.size} px, autotune "
          f"{args.autotune}, cuDNN {args.cudnn}, depthwise {args.depthwise}, torch "
          f"{torch.__version__}; model ready in "
          f"{time.perf_counter() - started:.2f} s", flush=True)
    shapes = [max(1, args.batch // d) for d in RAMP] + [args.batch] * args.full
    shapes.append(max(1, args.batch // 4))  # a run's short last batch
    seen: dict[int, list[float]] = {}
    total = 0.0
    with LoadWatch() as watch:
        for n in shapes:
            x = torch.randint(0, 256, (n, 3, args.size, args.size), dtype=torch.uint8)
            if cuda:
                x = x.pin_memory()
                torch.cuda.synchronize()
            t = time.perf_counter()
            forward(extractor, x, args.device)  # copies the result back: synchronized
            lap = time.perf_counter() - t
            total += lap
            seen.setdefault(n, []).append(lap)
            print(f"  batch of {n:4d}: {lap * 1000:8.1f} ms"
                  + ("  (first of its shape)" if len(seen[n]) == 1 else ""), flush=True)
    for n, laps in seen.items():
        later = (f"{min(laps[1:]) * 1000:.1f} ms later (best)" if len(laps) > 1
                 else "no later call")
        print(f"shape {n}: first {laps[0] * 1000:.1f} ms, {later}")
    steady = sum(min(seen[n][1:] or seen[n]) for n in shapes)
    print(f"all {len(shapes)} batches {total:.2f} s; at each shape's best {steady:.2f} s; "
          f"one-off cost {total - steady:.2f} s; {watch.line()}")


if __name__ == "__main__":
    main()
