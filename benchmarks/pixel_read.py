"""The embedding loader's pixel read rate, against fetching the same bytes with plain SQL.

    python benchmarks/pixel_read.py --n 200 --repeats 3      # ~2 min quiet
    python benchmarks/pixel_read.py --n 120 --points 512 --size 512 --repeats 5

Ingests `--n` generated DART-PFM files (`--points` px square, 6 channels) into a fresh
embedded catalog (untimed), then alternates (`benchmarks/_timing.py`): the loader's
`symcat.embed.loading.read_raw_batch` over every image scan in batches of `--batch`
(reading the chosen channels' uint16 pixels out of TOAST and decoding them into planes),
and a plain binary `SELECT pixels_u16` of the same channels (the storage's own rate).
Prints MB/s and images/s of each, their ratio, and the load average.

`--also-loader FILE` adds an arm for another version of `symcat/embed/loading.py` (e.g.
`git show REV:catalog/embed/loading.py > /tmp/old_loading.py`), interleaved with the rest.

`--with-files` adds a third arm for the storage question of issues 12 and 17: the same
three planes of each scan written once (untimed) as one file per scan, read back with
one `readinto` each (page cache warm, as PostgreSQL's pages are), i.e. what a loader
would pay if pixels lived in a file store beside the database.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave, stats  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=256, help="model input size")
    parser.add_argument("--points", type=int, default=256, help="generated scans' size (px)")
    parser.add_argument("--keep", type=Path, default=None, help="files folder to reuse")
    parser.add_argument("--also-loader", type=Path, default=None, metavar="FILE",
                        help="also time this version of symcat/embed/loading.py")
    parser.add_argument("--with-files", action="store_true",
                        help="also read the same planes from one file per scan")
    args = parser.parse_args()

    from symcat.config import Settings
    from symcat.embed.loading import keep_freed_memory, read_raw_batch
    from symcat.embed.slots import Slots
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.pipeline import ingest_paths
    from symcat.store.engine import dispose_all, get_engine, stop_embedded

    work = Path(tempfile.mkdtemp(prefix="symcat-bench-read-"))
    files_dir = args.keep or work / "files"
    settings = Settings(data_dir=work / "catalog", site="bench", instrument="bench-pc")
    try:
        if not any(files_dir.rglob("*.ibw")):
            generate_dataset(files_dir, args.n, seed=0, jobs=os.cpu_count() or 1,
                             points=args.points)
        files = sorted(files_dir.rglob("*.ibw"))[:args.n]
        ingest_paths(settings, files, jobs=os.cpu_count() or 1)
        dispose_all()
        engine = get_engine(settings)
        raw = engine.raw_connection().driver_connection
        ids = [r[0] for r in raw.execute(
            "SELECT id FROM scans WHERE record_kind = 'image' ORDER BY id").fetchall()]
        raw.commit()
        batches = [ids[i:i + args.batch] for i in range(0, len(ids), args.batch)]
        wanted: list[tuple] = []
        read_bytes = [0]
        split = {"read": [], "decode": []}

        # planes go into reused loading slots, as in a GPU run (`symcat.embed.slots`;
        # not page-locked here: that is the GPU's side)
        shape = raw.execute("SELECT shape FROM channels LIMIT 1").fetchone()[0]
        raw.commit()
        slots = Slots(2, 2 * 3 * args.batch * math.prod(shape), pin=False)
        keep_freed_memory()  # as each loading worker does (both arms gain)

        def loader(read_batch: Any = read_raw_batch, record: bool = True) -> float:
            seconds, parts = 0.0, {"read": 0.0, "decode": 0.0}
            for chunk in batches:
                batch = read_batch(raw, chunk, args.size, slots)
                seconds += batch.seconds["read"] + batch.seconds["decode"]
                for key in parts:
                    parts[key] += batch.seconds[key]
                if not wanted:
                    for group in batch.groups:
                        read_bytes[0] += math.prod(group.shape) * 2
                if batch.slot is not None:
                    slots.give_back(batch.slot)
            raw.commit()
            if record:
                wanted.append(1)
                for key in parts:
                    split[key].append(parts[key])
            return seconds

        def plain_sql() -> float:
            started = time.perf_counter()
            with raw.cursor(binary=True) as cursor:
                for chunk in batches:
                    cursor.execute("SELECT c.pixels_u16 FROM channels c WHERE c.scan_id = ANY(%s)"
                                   " AND c.index < 3", (chunk,))
                    for (_data,) in cursor:
                        pass
            raw.commit()
            return time.perf_counter() - started

        arms = {"plain SELECT": plain_sql, "loader": loader}
        if args.also_loader:
            other = load_module(args.also_loader)
            arms[args.also_loader.name] = lambda: loader(other.read_raw_batch, record=False)
        if args.with_files:
            planes_dir = work / "planes"
            planes_dir.mkdir()
            with raw.cursor(binary=True) as cursor:  # untimed: one file per scan
                for chunk in batches:
                    cursor.execute("SELECT c.scan_id, c.pixels_u16 FROM channels c WHERE "
                                   "c.scan_id = ANY(%s) AND c.index < 3 ORDER BY c.scan_id, "
                                   "c.index", (chunk,))
                    planes: dict = {}
                    for scan_id, data in cursor:
                        planes.setdefault(scan_id, []).append(data)
                    for scan_id, parts in planes.items():
                        (planes_dir / str(scan_id)).write_bytes(b"".join(parts))
            raw.commit()
            paths = [planes_dir / str(i) for i in ids]
            largest = max(p.stat().st_size for p in paths)
            buffer = bytearray(largest)
            for p in paths:  # warm the page cache, as the database's pages are
                p.read_bytes()

            def file_per_scan() -> float:
                started = time.perf_counter()
                view = memoryview(buffer)
                for p in paths:
                    with open(p, "rb", buffering=0) as handle:
                        handle.readinto(view)
                return time.perf_counter() - started

            arms["file per scan"] = file_per_scan
        with LoadWatch() as load:
            times = interleave(arms, args.repeats, load)
        mb = read_bytes[0] / 1e6
        print(f"{len(ids)} image scans, {mb:.0f} MB of uint16 pixels read per pass "
              f"(3 channels a scan), batches of {args.batch}")
        print(describe(times, baseline="plain SELECT"))
        for name, seconds in times.items():
            best = stats(seconds)["min"]
            print(f"{name:>12}: best {mb / best:7.1f} MB/s, {len(ids) / best:7.1f} images/s")
        print(f"loader split (median s): database read {stats(split['read'])['median']:.3f}, "
              f"decode into planes {stats(split['decode'])['median']:.3f}")
        print(load.line())
        engine.dispose()
    finally:
        dispose_all()
        stop_embedded(settings.data_dir)
        shutil.rmtree(work, ignore_errors=True)


def load_module(path: Path) -> Any:
    """Another version of symcat.embed.loading, imported from `path` beside the real one."""
    spec = importlib.util.spec_from_file_location("symcat.embed._loading_other", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
