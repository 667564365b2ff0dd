"""Ingestion daemon: latency from a file landing to its row being queryable, and throughput.

    python benchmarks/daemon.py                 # 200 files of 256x256x6, default timings
    python benchmarks/daemon.py --n 50 --points 64

Runs `symcat daemon` as a subprocess (default stability and poll periods unless
given) against an embedded PostgreSQL in a temp folder, then:

1. latency: files land one at a time at `--rate` per second (each appears
   atomically, by rename); a poller sees each row appear in `scans`; p50/p95;
2. throughput: `--n` other files land at once; files/min from the drop to the
   last row queryable (stability period included);
3. `symcat ingest` (`ingest_paths`, one process per core) on those same files
   into a fresh database; the daemon's throughput as a ratio of it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch  # noqa: E402


class RowWatcher(threading.Thread):
    """Polls `scans` and records when each source path first became queryable."""

    def __init__(self, url: str, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url, pool_pre_ping=True)
        self.every = every
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT source_path FROM scans")).scalars().all()
            now = time.time()
            for path in rows:
                self.seen.setdefault(path, now)
            self.stop.wait(self.every)

    def wait_for(self, paths: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(p in self.seen for p in paths):
                return True
            time.sleep(0.05)
        return False


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def _new_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _land(files: list[Path], src: Path, dst: Path) -> list[tuple[str, float]]:
    out = []
    for f in files:
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, target)
        out.append((str(target), time.time()))
    return out


def main() -> None:
    from symcat.ingest.watch import DEFAULT_POLL_SECONDS, DEFAULT_STABLE_SECONDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="files per phase (default 200)")
    parser.add_argument("--points", type=int, default=256, help="image size (default 256)")
    parser.add_argument("--rate", type=float, default=4.0,
                        help="files landing per second in the latency phase (default 4)")
    parser.add_argument("--stable-seconds", type=float, default=DEFAULT_STABLE_SECONDS)
    parser.add_argument("--poll-seconds", type=float, default=DEFAULT_POLL_SECONDS)
    parser.add_argument("--no-events", action="store_true", help="daemon polls only")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    from symcat.config import Settings
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.pipeline import ingest_paths
    from symcat.store.engine import database_url, dispose_all, get_engine, stop_embedded

    work = Path(tempfile.mkdtemp(prefix="symcat-bench-daemon-"))
    work.chmod(0o711)
    pg_dir = work / "pg"
    daemon_proc: subprocess.Popen[bytes] | None = None
    try:
        print(f"generating 2 x {args.n} files ({args.points} px) in {work} ...", flush=True)
        lat_src, thr_src = work / "staging-latency", work / "staging-throughput"
        generate_dataset(lat_src, args.n, seed=101, points=args.points)
        generate_dataset(thr_src, args.n, seed=202, points=args.points)
        lat_files = sorted(lat_src.rglob("*.ibw"))
        thr_files = sorted(thr_src.rglob("*.ibw"))
        mb = sum(f.stat().st_size for f in thr_files) / 1e6

        server = database_url(Settings(data_dir=pg_dir))  # starts the embedded server
        url = _new_database(server, "bench_daemon")
        get_engine(Settings(database_url=url), upgrade=True)
        watched = work / "watched"
        watched.mkdir()
        log_file = work / "daemon.log"
        cmd = [sys.executable, "-m", "symcat.cli", "--data-dir", str(work / "pc"), "daemon",
               "--watch", str(watched), "--site", "bench", "--instrument", "bench-pc",
               "--stable-seconds", str(args.stable_seconds),
               "--poll-seconds", str(args.poll_seconds),
               "--log-format", "json", "--log-file", str(log_file)]
        if args.no_events:
            cmd.append("--no-events")
        daemon_proc = subprocess.Popen(cmd, env={**os.environ, "SYMCAT_DATABASE_URL": url})
        while not (log_file.exists() and "daemon.start" in log_file.read_text()):
            if daemon_proc.poll() is not None:
                raise SystemExit("the daemon exited at start")
            time.sleep(0.1)
        rows = RowWatcher(url)
        rows.start()

        load = LoadWatch().start()
        # 1. latency
        print(f"latency: {args.n} files landing at {args.rate}/s ...", flush=True)
        landed: list[tuple[str, float]] = []
        for f in lat_files:
            landed += _land([f], lat_src, watched / "latency")
            time.sleep(1.0 / args.rate)
        if not rows.wait_for([p for p, _ in landed], timeout=120 + 2 * args.n):
            raise SystemExit("not every latency file arrived")
        latencies = [rows.seen[p] - t for p, t in landed]

        # 2. throughput, backlog of n files landing at once
        print(f"throughput: {args.n} files landing at once ...", flush=True)
        thr_copy = work / "ingest-copy"
        shutil.copytree(thr_src, thr_copy)  # the same files for `symcat ingest` later
        dropped = _land(thr_files, thr_src, watched / "throughput")
        started = dropped[0][1]
        if not rows.wait_for([p for p, _ in dropped], timeout=120 + 2 * args.n):
            raise SystemExit("not every throughput file arrived")
        daemon_seconds = max(rows.seen[p] for p, _ in dropped) - started
        daemon_rate = args.n / daemon_seconds * 60
        rows.stop.set()
        daemon_proc.send_signal(signal.SIGTERM)
        daemon_proc.wait(60)
        stopped_cleanly = daemon_proc.returncode == 0

        # 3. symcat ingest on the same files, fresh database
        print("symcat ingest on the same files ...", flush=True)
        ingest_url = _new_database(server, f"bench_ingest_{uuid.uuid4().hex[:6]}")
        get_engine(Settings(database_url=ingest_url), upgrade=True)
        jobs = os.cpu_count() or 1
        summary = ingest_paths(Settings(database_url=ingest_url, site="bench",
                                        instrument="bench-pc"), [thr_copy], jobs=jobs)
        ingest_rate = summary.new / summary.seconds * 60
        assert summary.new == args.n, summary
        load.stop()

        result = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "n": args.n, "points": args.points, "mb": round(mb, 1),
            "stable_seconds": args.stable_seconds, "poll_seconds": args.poll_seconds,
            "events": not args.no_events, "landing_rate_per_s": args.rate,
            "latency_p50_s": round(statistics.median(latencies), 2),
            "latency_p95_s": round(_percentile(latencies, 95), 2),
            "latency_max_s": round(max(latencies), 2),
            "daemon_files_per_min": round(daemon_rate, 1),
            "daemon_seconds": round(daemon_seconds, 2),
            "ingest_files_per_min": round(ingest_rate, 1), "ingest_jobs": jobs,
            "ratio_daemon_to_ingest": round(daemon_rate / ingest_rate, 2),
            "daemon_stopped_cleanly": stopped_cleanly,
            **load.as_dict(),
        }
        print(json.dumps(result, indent=2))
        print(load.line())
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        if daemon_proc is not None and daemon_proc.poll() is None:
            daemon_proc.kill()
        dispose_all()
        stop_embedded(pg_dir)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
