"""Are the evaluation's small-cell misses about symmetry, or about aliasing?

The held-out glyph generator (benchmarks/heldout_wallpaper.py) evaluates its motif at
each pixel's centre. Its strokes are 0.03-0.07 of a cell wide, so below about 15 px
cells they are narrower than a pixel and are point-sampled: aliased. A scanning probe
integrates over its tip and pixel, so a real scan of small cells is band-limited
instead. This probe renders the same evaluation items twice, point-sampled as the
evaluation does and averaged over `--samples`^2 points per pixel
(`heldout_wallpaper.render(samples=...)`: the same motif, lattice, distortions and
noise), and runs one model on both. The evaluation's images are unchanged (samples 1);
this only says what its small-cell figures measure.

    python -m training.symmetry.aliasing_probe --n-per-bin 34 --model v5     # CPU, minutes
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from symcat.embed.symmetry import extract  # noqa: E402

EDGE_BINS = ((0, 6), (6, 10), (10, 20), (20, 40), (40, 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-bin", type=int, default=34)
    parser.add_argument("--seed", type=int, default=20261130, help="the evaluation's")
    parser.add_argument("--samples", type=int, default=3, help="points per pixel side")
    parser.add_argument("--model", default="v5",
                        help="vN: the weights folder catalog/embed/symmetry/weights_vN")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    model = extract.SymmetryExtractor(extract.WEIGHTS_V2_DIR.parent / f"weights_{args.model}")
    items = heldout.dataset(args.n_per_bin, args.seed, ((8, 16), (16, 50)))
    point = [heldout.make(it) for it in items]  # the evaluation's own images
    integrated = [heldout.render(it["group"], it["size"], it["cells"],
                                 np.random.default_rng(it["seed"]), it["distort"],
                                 samples=args.samples) for it in items]
    results = {"point-sampled": model.analyse(point, workers=args.workers),
               f"averaged {args.samples}x{args.samples}": model.analyse(
                   integrated, workers=args.workers)}
    print(f"{args.model}, >= 8 cells of the held-out glyphs (seed {args.seed}, "
          f"{len(items)} images): top-1 (abstentions count as misses)")
    rows: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for name, res in results.items():
        for it, r in zip(items, res, strict=True):
            edge = it["size"] / it["cells"]
            ok = r.symmetry == it["group"]
            rows["all"][name].append(ok)
            for lo, hi in EDGE_BINS:
                if lo <= edge < hi:
                    rows[f"cell edge {lo}-{hi} px"][name].append(ok)
            rows["distorted" if it["distort"] else "clean"][name].append(ok)
    names = list(results)
    print("| | " + " | ".join(names) + " | n |\n|---|" + "---|" * (len(names) + 1))
    for key, per in rows.items():
        n = len(per[names[0]])
        print(f"| {key} | " + " | ".join(f"{np.mean(per[m]):.1%}" for m in names)
              + f" | {n} |")


if __name__ == "__main__":
    main()
