"""Loading a symmetry model from packed weight files, against the same files unpacked.

    python benchmarks/weights_load.py                     # the default model, ~1 min
    python benchmarks/weights_load.py --model v1 --repeats 9

The shipped weights are stored packed (`symcat.embed.packed`: gzip of the fp16 files'
two byte planes). This copies the model's folders to a temporary directory and writes
the plain files there (untimed), then times, interleaved (`benchmarks/_timing.py`), a
whole `SymmetryExtractor` construction (read, sha256 check against config.json, network
built and loaded) from the shipped packed folders ("packed") and from the plain copy
("plain", the baseline: what loading cost before the files were packed). Prints seconds,
the ratio to plain, the bytes each reads, and the load average.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave, ratios  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None,
                        help="symmetry model version, e.g. v2 or v39 (default: the default)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    import torch

    from symcat.embed import packed
    from symcat.embed.defaults import FAMILY, SYMMETRY_MODEL
    from symcat.embed.symmetry.extract import SymmetryExtractor

    torch.set_num_threads(2)
    version = args.model or SYMMETRY_MODEL.removeprefix(FAMILY)
    root = Path(packed.__file__).resolve().parent / "symmetry"
    shipped = root / ("weights" if version == "v1" else f"weights_{version}")
    if not (shipped / "config.json").is_file():
        raise SystemExit(f"no model folder {shipped}: name a version such as v2 or v39")

    def load(folder: Path) -> SymmetryExtractor:
        return SymmetryExtractor(folder, mc_samples=1)

    # the model's folder and those it reads files from, as the extractor resolves them
    ex = load(shipped)  # also the warm-up: imports, page cache
    folders = dict.fromkeys(p for p in (shipped.resolve(), ex.files_dir, ex.delta_dir) if p)
    work = Path(tempfile.mkdtemp(prefix="symcat-bench-weights-"))
    try:
        copy = work / "symmetry"
        sizes = {"packed": 0, "plain": 0}
        for folder in folders:
            dest = copy / folder.name
            shutil.copytree(folder, dest)
            for part in dest.glob(f"*{packed.SUFFIX}"):
                sizes["packed"] += part.stat().st_size
                sizes["plain"] += packed.unpack(part).stat().st_size
                part.unlink()
        plain_dir = copy / shipped.name
        load(plain_dir)  # warm
        with LoadWatch() as watch:
            # a contender returning None is timed whole (`_timing.interleave`)
            times = interleave({"plain": lambda: load(plain_dir) and None,
                                "packed": lambda: load(shipped) and None}, args.repeats, watch)
        print(f"symcat_symmetry.{version}: a whole SymmetryExtractor construction, "
              f"{args.repeats} interleaved repeats")
        print(f"weight files read: packed {sizes['packed']:,} bytes, plain "
              f"{sizes['plain']:,} bytes ({sizes['packed'] / sizes['plain']:.3f})")
        print(describe(times, baseline="plain"))
        r = ratios(times, "plain", "packed")
        print(f"packed / plain time: min {r['min']:.2f}, median {r['median']:.2f}")
        print(watch.line())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
