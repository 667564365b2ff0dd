"""Ingest throughput against the raw igor2 parse rate, on generated DART-PFM files.

    python benchmarks/ingest.py --n 300 --repeats 3      # the issue 17 figure (~3 min quiet)
    python benchmarks/ingest.py --n 1000                  # larger
    python benchmarks/ingest.py --n 200 --profile         # where the time goes, per file
    python benchmarks/ingest.py --leave-out original,thumbnails   # what storing costs

Files are generated first (untimed) and read once, so both sides see a warm cache. Then
raw `igor2.binarywave.load` over all files and `symcat ingest` (`ingest_paths`) into a
fresh embedded catalog run in turn (raw, ingest, ingest, raw, ... `--repeats` pairs,
`benchmarks/_timing.py`), both with `--jobs` processes; a single-process raw pass is
timed once for reference. Printed: min and median files/s of each side, the ratio, the
load average before and after (BUSY above 0.75 x cores), and per file: WAL bytes and
database bytes against the file's size.

`--profile` ingests `--n` files in one process with every stage timed (read, sha256,
parse, normalise, validate, quantise, thumbnails, the database statements, commit), the
database server's own CPU time per file, and raw igor2's CPU time per file on the same
files: CPU times are what a quiet machine's wall times would be, so the profile's CPU
ratio is a load-robust forecast of the interleaved ratio.

`--leave-out` is an ablation, not a mode of symcat: inside this process only (and the
ingest workers it forks), the named parts of each file are not stored -- `original`
(the file's bytes: an empty value instead), `thumbnails` (none drawn), `pixels` (the
channels' quantised pixels: none made) -- so the ratio shows what storing each costs
and what a storage without it could reach. `--originals-to DIR` stores each original as
a content-addressed file there instead (written, fsynced and renamed into place before
the file's transaction, as a file store beside the database would), so the cost of that
design is measured, not guessed.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igor2 import binarywave

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, busy_threshold, describe, interleave, stats  # noqa: E402


def _load(path: Path) -> int:
    binarywave.load(str(path))
    return path.stat().st_size


def raw_seconds(files: list[Path], jobs: int) -> float:
    """Seconds of plain igor2 loading of every file.

    The garbage collector is frozen first, in each process, as symcat's ingest workers do:
    otherwise its full passes walk every object this script imported (symcat included)
    and slow igor2 by ~40%, which a plain igor2 script would not suffer."""
    started = time.perf_counter()
    if jobs == 1:
        gc.freeze()
        try:
            for p in files:
                _load(p)
        finally:
            gc.unfreeze()
    else:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=gc.freeze) as pool:
            for _ in pool.imap_unordered(_load, files, chunksize=8):
                pass
    return time.perf_counter() - started


def _server_pids(engine: Any) -> list[int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        directory = conn.execute(text("SHOW data_directory")).scalar_one()
    first = Path(directory, "postmaster.pid").read_text().splitlines()[0]
    parent = int(first)
    pids = [parent]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    pids.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return pids


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (live ones) and their reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def _database_bytes(engine: Any) -> tuple[int, int]:
    """(WAL position in bytes, database size in bytes)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one()
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return int(lsn), int(size)


def _raw_cpu_ms(files: list[Path]) -> float:
    """CPU milliseconds per file of plain igor2 loading, in this process (its garbage
    collector frozen by `profile`, as in raw_seconds and the ingest workers)."""
    started = time.process_time()
    for path in files:
        _load(path)
    return 1000 * (time.process_time() - started) / len(files)


def profile(files: list[Path], work: Path) -> None:
    """Every stage of `ingest_file` timed, one process."""
    import hashlib

    import sqlalchemy.event

    import symcat.ingest.read as read_module
    import symcat.pipeline as pipeline
    import symcat.store.load as load_module
    from symcat.config import Settings
    from symcat.store.engine import get_engine, stop_embedded

    spent: dict[str, float] = defaultdict(float)  # CPU seconds of this process per stage
    # CPU time (what a quiet machine's wall time would be) of the thread that runs a stage:
    # ingest_files stores file n on a second thread while this one parses file n+1.
    clock = time.thread_time

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += clock() - started
        return wrapper

    original_reader_for = read_module.reader_for

    def reader_for(suffix: str) -> Any:
        reader = original_reader_for(suffix)
        return None if reader is None else timed("parse (igor2 + our reader)", reader)

    read_module.reader_for = reader_for
    read_module.normalize = timed("normalise", read_module.normalize)
    read_module.validate_document = timed("validate (JSON schema)", read_module.validate_document)
    load_module.quantize_u16 = timed("quantise pixels", load_module.quantize_u16)
    load_module.thumbnail_png = timed("PNG thumbnails", load_module.thumbnail_png)
    pipeline.known_status = timed("db: already known?", pipeline.known_status)
    pipeline.prepare_record = timed("rows (quantise + thumbnails)", pipeline.prepare_record)
    pipeline.store_result = timed("db: statements + commit", pipeline.store_result)
    pipeline.hashlib = type("H", (), {"sha256": staticmethod(timed("sha256", hashlib.sha256))})

    settings = Settings(data_dir=work / "profile", site="bench", instrument="bench-pc")
    engine = get_engine(settings)
    commit_started: list[float] = []
    commit_ended: list[float] = []
    sqlalchemy.event.listen(engine, "commit", lambda conn: commit_started.append(
        time.perf_counter()))  # wall: the commit waits for the server's fsync
    original_store = pipeline._store

    def store(*args: Any) -> Any:
        try:
            return original_store(*args)
        finally:
            commit_ended.append(time.perf_counter())

    pipeline._store = store
    gc.freeze()  # as the ingest workers (symcat.pipeline._init_worker) and raw_seconds do
    raw_before = _raw_cpu_ms(files)
    server = _server_pids(engine)
    wal0, size0 = _database_bytes(engine)
    cpu0 = _cpu_seconds(server + _server_pids(engine))
    site = pipeline.site_config(settings)
    started = time.perf_counter()
    for path in files:
        t = clock()
        path.read_bytes()
        spent["read bytes (page cache)"] += clock() - t
    cpu_started = time.process_time()
    for _path, _outcome in pipeline.ingest_files(engine, files, site):
        pass
    spent["all of ingest_files, both threads (CPU)"] += time.process_time() - cpu_started
    commits = 0.0
    for start, end in zip(commit_started, commit_ended, strict=False):
        commits += end - start
    wall = time.perf_counter() - started
    cpu1 = _cpu_seconds(list(set(server + _server_pids(engine))))
    wal1, size1 = _database_bytes(engine)
    mean_size = sum(p.stat().st_size for p in files) / len(files)
    n = len(files)
    print(f"\nprofile: {n} files, {mean_size / 1e6:.2f} MB each, one process (ingest_files: "
          "a parsing thread and a storing thread), "
          f"{n / wall:.1f} files/s, {1000 * wall / n:.1f} ms/file wall")
    print("  CPU time per stage, of the thread running it (nested stages are inside others):")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<40} {1000 * seconds / n:7.2f} ms/file")
    print(f"  {'database server CPU (all its processes)':<40} {1000 * (cpu1 - cpu0) / n:7.2f}"
          " ms/file")
    print(f"  {'commit, wall (COMMIT sent to return)':<40} {1000 * commits / n:7.2f} ms/file")
    print(f"  WAL {(wal1 - wal0) / n / 1e6:.2f} MB/file, database +{(size1 - size0) / n / 1e6:.2f}"
          f" MB/file, file {mean_size / 1e6:.2f} MB")
    raw_ms = (raw_before + _raw_cpu_ms(files)) / 2  # before and after: the load moves
    ours_ms = 1000 * (spent["all of ingest_files, both threads (CPU)"] + cpu1 - cpu0) / n
    print(f"  raw igor2 load (before and after): {raw_ms:.2f} ms CPU/file; symcat ingest "
          f"(both threads + server): {ours_ms:.2f} ms CPU/file; CPU ratio {raw_ms / ours_ms:.2f}"
          " (what the ingest ratio tends to when both sides are CPU-bound on the same cores)")
    engine.dispose()
    stop_embedded(settings.data_dir)


LEAVE_OUT = ("original", "thumbnails", "pixels")


def _store_file(folder: Path, sha: str, content: bytes) -> None:
    """A content-addressed, durable copy: temporary file, fsync, rename, fsync the folder."""
    target = folder / sha[:2] / sha
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{sha}.{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def leave_out(parts: set[str], originals_to: Path | None = None) -> None:
    """Patch symcat's write path in this process so that `parts` are not stored (the
    ablation of `--leave-out`; forked ingest workers inherit the patch), and originals
    go to files in `originals_to` when given."""
    from symcat.store import load

    if "pixels" in parts:
        load.quantize_u16 = lambda values, lo, hi: b""  # type: ignore[assignment]
    if "thumbnails" in parts:
        load.thumbnail_png = lambda values, kind="grey": None  # type: ignore[assignment]
    if "original" in parts or originals_to is not None:
        store_record = load.store_record

        def without_original(conn: Any, record: Any, content: bytes) -> Any:
            if originals_to is not None:
                sha = getattr(record, "file_sha256", None) or record.record.file_sha256
                _store_file(originals_to, sha, content)
            return store_record(conn, record, b"")

        load.store_record = without_original  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="number of files (default 300)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved pairs (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="per-stage times, one process")
    parser.add_argument("--leave-out", default="", metavar="PARTS",
                        help="ablation: comma-separated parts not stored, of "
                             f"{', '.join(LEAVE_OUT)} (default: none)")
    parser.add_argument("--originals-to", type=Path, default=None, metavar="DIR",
                        help="ablation: originals written as fsynced files in DIR, not "
                             "in the database")
    parser.add_argument("--keep", type=Path, default=None,
                        help="generate into (and keep) this folder instead of a temp folder")
    args = parser.parse_args()
    parts = {p for p in args.leave_out.split(",") if p}
    if parts - set(LEAVE_OUT):
        parser.error(f"--leave-out: unknown part(s) {', '.join(sorted(parts - set(LEAVE_OUT)))}"
                     f"; choose from {', '.join(LEAVE_OUT)}")
    leave_out(parts, args.originals_to)

    from symcat.config import Settings
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.pipeline import ingest_paths
    from symcat.store.engine import dispose_all, get_engine, stop_embedded

    work = Path(tempfile.mkdtemp(prefix="symcat-bench-"))
    files_dir = args.keep or work / "files"
    try:
        if not any(files_dir.rglob("*.ibw")):
            print(f"generating {args.n} DART-PFM files in {files_dir} ...", flush=True)
            generate_dataset(files_dir, args.n, seed=args.seed, jobs=args.jobs)
        files = sorted(files_dir.rglob("*.ibw"))[:args.n]
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        for p in files:  # warm the page cache for both sides
            p.read_bytes()
        if parts:
            print(f"ABLATION: not stored: {', '.join(sorted(parts))}", flush=True)
        if args.originals_to:
            print(f"ABLATION: originals written to files in {args.originals_to}", flush=True)
        print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores; {len(files)} files, {megabytes:.0f} MB; "
              f"BUSY above load average {busy_threshold():.1f}", flush=True)
        if args.profile:
            with LoadWatch() as load:
                profile(files, work)
            print(load.line())
            return

        catalogs = iter(range(1000))
        per_file: list[tuple[float, float]] = []

        def symcat_ingest() -> float:
            settings = Settings(data_dir=work / f"catalog-{next(catalogs)}", site="bench",
                                instrument="bench-pc")
            engine = get_engine(settings)  # start and migrate outside the timing
            if args.originals_to:  # a fresh file store per run, like the fresh catalog
                shutil.rmtree(args.originals_to, ignore_errors=True)
            wal0, size0 = _database_bytes(engine)
            started = time.perf_counter()
            summary = ingest_paths(settings, files, jobs=args.jobs)
            seconds = time.perf_counter() - started
            assert summary.new == len(files), f"only {summary.new} of {len(files)} ingested"
            wal1, size1 = _database_bytes(get_engine(settings))
            per_file.append(((wal1 - wal0) / len(files), (size1 - size0) / len(files)))
            dispose_all()
            stop_embedded(settings.data_dir)
            shutil.rmtree(settings.data_dir, ignore_errors=True)
            return seconds

        with LoadWatch() as load:
            one = raw_seconds(files, 1)
            load.sample()
            times = interleave({"raw igor2": lambda: raw_seconds(files, args.jobs),
                                "symcat ingest": symcat_ingest}, args.repeats, load)
        n = len(files)
        print(f"\nraw igor2 load, 1 process: {n / one:.1f} files/s ({megabytes / one:.1f} MB/s)")
        print(f"{args.jobs} processes each, seconds for {n} files:")
        print(describe(times, baseline="raw igor2"))
        raw, ours = stats(times["raw igor2"]), stats(times["symcat ingest"])
        for label, key in (("best", "min"), ("median", "median")):
            print(f"{label:>6}: raw {n / raw[key]:6.1f} files/s, symcat ingest "
                  f"{n / ours[key]:6.1f} files/s, ratio {raw[key] / ours[key]:.2f}"
                  f" (to 1 raw process: {one / ours[key]:.2f})")
        wal, size = (sum(v) / len(per_file) for v in zip(*per_file, strict=True))
        print(f"per file: {megabytes / n:.2f} MB file, {wal / 1e6:.2f} MB of WAL, "
              f"{size / 1e6:.2f} MB of database")
        print(load.line())
    finally:
        stop_embedded(work / "catalog")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
