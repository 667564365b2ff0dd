"""Embedding throughput: images/s end to end (catalog rows -> stored vectors), and the
ratio to the network's own forward rate measured in the same run.

Generates synthetic DART-PFM files, ingests them into a fresh embedded catalog, then
times `symcat.embed.run.embed_catalog` over all image scans: loading workers read the
chosen channels from PostgreSQL, preprocessing (on a GPU: batched on the device),
inference, COPY of the vectors into PostgreSQL. The HNSW index build is left out (a
one-off). The extractor alone is timed on random uint8 batches; a ratio near 1 means
the network is the bottleneck, well below 1 our pipeline is. The time of the best
run is broken down (see `EmbedSummary.timings`).

    python benchmarks/embed.py                                  # CPU, 200 scans
    python benchmarks/embed.py --device cuda --n 16000 --distinct 2000 --batch-size 256 \\
        --models symcat_combined.v1

``--distinct M`` (default: N) generates and ingests M files and copies their catalog rows
(scans and all their channels, pixels included) by SQL until the catalog holds N image
scans: ingesting thousands of files costs minutes and tens of GB of original files,
which a short GPU lease cannot spare. Each copy is a separate row with its own pixels
on disk, read like any other; only its `original_files` row is empty (the embedding
never reads original files).

``--fresh`` runs each end-to-end run in a process of its own, as `symcat embed` runs: a
process pays one-off costs for each new batch shape on a GPU (cuDNN's choices, kernels
loaded at first use; `benchmarks/first_batches.py`), which later runs in one process
do not. ``--autotune off on``, ``--shapes ramp fixed``, ``--depthwise cudnn native`` and
``--warmup off on`` alternate the settings that decide those costs (`embed_catalog`'s
`autotune`, `fixed_shapes`, `native_depthwise` and `warm_cudnn`).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scratch import scratch_folder  # noqa: E402
from _timing import LoadWatch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="image scans in the catalog")
    parser.add_argument("--distinct", type=int, default=None,
                        help="files generated and ingested (default N); the rest are copies")
    parser.add_argument("--models", nargs="*", default=["effnet_lite0_4tap.in1k"])
    parser.add_argument("--points", type=int, default=256, help="generated scans' size (px)")
    parser.add_argument("--model-seconds", type=float, default=None,
                        help="how long the extractor alone is timed (default 10 GPU, 20 CPU)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="*", default=None,
                        help="loading workers (several: one set of runs each)")
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs per model")
    parser.add_argument("--worker-preprocess", action="store_true",
                        help="on a GPU, also time one run with the numpy preprocessing in the "
                             "loading workers (the CPU path), for comparison")
    parser.add_argument("--check", type=int, default=0, metavar="K",
                        help="after the runs, recompute K stored vectors one scan at a time "
                             "(numpy preprocessing, no loading workers) and compare")
    parser.add_argument("--server", nargs="*", default=["default"], metavar="SETTINGS",
                        help="server arms: 'default', or NAME=VALUE[,NAME=VALUE] set by ALTER "
                             "SYSTEM; the server restarts before each arm's runs")
    parser.add_argument("--slots", nargs="*", default=["pinned"],
                        choices=["pinned", "pageable"],
                        help="GPU loading slots page-locked, or copied from pageable memory "
                             "(several: one set of runs each)")
    parser.add_argument("--compile", nargs="*", default=None, choices=["off", "on"],
                        help="embed through torch.compile (symcat embed --compile); 'off on': "
                             "plain and compiled runs alternate, one set each (bare: on)")
    parser.add_argument("--fold", nargs="*", default=None, choices=["off", "on"],
                        help="BatchNorm folded into the convolutions (the default, on) or the "
                             "network as published (off); 'off on': runs alternate")
    parser.add_argument("--autotune", nargs="*", default=None, choices=["off", "on"],
                        help="cuDNN times its algorithms per batch shape (on) or takes its "
                             "heuristics' choice (off, the default); 'off on': runs "
                             "alternate (GPU)")
    parser.add_argument("--shapes", nargs="*", default=None, choices=["ramp", "fixed"],
                        help="batches of one size, the last padded (fixed, the GPU default) "
                             "or smaller first batches and a short last one (ramp); "
                             "'ramp fixed': runs alternate")
    parser.add_argument("--depthwise", nargs="*", default=None, choices=["cudnn", "native"],
                        help="depthwise convolutions through PyTorch's kernel (native; the "
                             "GPU default for runs of at most 8 batches) or cuDNN's (cudnn); "
                             "'cudnn native': runs alternate")
    parser.add_argument("--warmup", nargs="*", default=None, choices=["off", "on"],
                        help="cuDNN meets each batch shape layer by layer, a thread "
                             "for each depthwise convolution, which then runs that layer's "
                             "calls, while the run's calls of a layer not yet warm go "
                             "through PyTorch's depthwise kernel (on; the GPU default for "
                             "runs not short), or in the run's own thread (off); 'off on': "
                             "runs alternate")
    parser.add_argument("--fresh", action="store_true",
                        help="each end-to-end run in a new process, as `symcat embed`")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    with scratch_folder("symcat-embed-", args.work) as work:
        measure(args, work)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Every run the arguments ask for, on a catalog in `work`."""
    compiles = ["off"] if args.compile is None else (args.compile or ["on"])
    folds = ["on"] if args.fold is None else (args.fold or ["on"])
    tunes = ["off"] if args.autotune is None else (args.autotune or ["on"])
    shapes = ["default"] if args.shapes is None else (args.shapes or ["fixed"])
    depthwise = ["default"] if args.depthwise is None else (args.depthwise or ["native"])
    warmups = ["default"] if args.warmup is None else (args.warmup or ["on"])
    variants = [(c, f, t, b, d, w) for c in compiles for f in folds for t in tunes
                for b in shapes for d in depthwise for w in warmups]  # alternating
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    import torch

    from symcat.client import Catalog
    from symcat.embed.run import default_workers, resolve_device

    device = resolve_device(args.device)
    worker_counts = args.workers or [default_workers(device)]
    cores = os.cpu_count() or 1
    gpu = torch.cuda.get_device_name() if device.startswith("cuda") else "-"
    print(f"device {device} ({gpu}), {cores} cores ({platform.processor() or platform.machine()})"
          f", loading workers {worker_counts}, batch {args.batch_size}, torch "
          f"{torch.__version__}", flush=True)
    catalog = Catalog()
    print(f"load average before: {load()}", flush=True)
    prepare_catalog(catalog, work / "files", args.n, args.distinct or args.n, cores,
                    args.points)

    for model in args.models:
        cfg, extractor = prepared_extractor(model, device)
        side = input_side(cfg, args.points)
        model_rate = forward_rate(extractor, side, args.batch_size, device, args.model_seconds)
        if device.startswith("cuda"):
            rate = preprocess_rate(catalog.engine, cfg.sizing, args.batch_size, device)
            print(f"{model}: preprocessing on the device alone {rate:.0f} images/s", flush=True)
        del extractor
        arms = [(w, a, p) for w in worker_counts for a in args.server for p in args.slots]
        for i, (workers, arm, slots) in enumerate(arms):
            if args.server != ["default"] and (i == 0 or arms[i - 1][1] != arm):
                catalog = restart_with(catalog, arm, args.server)
            runs: dict[tuple[str, ...], list[Any]] = {v: [] for v in variants}
            model_rates = [model_rate]
            with LoadWatch() as watch:  # end to end and model only alternate (issue 17)
                for r in range(args.repeat):
                    for v in variants:  # plain and compiled (folded or not) alternate too
                        once = embed_fresh if args.fresh else embed_once
                        runs[v].append(once(catalog, model, args.batch_size, device,
                                            workers, pin_slots=slots == "pinned",
                                            compile_model=v[0] == "on",
                                            fold_layers=v[1] == "on",
                                            autotune=v[2] == "on",
                                            fixed_shapes={"default": None, "ramp": False,
                                                          "fixed": True}[v[3]],
                                            native_depthwise={"default": None,
                                                              "cudnn": False,
                                                              "native": True}[v[4]],
                                            warm_cudnn={"default": None, "off": False,
                                                        "on": True}[v[5]]))
                        s = runs[v][-1]
                        print(f"  run {r + 1}{variant_label(v, variants)}: "
                              f"{s.rate:.1f} images/s; {breakdown(s.timings, workers)}; "
                              f"{memory()}", flush=True)
                    model_rates.append(model_only(model, side, args.batch_size, device,
                                                  args.model_seconds))
            model_rate = max(model_rates)
            label = ("" if args.server == ["default"] else f", server {arm}") + (
                "" if args.slots == ["pinned"] else f", {slots} slots")
            for v, summaries in runs.items():
                best = max(summaries, key=lambda s: s.rate)
                network = variant_label(v, variants).replace(" ", ", ", 1)
                print(f"{model}, {workers} workers{label}{network}: end to end {best.rate:.1f} "
                      f"images/s (runs: {', '.join(f'{s.rate:.1f}' for s in summaries)}; "
                      f"{best.embedded} scans in {best.seconds:.2f} s), model only "
                      f"{model_rate:.1f} images/s, uncompiled (runs: "
                      f"{', '.join(f'{r:.1f}' for r in model_rates)}), ratio of the bests "
                      f"{best.rate / model_rate:.2f}; {watch.line()}", flush=True)
                print("  after the first batch (steady): " + ", ".join(
                    (f"{s.steady_rate:.1f} images/s" if s.embedded > s.start_up_scans
                     else "one batch only")
                    + f" (start-up {s.start_up:.2f} s"
                    + (f", of it compiling {s.timings['compile']:.2f} s" if "compile"
                       in s.timings else "") + ")" for s in summaries), flush=True)
                print(f"  time of the best run: {breakdown(best.timings, workers)}", flush=True)
        if args.check:
            print(f"{model}: {check_vectors(catalog, model, args.check, device)}", flush=True)
        if args.worker_preprocess and device.startswith("cuda"):
            workers = worker_counts[-1]
            run = embed_once(catalog, model, args.batch_size, device, workers, on_device=False)
            print(f"{model}, {workers} workers, preprocessing in the workers (numpy): end to "
                  f"end {run.rate:.1f} images/s, ratio {run.rate / model_rate:.2f}\n"
                  f"  time: {breakdown(run.timings, workers)}", flush=True)


def variant_label(variant: tuple[str, ...], variants: list[tuple[str, ...]]) -> str:
    """' compiled, folded' and the like, naming only what the runs vary."""
    compiled, folded, tuned, shaped, depthwise, warmup = variant
    parts = []
    if len({v[0] for v in variants}) > 1:
        parts.append("compiled" if compiled == "on" else "not compiled")
    if len({v[1] for v in variants}) > 1:
        parts.append("folded" if folded == "on" else "as published")
    if len({v[2] for v in variants}) > 1:
        parts.append("autotuned" if tuned == "on" else "heuristics")
    if len({v[3] for v in variants}) > 1:
        parts.append("one batch shape" if shaped == "fixed" else "ramp")
    if len({v[4] for v in variants}) > 1:
        parts.append(f"{depthwise} depthwise")
    if len({v[5] for v in variants}) > 1:
        parts.append(f"cuDNN warm-up {warmup}")
    return (" " + ", ".join(parts)) if parts else ""


def parse_arm(arm: str) -> dict[str, str]:
    """'default' -> {}; 'a=1,b=2' -> {'a': '1', 'b': '2'}."""
    if arm == "default":
        return {}
    pairs = [part.split("=", 1) for part in arm.split(",")]
    if any(len(pair) != 2 or not pair[0].strip() for pair in pairs):
        raise SystemExit(f"--server {arm!r}: expected 'default' or NAME=VALUE[,NAME=VALUE]")
    return {name.strip(): value.strip() for name, value in pairs}


def restart_with(catalog: Any, arm: str, arms: list[str]) -> Any:
    """The catalog's embedded server restarted with `arm`'s settings (every setting any arm
    names is reset first); a new Catalog on it. Prints the settings in force."""
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.store.engine import stop_embedded

    names = sorted({name for a in arms for name in parse_arm(a)})
    wanted = parse_arm(arm)
    with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names:
            conn.execute(text(f"ALTER SYSTEM RESET {name}"))
        for name, value in wanted.items():
            conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
    stop_embedded(catalog.settings.data_dir)
    catalog = Catalog(settings=catalog.settings)
    with catalog.engine.connect() as conn:
        shown = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in names}
    print(f"server restarted for arm {arm!r}: "
          + ", ".join(f"{k} = {v}" for k, v in shown.items()), flush=True)
    return catalog


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (5 min {five:.2f}){' busy' if one > 1.5 else ''}"


def input_side(cfg: Any, points: int) -> int:
    """The network's input side for square scans of `points` px (native models follow them)."""
    return cfg.size_policy.shape(points, points)[0] if cfg.size_policy else cfg.input_size


def prepare_catalog(catalog: Any, files: Path, n: int, distinct: int, jobs: int,
                    points: int = 256) -> None:
    """Generate and ingest `distinct` files, then copy rows until there are `n` image scans."""
    from symcat.ingest.synth.dataset import generate_dataset

    started = time.perf_counter()
    if not (files / "labels.csv").exists():
        generate_dataset(files, distinct, seed=11, jobs=jobs, points=points)
    print(f"{distinct} files generated in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    catalog.ingest([files], jobs=jobs)
    print(f"ingested in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    total = replicate(catalog.engine, n, jobs)
    print(f"catalog: {total} image scans (copies made in {time.perf_counter() - started:.0f} s)",
          flush=True)


def replicate(engine: Any, target: int, jobs: int) -> int:
    """Copy image scans with their channels (new ids) until there are `target`; the count."""
    from sqlalchemy import text

    from symcat.store.models import Channel, Scan

    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM scans WHERE record_kind = 'image'"))
        have = int(have.scalar_one())
        if have == 0 or have >= target:
            return have
        conn.execute(text("DROP TABLE IF EXISTS bench_copies"))
        conn.execute(text(
            "CREATE UNLOGGED TABLE bench_copies AS SELECT s.id AS src, gen_random_uuid() AS dst, "
            "encode(sha256(convert_to(s.file_sha256 || '/' || k, 'UTF8')), 'hex') AS sha, "
            "row_number() OVER () AS n FROM scans s CROSS JOIN generate_series(1, :copies) k "
            "WHERE s.record_kind = 'image' LIMIT :need"),
            {"copies": -(-(target - have) // have), "need": target - have})
    special = {"id": "b.dst", "file_sha256": "b.sha", "previous_version_id": "NULL",
               "scan_id": "b.dst"}

    def columns(table: Any, alias: str) -> tuple[str, str]:
        names = [c.name for c in table.columns]
        chosen = [special.get(name, f'{alias}."{name}"') for name in names]
        return ", ".join(f'"{name}"' for name in names), ", ".join(chosen)

    scan_names, scan_values = columns(Scan.__table__, "s")
    channel_names, channel_values = columns(Channel.__table__, "c")
    parts = max(1, min(jobs, 8))

    def copy(part: int) -> None:
        mine = {"parts": parts, "part": part}
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO original_files (file_sha256, size_bytes, content) "
                "SELECT b.sha, 0, ''::bytea FROM bench_copies b WHERE b.n % :parts = :part"),
                mine)
            conn.execute(text(
                f"INSERT INTO scans ({scan_names}) SELECT {scan_values} FROM bench_copies b "
                "JOIN scans s ON s.id = b.src WHERE b.n % :parts = :part"), mine)
            conn.execute(text(
                f"INSERT INTO channels ({channel_names}) SELECT {channel_values} "
                "FROM bench_copies b JOIN channels c ON c.scan_id = b.src "
                "WHERE b.n % :parts = :part"), mine)

    with ThreadPoolExecutor(parts) as pool:
        list(pool.map(copy, range(parts)))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP TABLE bench_copies"))
        # As autovacuum leaves a catalog at rest: statistics and hint bits set, so the
        # first timed run does not pay for them.
        conn.execute(text("VACUUM ANALYZE scans, channels, original_files"))
        total = conn.execute(text("SELECT count(*) FROM scans WHERE record_kind = 'image'"))
        return int(total.scalar_one())


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


def model_only(model: str, size: int, batch: int, device: str,
               seconds: float | None = None) -> float:
    """`forward_rate` of a freshly prepared extractor (between end-to-end runs)."""
    _, extractor = prepared_extractor(model, device)
    return forward_rate(extractor, size, batch, device, seconds)


def forward_rate(extractor: Any, size: int, batch: int, device: str,
                 seconds: float | None = None) -> float:
    """Images/s of the extractor alone (with our centring/normalization and the copy back)."""
    import torch

    from symcat.embed.extractors import forward

    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8)  # as preprocess gives
    if device.startswith("cuda"):
        x = x.pin_memory()
    for _ in range(3):
        forward(extractor, x, device)
    n, started = 0, time.perf_counter()
    seconds = seconds or (10.0 if device.startswith("cuda") else 20.0)
    while time.perf_counter() - started < seconds:
        forward(extractor, x, device)
        n += batch
    return n / (time.perf_counter() - started)


def preprocess_rate(engine: Any, size: Any, batch: int, device: str) -> float:
    """Images/s of the device preprocessing alone, on one batch read from the catalog."""
    import torch
    from sqlalchemy import text

    from symcat.embed.loading import device_groups, read_raw_batch

    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM scans WHERE record_kind = 'image' "
                                     "ORDER BY id LIMIT :n"), {"n": batch}).scalars())
        raw = read_raw_batch(conn.connection.driver_connection, ids, size)
    raw = raw.pin_memory() if device.startswith("cuda") else raw
    for _ in range(3):
        device_groups(raw, size, device)
    torch.cuda.synchronize()
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < 3.0:
        device_groups(raw, size, device)
        n += len(raw.ids)
    torch.cuda.synchronize()
    return n / (time.perf_counter() - started)


def embed_once(
    catalog: Any, model: str, batch: int, device: str, workers: int,
    on_device: bool | None = None, pin_slots: bool = True, compile_model: bool = False,
    fold_layers: bool = True, autotune: bool = False, fixed_shapes: bool | None = None,
    native_depthwise: bool | None = None, warm_cudnn: bool | None = None,
) -> Any:
    """One timed `embed_catalog` over every image scan (the model's vectors deleted first,
    outside the timing: a catalog's first embedding has nothing to delete)."""
    from sqlalchemy import delete

    from symcat.embed.registry import get_cfg
    from symcat.embed.run import embed_catalog, ensure_model
    from symcat.store.models import Embedding

    with catalog.engine.begin() as conn:
        conn.execute(delete(Embedding).where(
            Embedding.model_id == ensure_model(conn, get_cfg(model))))
    return embed_catalog(catalog.engine, model, batch_size=batch, device=device,
                         workers=workers, build_index=False,
                         device_preprocess=on_device, pin_slots=pin_slots,
                         compile_model=compile_model, fold_layers=fold_layers,
                         autotune=autotune, fixed_shapes=fixed_shapes,
                         native_depthwise=native_depthwise,
                         warm_cudnn=warm_cudnn)


def embed_fresh(catalog: Any, model: str, batch: int, device: str, workers: int,
                **options: Any) -> Any:
    """`embed_once` in a new Python process (the catalog's server shared), as a user's
    `symcat embed` runs; the summary's figures come back as JSON."""
    import json
    import subprocess
    from types import SimpleNamespace

    call = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "from embed import embed_once; from symcat.client import Catalog; "
            f"s = embed_once(Catalog(), {model!r}, {batch}, {device!r}, {workers}, "
            f"**{options!r}); print('SUMMARY ' + json.dumps(dict(rate=s.rate, "
            "steady_rate=s.steady_rate, embedded=s.embedded, seconds=s.seconds, "
            "start_up=s.start_up, start_up_scans=s.start_up_scans, timings=s.timings)))")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True,
                          check=False)
    lines = [x for x in done.stdout.splitlines() if x.startswith("SUMMARY ")]
    if done.returncode or not lines:
        raise SystemExit(f"a fresh run failed (exit {done.returncode}): "
                         f"{done.stderr.strip()[-2000:]}")
    summary = SimpleNamespace(**json.loads(lines[-1][len("SUMMARY "):]))
    summary.timings["process"] = time.perf_counter() - started  # imports and all
    return summary


def check_vectors(catalog: Any, model: str, k: int, device: str) -> str:
    """Stored vectors of `k` scans (the last timed run's) against the same scans embedded
    alone through the reference path (the network as published, no BatchNorm folded):
    the batched, pipelined run must store the same."""
    import numpy as np
    from sqlalchemy import text

    from symcat.embed.extractors import forward_any
    from symcat.embed.registry import create_extractor, get_cfg
    from symcat.embed.run import load_channels, prepare_batch

    extractor = create_extractor(model, device=device, fold=False)
    sizing = get_cfg(model).sizing
    with catalog.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.scan_id, e.vector::vector::real[] FROM embeddings e JOIN "
            "embedding_models m ON m.id = e.model_id WHERE m.name LIKE :m ORDER BY random() "
            "LIMIT :k"), {"m": f"{model}@%", "k": k}).all()
        cosines = []
        for scan_id, stored in rows:
            ids, images, _ = prepare_batch(load_channels(conn, [scan_id]), [scan_id], sizing)
            alone = forward_any(extractor, images, device)[0]
            cosines.append(float(np.dot(alone, np.asarray(stored)) /
                                 (np.linalg.norm(alone) * np.linalg.norm(stored) + 1e-12)))
    if not cosines:
        return "check: no stored vectors"
    return (f"check: {len(cosines)} stored vectors against the same scans embedded alone: "
            f"cosine min {min(cosines):.5f}, median {float(np.median(cosines)):.5f}")


def memory() -> str:
    """Free memory and shared memory in use: runs that leave pages behind show up here."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        available = int(info["MemAvailable"].split()[0]) >> 20
        shm = int(info["Shmem"].split()[0]) >> 20
    except (OSError, KeyError, ValueError):
        return "memory: unknown"
    return f"memory available {available} GB, shared {shm} GB, load {load()}"


def breakdown(timings: dict[str, float], workers: int) -> str:
    """The run's timings as one line: main process, then summed over workers and writer."""
    main_keys = ("setup", "first_batch", "waiting", "pin_wait", "device", "storing")
    line = ", ".join(f"{k.replace('_', ' ')} {timings.get(k, 0.0):.2f} s" for k in main_keys)
    if "compile" in timings:
        line += f" (of which compiling {timings['compile']:.2f} s)"
    parts = [k for k in timings if k.startswith("setup_")]
    if parts:
        line += " (setup: " + ", ".join(
            f"{k.removeprefix('setup_').replace('_', ' ')} {timings[k]:.2f}" for k in parts) + ")"
    if "read" in timings:
        line += (f"; loading workers (sum over {workers}): database read "
                 f"{timings['read']:.2f} s, decode {timings['decode']:.2f} s")
    line += f"; writer thread {timings.get('writer', 0.0):.2f} s"
    if "native_batches" in timings:
        line += (f"; cuDNN warmed {timings.get('warmed_shapes', 0):.0f} shapes, "
                 f"{timings['native_batches']:.0f} batches meanwhile through PyTorch's kernel")
    if "process" in timings:  # --fresh: the whole process, imports and all
        line += f"; whole process {timings['process']:.2f} s"
    return line


if __name__ == "__main__":
    main()
