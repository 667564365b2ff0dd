"""Embedding throughput: images/s end to end (catalog rows -> stored vectors), and the
ratio to the network's own forward rate in the same run.

Generates N synthetic DART-PFM files, ingests them into a fresh embedded catalog (not
timed), then times `symcat.embed.run.embed_catalog` over all of them (loading and
preprocessing in workers, inference, COPY into Postgres; the HNSW index build is left
out, it is a one-off), and the extractor alone on random batches already on the device.
A ratio near 1 means the network is the bottleneck; well below 1, our pipeline is.

    python benchmarks/embed.py                                  # CPU, 200 files
    python benchmarks/embed.py --n 8000 --device cuda --batch-size 256
    python benchmarks/embed.py --models symcat_combined.untrained  # timing only (see below)

``--no-db`` replaces the catalog by scans held in memory (quantized like stored channels,
de-quantized and preprocessed in the same DataLoader workers): for machines without
PostgreSQL (the device machine); it measures everything but the database reads/writes.

``symcat_combined.untrained`` is the combined model with an untrained symmetry network
of the shipped architecture, registered here for timing before the trained weights
ship: same computation, meaningless vectors; its vectors are stored under that name.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any


def register_untrained_combined() -> None:
    """Timing stand-in for symcat_combined.v1 (same networks, random symmetry weights)."""
    from symcat.embed.extractors import combined, reduction
    from symcat.embed.extractors.efficientnet import FOUR_TAP
    from symcat.embed.extractors.efficientnet import _weights as natural_weights
    from symcat.embed.registry import ExtractorCfg, create_extractor, register_extractor

    cfg = ExtractorCfg(
        name="symcat_combined.untrained", dim=combined.COMBINED.dim,
        input_size=FOUR_TAP.input_size,
        weights=lambda: (*natural_weights(), reduction.FILE), licence="timing only",
        description="combined model with an UNTRAINED symmetry network: timing only",
    )

    @register_extractor(cfg)
    def build(cfg: ExtractorCfg):  # noqa: ANN202
        from symcat.embed.symmetry.model import SymmetryNet

        natural = create_extractor(FOUR_TAP.name)
        return combined.combined_module(cfg, natural, SymmetryNet("resnet18", "fft"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--models", nargs="*", default=["effnet_lite0_4tap.in1k"])
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs per model")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--no-db", action="store_true", help="in-memory scans, no PostgreSQL")
    args = parser.parse_args()
    if args.no_db:
        return main_no_db(args)

    work = args.work or Path(tempfile.mkdtemp(prefix="symcat-embed-"))
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    import torch

    from symcat.client import Catalog
    from symcat.embed.extractors import forward
    from symcat.embed.run import default_workers, embed_catalog, resolve_device
    from symcat.ingest.synth.dataset import generate_dataset

    register_untrained_combined()
    device = resolve_device(args.device)
    workers = default_workers(device) if args.workers is None else args.workers
    cpu = platform.processor() or platform.machine()
    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else "-"
    print(f"device {device} ({gpu}), {os.cpu_count()} cores ({cpu}), {workers} loading "
          f"workers, batch {args.batch_size}, torch {torch.__version__}", flush=True)
    files = work / "files"
    started = time.perf_counter()
    if not (files / "labels.csv").exists():
        generate_dataset(files, args.n, seed=11, jobs=os.cpu_count() or 1)
    catalog = Catalog()
    catalog.ingest([files])
    print(f"prepared {args.n} scans in {time.perf_counter() - started:.0f} s", flush=True)

    for model in args.models:
        cfg, extractor = prepared_extractor(model, device)
        model_rate = forward_rate(extractor, cfg.input_size, args.batch_size, device, forward)
        rates = []
        for _ in range(args.repeat):
            summary = embed_catalog(catalog.engine, model, batch_size=args.batch_size,
                                    device=device, workers=workers, rebuild=True,
                                    build_index=False)
            rates.append(summary.rate)
        best = max(rates)
        print(f"{model}: end to end {best:.1f} images/s (runs: "
              f"{', '.join(f'{r:.1f}' for r in rates)}; {summary.embedded} scans), "
              f"model only {model_rate:.1f} images/s, ratio {best / model_rate:.2f}",
              flush=True)



def prepared_extractor(model: str, device: str) -> tuple[Any, Any]:
    """The model's config and extractor, set up for `device` as `symcat embed` would."""
    import torch

    from symcat.embed.registry import create_extractor, get_cfg

    cfg = get_cfg(model)
    extractor = create_extractor(model, device=device)
    if device.startswith("cuda"):
        extractor = extractor.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
    return cfg, extractor

def forward_rate(extractor, size: int, batch: int, device: str, forward) -> float:
    """Images/s of the extractor alone (with our centring/normalization and the copy back)."""
    import torch

    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)  # as preprocess gives
    if device.startswith("cuda"):
        x = x.pin_memory()
    for _ in range(3):
        forward(extractor, x, device)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < (10.0 if device.startswith("cuda") else 20.0):
        forward(extractor, x, device)
        n += batch
    return n / (time.perf_counter() - started)


def main_no_db(args: argparse.Namespace) -> None:
    """Pipeline rate without the database: in-memory scans -> workers -> extractor."""
    import torch
    from torch.utils.data import DataLoader

    from symcat.embed.extractors import forward

    register_untrained_combined()
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    cores = os.cpu_count() or 1
    workers = args.workers if args.workers is not None else (
        min(12, cores - 1) if device.startswith("cuda") else max(0, min(4, cores - 1)))
    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else "-"
    print(f"device {device} ({gpu}), {cores} cores, {workers} loading workers, batch "
          f"{args.batch_size}, torch {torch.__version__}, no database", flush=True)
    scans = memory_scans(32)
    for model in args.models:
        cfg, extractor = prepared_extractor(model, device)
        model_rate = forward_rate(extractor, cfg.input_size, args.batch_size, device, forward)
        batches = MemoryBatches(scans, args.n, args.batch_size, cfg.input_size)
        rates = []
        for _ in range(args.repeat):
            loader = DataLoader(batches, batch_size=None, num_workers=workers,
                                pin_memory=device.startswith("cuda"), prefetch_factor=4
                                if workers else None, collate_fn=_tensor)
            done, started = 0, time.perf_counter()
            for x in loader:
                forward(extractor, x, device)
                done += len(x)
            rates.append(done / (time.perf_counter() - started))
        best = max(rates)
        print(f"{model}: pipeline without database {best:.1f} images/s (runs: "
              f"{', '.join(f'{r:.1f}' for r in rates)}; {args.n} scans), model only "
              f"{model_rate:.1f} images/s, ratio {best / model_rate:.2f}", flush=True)


def memory_scans(count: int) -> list:
    """Rendered DART scenes, stored as the catalog stores channels (uint16 + min/max)."""
    import numpy as np

    from symcat.ingest.synth.domains import CLASSES, random_scene, render
    from symcat.store.pixels import quantize_u16

    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        layers = render(random_scene(CLASSES[i % len(CLASSES)], rng, points=256), rng).layers()
        out.append([(f"{name}Retrace", "deg" if name.startswith("Phase") else "m", a.shape,
                     float(np.nanmin(a)), float(np.nanmax(a)),
                     quantize_u16(a, float(np.nanmin(a)), float(np.nanmax(a))))
                    for name, a in layers.items()])
    return out


class MemoryBatches:
    """Like symcat.embed.run's batches, with scans read from memory instead of Postgres."""

    def __init__(self, scans: list, n: int, batch: int, size: int) -> None:
        self.scans, self.n, self.batch, self.size = scans, n, batch, size

    def __len__(self) -> int:
        return (self.n + self.batch - 1) // self.batch

    def __getitem__(self, i: int):  # noqa: ANN204
        import numpy as np

        from symcat.embed.preprocess import StoredChannel, choose_channels, preprocess
        from symcat.store.pixels import dequantize_u16

        arrays = []
        for j in range(i * self.batch, min(self.n, (i + 1) * self.batch)):
            stored = self.scans[j % len(self.scans)]
            stand_ins = [StoredChannel(c[0], c[1], np.empty(c[2], np.uint8)) for c in stored]
            chosen = {id(c) for c in choose_channels("dart_pfm", stand_ins)}
            channels = [StoredChannel(c[0], c[1], dequantize_u16(c[5], c[2], c[3], c[4]))
                        for c, s in zip(stored, stand_ins, strict=True) if id(s) in chosen]
            arrays.append(preprocess("dart_pfm", channels, self.size))
        return np.stack(arrays)


def _tensor(array):  # noqa: ANN001, ANN202
    import torch

    return torch.from_numpy(array)


if __name__ == "__main__":
    main()
