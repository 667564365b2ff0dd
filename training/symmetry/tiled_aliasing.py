"""How much of each tiled hexagonal scan the pixels alias, beside what a model answered.

The evaluation's "tiled" family (benchmarks/heldout_wallpaper.tiled) draws the hexagonal
groups, which no pixel-array operation makes, as dense plane-wave noise sampled at pixel
centres. At cells of a few pixels much of that noise lies above the pixels' Nyquist
limit, and the point-sampled scan no longer carries the group. This renders each
hexagonal item of a `symmetry_eval.py --json` run again from the same draws, ``--finer``
times as densely each way, and reports the share of its variance at frequencies the
scan's pixels cannot hold, beside the model's answer from the JSON.

    python -m training.symmetry.tiled_aliasing --json run.json --model v21
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402
import symmetry_eval  # noqa: E402

from symcat.embed.symmetry.groups import LATTICE  # noqa: E402


def aliased_share(item: dict, finer: int = 4) -> float:
    """Share of a tiled hexagonal item's variance above its pixels' Nyquist limit."""
    size = item["size"]
    rng = np.random.default_rng(item["seed"])
    img = heldout.hexagonal_noise(item["group"], size, heldout.tiled_edge(size, item["cells"]),
                                  rng, finer)
    power = np.abs(np.fft.fft2(img - img.mean())) ** 2
    f = np.abs(np.fft.fftfreq(size * finer) * size * finer)
    held = (f[:, None] < size / 2) & (f[None, :] < size / 2)
    return float(power[~held].sum() / power.sum())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", required=True, help="symmetry_eval.py --json output")
    p.add_argument("--model", required=True, help="its model key, e.g. v21")
    p.add_argument("--finer", type=int, default=4)
    p.add_argument("--min-cells", type=float, default=8.0)
    a = p.parse_args()
    run = json.loads(Path(a.json).read_text())
    rows = run[a.model]["rows"]["tiled"]
    items = heldout.dataset(run["args"]["motifs"],
                            symmetry_eval.family_seed(run["args"]["seed"], "tiled"),
                            symmetry_eval.BINS, motif="tiled")
    if len(items) != len(rows):
        sys.exit(f"{a.json}: {len(rows)} tiled rows, but the seed gives {len(items)} items")
    right, wrong = [], []
    print("| group | cells bin | cell edge px | aliased share | answer |\n|---|---|---|---|---|")
    for item, row in zip(items, rows, strict=True):
        low = float(item["bin"].split("-")[0])
        if LATTICE[item["group"]] != "hexagonal" or low < a.min_cells:
            continue
        share = aliased_share(item, a.finer)
        ok = row["symmetry"] == item["group"]
        (right if ok else wrong).append(share)
        edge = heldout.tiled_edge(item["size"], item["cells"])
        print(f"| {item['group']} | {item['bin']} | {edge} | {share:.3f} | {row['symmetry']}"
              f"{'' if ok else ' (miss)'} |")
    print(f"\nright {len(right)} (aliased share max {max(right, default=0):.3f}, median "
          f"{np.median(right) if right else 0:.3f}); missed {len(wrong)} (of them "
          f"{sum(s >= 0.05 for s in wrong)} with 5% or more aliased)")


if __name__ == "__main__":
    main()
