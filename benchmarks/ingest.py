"""Ingest throughput against the raw igor2 parse rate, on generated DART-PFM files.

    python benchmarks/ingest.py            # 2,000 files
    python benchmarks/ingest.py --n 25000  # at scale (needs ~40 GB of disk at 256x256x6)

Prints files/s and MB/s for `symcat ingest` into a fresh embedded catalog, and
its ratio to `igor2.binarywave.load` over the same files in the same run, both
in one process and with as many processes as ingest uses. Files are generated
first (untimed) and read once before timing, so both sides see a warm cache.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from igor2 import binarywave


def _load(path: Path) -> int:
    binarywave.load(str(path))
    return path.stat().st_size


def raw_rate(files: list[Path], jobs: int) -> tuple[float, float]:
    """(files/s, MB/s) of plain igor2 loading."""
    started = time.perf_counter()
    if jobs == 1:
        total = sum(_load(p) for p in files)
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            total = sum(pool.imap_unordered(_load, files, chunksize=8))
    seconds = time.perf_counter() - started
    return len(files) / seconds, total / seconds / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of files (default 2000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None,
                        help="generate into (and keep) this folder instead of a temp folder")
    args = parser.parse_args()

    from symcat.config import Settings
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.pipeline import ingest_paths
    from symcat.store.engine import get_engine, stop_embedded

    work = Path(tempfile.mkdtemp(prefix="symcat-bench-"))
    files_dir = args.keep or work / "files"
    try:
        print(f"generating {args.n} DART-PFM files in {files_dir} ...", flush=True)
        generate_dataset(files_dir, args.n, seed=args.seed, jobs=args.jobs)
        files = sorted(files_dir.rglob("*.ibw"))
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        for p in files:  # warm the page cache for both sides
            p.read_bytes()

        raw1_fps, raw1_mbs = raw_rate(files, 1)
        rawj_fps, rawj_mbs = raw_rate(files, args.jobs)

        settings = Settings(data_dir=work / "catalog", site="bench", instrument="bench-pc")
        get_engine(settings)  # start and migrate the embedded database outside the timing
        started = time.perf_counter()
        summary = ingest_paths(settings, [files_dir], jobs=args.jobs)
        seconds = time.perf_counter() - started
        assert summary.new == len(files), f"only {summary.new} of {len(files)} ingested"
        fps, mbs = len(files) / seconds, megabytes / seconds

        print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores; {len(files)} files, {megabytes:.0f} MB")
        print(f"raw igor2 load, 1 process:       {raw1_fps:8.1f} files/s  {raw1_mbs:7.1f} MB/s")
        print(f"raw igor2 load, {args.jobs} processes:     "
              f"{rawj_fps:8.1f} files/s  {rawj_mbs:7.1f} MB/s")
        print(f"symcat ingest, {args.jobs} processes:      {fps:8.1f} files/s  {mbs:7.1f} MB/s")
        print(f"ratio to raw parse, same processes: {fps / rawj_fps:.2f}")
        print(f"ratio to raw parse, 1 process:      {fps / raw1_fps:.2f}")
    finally:
        stop_embedded(work / "catalog")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
