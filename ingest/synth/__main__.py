"""``python -m symcat.ingest.synth OUT_DIR --n 2000``: write a synthetic dataset and time it."""

from __future__ import annotations

import argparse
import time

from .dataset import generate_dataset
from .domains import CLASSES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m symcat.ingest.synth", description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--n", type=int, default=100, help="number of files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--points", type=int, default=256, help="pixels per line and lines")
    parser.add_argument("--classes", nargs="*", choices=CLASSES, default=None)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    files = generate_dataset(
        args.out_dir,
        args.n,
        seed=args.seed,
        classes=args.classes,
        jobs=args.jobs,
        progress=args.progress,
        points=args.points,
    )
    elapsed = time.perf_counter() - start
    size = sum(f.path.stat().st_size for f in files)
    print(
        f"{len(files)} files, {size / 1e6:.1f} MB in {elapsed:.2f} s: "
        f"{len(files) / elapsed:.1f} files/s, {size / 1e6 / elapsed:.1f} MB/s"
    )


if __name__ == "__main__":
    main()
