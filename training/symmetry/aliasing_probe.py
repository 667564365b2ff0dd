"""Are the evaluation's small-cell misses about symmetry, or about aliasing?

The held-out glyph generator (benchmarks/heldout_wallpaper.py) evaluates its motif at
each pixel's centre. Its strokes are 0.03-0.07 of a cell wide, so below about 15 px
cells they are narrower than a pixel and are point-sampled: aliased. A scanning probe
integrates over its tip and pixel, so a real scan of small cells is band-limited
instead. This probe renders the same evaluation items twice, point-sampled as the
evaluation does and averaged over `--samples`^2 points per pixel (the same motif,
lattice, distortions and noise: the random draws are the same), and runs one model on
both. The evaluation itself is unchanged; this only says what its small-cell figures
measure.

    python -m training.symmetry.aliasing_probe --n-per-bin 34 --model v5     # CPU, minutes
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

from symcat.embed.symmetry import extract  # noqa: E402
from symcat.embed.symmetry.groups import operations  # noqa: E402

EDGE_BINS = ((0, 6), (6, 10), (10, 20), (20, 40), (40, 1000))


def render(group: str, size: int, cells: float, rng: np.random.Generator, distort: bool,
           samples: int) -> np.ndarray:
    """`heldout_wallpaper.render` with each pixel the mean of samples x samples points
    (samples 1: the evaluation's own image, bit for bit)."""
    basis = heldout.lattice_basis(group, size / cells, rng)
    n_strokes = int(rng.integers(2, 5))
    strokes = [(rng.uniform(0, 1, 2), rng.uniform(0, 1, 2) * 0.5, rng.uniform(0.5, 1.0)
                * rng.choice([-1, 1])) for _ in range(n_strokes)]
    strokes = [(p0, p0 + d, a) for p0, d, a in strokes]
    side = size * samples
    yy, xx = (np.mgrid[0:side, 0:side].astype(float) + 0.5) / samples
    pts = np.stack([xx - size / 2, yy - size / 2])
    if distort:
        pts[0] *= 1 + rng.uniform(-0.1, 0.1)
        pts[0] += rng.uniform(-0.06, 0.06) * pts[1]
        pts[0] += rng.uniform(-0.03, 0.03) * size * np.sin(math.pi * pts[1] / size
                                                            + rng.uniform(0, 6))
    u = np.einsum("ij,jhw->ihw", np.linalg.inv(basis), pts) + rng.uniform(0, 1, 2)[:, None,
                                                                                    None]
    field = np.zeros((side, side))
    width = rng.uniform(0.03, 0.07)
    for op in operations(group):
        m = np.array(op.matrix, dtype=float)
        t = np.array([float(x) for x in op.shift])
        field += heldout.glyph(np.einsum("ij,jhw->ihw", m, u) + t[:, None, None], strokes,
                               width)
    field = field.reshape(size, samples, size, samples).mean((1, 3))
    img = (field - field.min()) / (np.ptp(field) + 1e-12)
    if distort:
        img = img + rng.normal(0, rng.uniform(0, 0.05), (size, 1))  # line offsets
        miss = rng.uniform(size=size) < rng.uniform(0, 0.03)
        img[miss] = img.mean()
        img = img + rng.normal(0, rng.uniform(0.01, 0.08), img.shape)
    return img.astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-bin", type=int, default=34)
    parser.add_argument("--seed", type=int, default=20261130, help="the evaluation's")
    parser.add_argument("--samples", type=int, default=3, help="points per pixel side")
    parser.add_argument("--model", default="v5", help="v2 ... v5 (weights folder)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    folder = {"v2": extract.WEIGHTS_V2_DIR, "v3": extract.WEIGHTS_V3_DIR,
              "v4": extract.WEIGHTS_V4_DIR, "v5": extract.WEIGHTS_V5_DIR}[args.model]
    model = extract.SymmetryExtractor(folder)
    items = heldout.dataset(args.n_per_bin, args.seed, ((8, 16), (16, 50)))
    point = [heldout.make(it) for it in items]
    same = [render(it["group"], it["size"], it["cells"], np.random.default_rng(it["seed"]),
                   it["distort"], 1) for it in items[:5]]
    assert all(np.array_equal(a, b) for a, b in zip(point, same, strict=False)), \
        "samples=1 must reproduce the evaluation's images"
    integrated = [render(it["group"], it["size"], it["cells"],
                         np.random.default_rng(it["seed"]), it["distort"], args.samples)
                  for it in items]
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
