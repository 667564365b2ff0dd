"""Where a fresh process's first call of a batch shape spends its time, layer by layer.

    python benchmarks/first_convs.py --size 512 --batch 128
    python benchmarks/first_convs.py --size 512 --batch 128 --layout contiguous

`benchmarks/first_batches.py` measured that each new batch shape costs a fresh GPU process
about 1.5 s on its first call with cuDNN's heuristics (41 ms later, 512 px, H100). This
runs one full batch twice, as `forward_tensor` does (uint8 -> [0, 1], fp16 autocast),
with every convolution timed on its own (synchronized before and after), and prints the
first call against the second: in all, by half of the model and kind of convolution
(depthwise, 1x1, k x k), the slowest layers, and the shared libraries the first call
loaded (a runtime compiler among them says kernels are compiled as the process runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch  # noqa: E402


def libraries() -> set[str]:
    """Shared libraries mapped into this process (Linux)."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return set()
    return {line.split()[-1].rsplit("/", 1)[-1] for line in lines if ".so" in line}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="symcat_combined.v2")
    parser.add_argument("--size", type=int, default=512, help="input side (px)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--layout", choices=["channels_last", "contiguous"],
                        default="channels_last")
    parser.add_argument("--dtype", choices=["fp16", "bf16", "fp32"], default="fp16")
    parser.add_argument("--depthwise", choices=["cudnn", "native"], default="cudnn",
                        help="native: depthwise convolutions through PyTorch's kernel "
                             "(symcat.embed.depthwise), as a short `symcat embed` run on a "
                             "GPU does")
    parser.add_argument("--top", type=int, default=8, help="slowest layers to list")
    parser.add_argument("--device", default="cuda", help="cpu: a smoke test of the script")
    parser.add_argument("--calls", type=int, default=2, help="full batches run (>= 2)")
    parser.add_argument("--layers", choices=["on", "off"], default="on",
                        help="off: no per-layer timing, the forward pass as a run makes it")
    args = parser.parse_args()

    import torch

    from symcat.embed.depthwise import is_depthwise
    from symcat.embed.registry import create_extractor

    started = time.perf_counter()
    layout = (torch.channels_last if args.layout == "channels_last"
              else torch.contiguous_format)
    cuda = args.device.startswith("cuda")
    extractor = create_extractor(args.model).eval().to(args.device).to(memory_format=layout)
    torch.backends.cudnn.benchmark = False
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if args.depthwise == "native":
        from symcat.embed.depthwise import native_depthwise

        native_depthwise(extractor)
    print(f"{args.model}, {args.size} px, batch {args.batch}, {args.layout}, {args.dtype}, "
          f"depthwise {args.depthwise}, "
          f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name() if cuda else 'CPU'}; model ready in "
          f"{time.perf_counter() - started:.2f} s", flush=True)

    laps: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, str] = {}
    marks: dict[str, float] = {}

    def before(name: str):
        def hook(module, inputs):
            sync()
            marks[name] = time.perf_counter()
        return hook

    def after(name: str):
        def hook(module, inputs, output):
            sync()
            laps[name].append(time.perf_counter() - marks[name])
        return hook

    for name, module in extractor.named_modules():
        if isinstance(module, torch.nn.Conv2d) and args.layers == "on":
            k = module.kernel_size[0]
            kind = "depthwise" if is_depthwise(module) else "1x1" if k == 1 else f"{k}x{k}"
            half = name.split(".")[0]
            kinds[name] = f"{half} {kind} k{k}" if kind == "depthwise" else f"{half} {kind}"
            module.register_forward_pre_hook(before(name))
            module.register_forward_hook(after(name))

    autocast = cuda and args.dtype != "fp32"
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[args.dtype]
    x = torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8)
    totals = []
    loaded_first: set[str] = set()
    with LoadWatch() as watch:
        for call in range(max(2, args.calls)):
            had = libraries()
            sync()
            t = time.perf_counter()
            with torch.inference_mode():
                batch = x.to(args.device).float().div_(255.0).contiguous(memory_format=layout)
                with torch.autocast(args.device, dtype=dtype, enabled=autocast):
                    extractor(batch)
            sync()
            totals.append(time.perf_counter() - t)
            if call == 0:
                loaded_first = libraries() - had
    print(f"whole forward: first {totals[0] * 1000:.0f} ms, later "
          + ", ".join(f"{t * 1000:.0f}" for t in totals[1:]) + " ms; one-off "
          f"{(totals[0] - min(totals[1:])) * 1000:.0f} ms"
          + (" (each convolution synchronized: slower than a run's)" if laps else ""))
    print("libraries the first call loaded: " + (", ".join(sorted(loaded_first)) or "none"))
    if not laps:
        print(watch.line())
        return
    convs_first = sum(v[0] for v in laps.values())
    convs_second = sum(v[1] for v in laps.values())
    print(f"the {len(laps)} convolutions: first {convs_first * 1000:.0f} ms, second "
          f"{convs_second * 1000:.0f} ms")
    groups: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for name, v in laps.items():
        g = groups[kinds[name]]
        g[0] += v[0]
        g[1] += v[1]
        g[2] += 1
    for kind, (first, second, n) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        print(f"  {kind:28s} {n:3d} layers: first {first * 1000:7.1f} ms "
              f"({first / n * 1000:5.1f} a layer), second {second * 1000:6.1f} ms")
    print("slowest first calls:")
    for name, v in sorted(laps.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"  {name:48s} {kinds[name]:24s} {v[0] * 1000:7.1f} ms, then {v[1] * 1000:.1f}")
    print(watch.line())


if __name__ == "__main__":
    main()
