"""Small-cell experiment (issue 12): what the network answers on views cut at native
resolution (no lattice) beside v3's lattice views, on the evaluation's images.

For each held-out glyph image (benchmarks/heldout_wallpaper.py, the evaluation's seed and
bins) and each non-periodic domain image, the mean logits of several view sets are saved:
``v3`` (symcat_symmetry.v3's lattice views, none when no lattice), ``nat1`` (224-px crops
at native resolution: centre and four corners, or the whole square when smaller),
``nat2`` (112-px crops upsampled 2x to 224), ``nat1d`` (the centre native crop under the 8
dihedral transforms), ``nat3``/``nat4`` (75- and 56-px crops enlarged 3x and 4x),
``v3t12``/``v3t20`` (lattice views with cells of 12/18 and 20/30 px). Decision rules
(``RULES``) are then compared offline on the saved logits (``--rules``), at v3's
temperature. symcat_symmetry.v4's rule was chosen on ``--seed 7`` and then measured end
to end on the evaluation's seed (benchmarks/RESULTS.md, "Symmetry model (issue 12)").

    python -m training.symmetry.small_cells --n-per-bin 34 --domains 60 --out /tmp/sc.npz
    python -m training.symmetry.small_cells --n-per-bin 102 --domains 200 --seed 7 \
        --device cuda --workers 16 --out /tmp/sc7.npz                  # GPU, 20 s
    python -m training.symmetry.small_cells --rules /tmp/sc7.npz
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402
import symmetry_eval as evaluation  # noqa: E402

from symcat.embed.symmetry.extract import WEIGHTS_V3_DIR, SymmetryExtractor, _prepare  # noqa: E402
from symcat.embed.symmetry.groups import GROUPS  # noqa: E402
from symcat.embed.symmetry.lattice import FineSearch, resize, views  # noqa: E402

SETS = ("v3", "v3t12", "v3t20", "nat1", "nat2", "nat3", "nat4", "nat1d", "nat2d")
V3_FINE = FineSearch(0.7, 0.6, 0.15, min_cells=12)


def _unit(grey: np.ndarray) -> np.ndarray:
    g = np.where(np.isfinite(grey), grey, np.nan)
    g = np.where(np.isfinite(g), g, np.nanmean(g))
    lo, hi = float(g.min()), float(g.max())
    return ((g - lo) / (hi - lo) if hi > lo else g * 0).astype(np.float32)


def native_crops(grey: np.ndarray, side: int, up: int) -> list[np.ndarray]:
    """Centre and corner squares of ``side`` px (the whole square when smaller), x ``up``."""
    h, w = grey.shape
    s = min(h, w, side)
    spots = {((h - s) // 2, (w - s) // 2), (0, 0), (0, w - s), (h - s, 0), (h - s, w - s)}
    return [resize(grey[t : t + s, c : c + s], s * up) for t, c in sorted(spots)]


def dihedral8(v: np.ndarray) -> list[np.ndarray]:
    out = []
    for k in range(4):
        r = np.rot90(v, k)
        out += [np.ascontiguousarray(r), np.ascontiguousarray(r[:, ::-1])]
    return out


def job(image: np.ndarray) -> dict:
    lat, v3views, refused, _, _ = _prepare(image, True, 3.0, V3_FINE)
    grey = _unit(np.asarray(image, dtype=np.float64))
    nat1 = native_crops(grey, 224, 1)
    nat2 = native_crops(grey, 112, 2)
    ok = lat.found and not refused
    return {"found": lat.found, "periods": sorted(lat.periods) if lat.found else [0.0, 0.0],
            "views": {"v3": v3views if ok else [],
                      "v3t12": views(grey, lat, (12.0, 18.0)) if ok else [],
                      "v3t20": views(grey, lat, (20.0, 30.0)) if ok else [],
                      "nat1": nat1, "nat2": nat2, "nat3": native_crops(grey, 75, 3),
                      "nat4": native_crops(grey, 56, 4),
                      "nat1d": dihedral8(nat1[0]), "nat2d": dihedral8(nat2[0])}}


def logits_of(ex: SymmetryExtractor, prepared: list[dict]) -> dict[str, np.ndarray]:
    out = {}
    for s in SETS:
        flat = [v for p in prepared for v in p["views"][s]]
        _, lg = ex._run_views(flat) if flat else (None, np.zeros((0, 18), np.float32))
        k, rows = 0, []
        for p in prepared:
            n = len(p["views"][s])
            rows.append(lg[k : k + n].mean(0) if n else np.full(18, np.nan, np.float32))
            k += n
        out[s] = np.stack(rows)
    return out


def collect(a: argparse.Namespace) -> None:
    torch.set_num_threads(a.threads)
    items = heldout.dataset(a.n_per_bin, a.seed, evaluation.BINS)
    items = [it for it in items if it["bin"] in a.bins]
    if a.workers:
        with mp.get_context("fork").Pool(a.workers) as pool:
            glyphs = pool.map(heldout.make, items, chunksize=4)
    else:
        glyphs = [heldout.make(it) for it in items]
    domains = evaluation.domain_images(a.domains, a.seed + 2)
    ex = SymmetryExtractor(a.weights, device=a.device)
    t = time.time()
    images = glyphs + [im for _, im in domains]
    if a.workers:
        with mp.get_context("fork").Pool(a.workers) as pool:
            prepared = pool.map(job, images, chunksize=2)
    else:
        prepared = [job(im) for im in images]
    lg = logits_of(ex, prepared)
    ng = len(glyphs)
    np.savez(a.out, **{f"logits_{k}": v for k, v in lg.items()},
             found=np.array([p["found"] for p in prepared]),
             periods=np.array([p["periods"] for p in prepared]),
             label=np.array([GROUPS.index(it["group"]) for it in items] + [17] * len(domains)),
             is_glyph=np.arange(len(images)) < ng,
             bin=np.array([it["bin"] for it in items] + ["domain"] * len(domains)),
             edge=np.array([it["size"] / it["cells"] for it in items] + [0.0] * len(domains)),
             temperature=ex.temperature)
    print(f"{len(images)} images, {time.time() - t:.0f} s -> {a.out}")


def decide(z: np.ndarray, t: float, min_p: np.ndarray | float = 0.5,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(answer index or -1, p of top group, top group) per row of mean logits (NaN rows:
    no views, abstain), with the runtime's rule: "none" wins or p < ``min_p`` abstains."""
    z = np.nan_to_num(z / t, nan=-1e9)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    top = p[:, :17].argmax(1)
    pt = p[np.arange(len(p)), top]
    ans = np.where((p[:, 17] > pt) | (pt < min_p) | (z.max(1) <= -1e8), -1, top)
    return ans, pt, top


def rule(d: dict, below_px: float, small_sets: tuple[str, ...] | None,
         none_sets: tuple[str, ...] | None, none_min_p: float = 0.7,
         ) -> tuple[np.ndarray, np.ndarray]:
    """Mean logits and least p per image: v3's lattice views, except native view sets
    where the found cell's longer period is under ``below_px`` and, without a lattice,
    ``none_sets`` answered at p >= ``none_min_p`` (symcat_symmetry.v4's rule)."""
    found, per = d["found"], d["periods"]
    z = np.where(found[:, None], d["logits_v3"], np.nan)
    min_p = np.full(len(found), 0.5)
    if small_sets:
        small = found & (per[:, 1] < below_px)
        z = np.where(small[:, None], np.mean([d[f"logits_{k}"] for k in small_sets], 0), z)
    if none_sets:
        z = np.where(found[:, None], z, np.mean([d[f"logits_{k}"] for k in none_sets], 0))
        min_p = np.where(found, 0.5, none_min_p)
    return z, min_p


RULES: dict[str, tuple] = {"v3": (0.0, None, None)}
for _c in (10.0, 12.0, 16.0):
    for _small in (("nat2",), ("nat3",), ("nat2", "nat3", "nat4"), ("v3", "nat2", "nat3", "nat4"),
                   ("v3t20", "nat2", "nat3")):
        RULES[f"cell < {_c:g} px: {'+'.join(_small)}"] = (_c, _small, None)
        for _none in (("nat2", "nat3"), ("nat3", "nat4"), ("nat2", "nat3", "nat4")):
            RULES[f"cell < {_c:g} px: {'+'.join(_small)}; no lattice: {'+'.join(_none)}"] = (
                _c, _small, _none)
# symcat_symmetry.v4 (chosen on seed 7): "cell < 12 px: nat2+nat3+nat4; no lattice: nat3+nat4"


def rules(path: str) -> None:
    d = dict(np.load(path))
    t = float(d["temperature"])
    y, glyph, bins = d["label"], d["is_glyph"], d["bin"]
    ub = sorted(set(bins[glyph]))
    print("| rule | " + " | ".join(f"{b} top-1" for b in ub) +
          " | >= 8 top-1 | ECE >= 8 | domains abstain |")
    print("|---|" + "---|" * (len(ub) + 3))
    for name, args in RULES.items():
        z, min_p = rule(d, *args)
        ans, pt, top = decide(z, t, min_p)
        ok = ans == y
        cells = [f"{ok[glyph & (bins == b)].mean():.1%}" for b in ub]
        ge8 = glyph & np.isin(bins, ["8-16", "16-50"])
        e = evaluation.ece(pt[ge8], (top == y)[ge8])
        print(f"| {name} | " + " | ".join(cells) + f" | {ok[ge8].mean():.1%} | {e:.3f} | "
              f"{(ans[~glyph] < 0).mean():.1%} |")
    print(f"T = {t} (v3's); {glyph.sum()} glyph, {(~glyph).sum()} domain images")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-per-bin", type=int, default=34)
    p.add_argument("--domains", type=int, default=60)
    p.add_argument("--bins", nargs="*", default=["2-4", "4-8", "8-16", "16-50"])
    p.add_argument("--seed", type=int, default=20261130, help="the evaluation's by default")
    p.add_argument("--weights", default=str(WEIGHTS_V3_DIR))
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="/tmp/small_cells.npz")
    p.add_argument("--rules", help="compare decision rules on a saved .npz")
    a = p.parse_args()
    if a.rules:
        rules(a.rules)
    else:
        collect(a)


if __name__ == "__main__":
    main()
