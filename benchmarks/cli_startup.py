"""CLI start-up: how long `symcat --help` and `symcat scans` take, as a user feels it.

    python benchmarks/cli_startup.py                  # 15 interleaved rounds
    python benchmarks/cli_startup.py --repeats 30 --files 50

Each round runs, in turn, every command below as a fresh process (wall time from
spawn to exit) against one embedded catalog that `symcat db start` keeps
running, filled with `--files` generated DART-PFM files:

* `python -c pass`     the interpreter alone: the floor, and the baseline of the ratios
* `symcat --help`      target <= 0.3 s (issue 13)
* `symcat scans`       target <= 1 s on a running embedded catalog (issue 13)
* `symcat db status`   for comparison

Rounds are interleaved so that a change of machine load hits all commands alike;
min and median wall times are printed with the ratio to the baseline, and the
median CPU time of each process (user + system), which a busy machine inflates
less. The load average is printed before and after; figures taken above 1.5 are
marked busy.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BUSY = 1.5
TARGETS = {"symcat --help": 0.3, "symcat scans": 1.0}


def _symcat() -> list[str]:
    found = shutil.which("symcat", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "symcat.cli"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process (less sensitive to a busy machine)."""
    cpu, start = _cpu(), time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return elapsed, _cpu() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="Interleaved rounds.")
    parser.add_argument("--files", type=int, default=20, help="Generated files catalogued.")
    args = parser.parse_args(argv)

    symcat = _symcat()
    data_dir = Path(tempfile.mkdtemp(prefix="symcat-startup-"))
    env = {k: v for k, v in os.environ.items() if k != "SYMCAT_DATABASE_URL"}
    env["SYMCAT_DATA_DIR"] = str(data_dir)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "symcat --help": [*symcat, "--help"],
        "symcat scans": [*symcat, "scans"],
        "symcat db status": [*symcat, "db", "status"],
    }
    try:
        from symcat.ingest.synth.dataset import generate_dataset

        generate_dataset(data_dir / "files", args.files, seed=0, points=64)
        subprocess.run([*symcat, "ingest", str(data_dir / "files"), "--no-progress"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*symcat, "db", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
        for command in commands.values():  # warm the file cache once, untimed
            _timed(command, env)

        load_before = os.getloadavg()[0]
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                wall, used = _timed(command, env)
                times[name].append(wall)
                cpu[name].append(used)
        load_after = os.getloadavg()[0]
    finally:
        subprocess.run([*symcat, "db", "stop", "--force"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(data_dir, ignore_errors=True)

    busy = max(load_before, load_after) > BUSY
    print(f"CLI start-up, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{args.repeats} interleaved rounds, {args.files} scans in the catalog, "
          f"load average {load_before:.2f} before, {load_after:.2f} after"
          + (" -- BUSY: re-take on a quiet machine" if busy else ""))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<20} {'min s':>7} {'median s':>9} {'x python':>9} {'cpu s':>7}  "
          "target (wall median)")
    for name, values in times.items():
        target = TARGETS.get(name)
        median = statistics.median(values)
        verdict = "" if target is None else (
            f"<= {target} s: {'met' if median <= target else 'NOT met'}"
            + (" (busy)" if busy else ""))
        print(f"{name:<20} {min(values):>7.3f} {median:>9.3f} {median / base:>9.1f} "
              f"{statistics.median(cpu[name]):>7.3f}  {verdict}")


if __name__ == "__main__":
    main()
