"""Reproduce the plane-group accuracy table from the shipped weights.

Fresh, seeded test sets from the generator: in-distribution (noise and texture
motifs, the training sources) and cross-source (Gaussian "atom" motifs, never
seen in training), the latter also with patterns that come close to a higher
group redrawn. Images are 256 x 256, centre-cropped to 224 as in training.

    python benchmarks/symmetry_eval.py                       # CPU, a few minutes
    python benchmarks/symmetry_eval.py --n 8192 --device cuda  # the GPU-sized table
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import torch

from symcat.embed.symmetry.extract import SymmetryExtractor
from symcat.embed.symmetry.groups import GROUPS
from training.symmetry.data import crop
from training.symmetry.evaluate import format_confusion
from training.symmetry.generate import generate, random_labels

PURE = 0.95  # see training.symmetry.purity: drops atom patterns close to a higher group


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval for a proportion."""
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def run_source(ex: SymmetryExtractor, source: str, n: int, seed: int, batch: int,
               max_extra: float | None = None) -> dict:
    g = torch.Generator(device=ex.device).manual_seed(seed)
    k = len(GROUPS)
    conf = torch.zeros(k, k, dtype=torch.long)
    ent_ok, ent_bad = [], []
    for i in range(0, n, batch):
        labels = random_labels(min(batch, n - i), g, ex.device)
        x = crop(generate(labels, source, g, max_extra=max_extra).images)
        pred = ex.predict(x, k=1)
        top = torch.tensor([GROUPS.index(r[0]) for r in pred.groups])
        y = labels.cpu()
        conf += torch.bincount(y * k + top, minlength=k * k).reshape(k, k)
        ok = (top == y).numpy()
        ent_ok += pred.entropy[ok].tolist()
        ent_bad += pred.entropy[~ok].tolist()
    return {"confusion": conf, "ent_ok": ent_ok, "ent_bad": ent_bad}


def throughput(ex: SymmetryExtractor, n: int = 64) -> float:
    x = torch.rand(n, 1, 256, 256)
    ex.features(x[:8])  # warm-up
    t = time.perf_counter()
    ex.features(x)
    return n / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=600, help="images per motif source")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--threads", type=int, default=2, help="CPU threads (0 = torch default)")
    p.add_argument("--no-throughput", action="store_true")
    p.add_argument("--json", help="also write the numbers here")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    t0 = time.time()
    ex = SymmetryExtractor(device=a.device, batch_size=a.batch)
    print(f"model {ex.name} ({ex.config['train_steps']} steps); device {a.device}, "
          f"threads {torch.get_num_threads()}, {platform.processor() or platform.machine()}")
    res = {s: run_source(ex, s, a.n, a.seed + i, a.batch)
           for i, s in enumerate(("noise", "texture", "atoms"))}
    res["atoms_pure"] = run_source(ex, "atoms", a.n, a.seed + 3, a.batch, max_extra=PURE)
    sets = {"noise": ["noise"], "texture": ["texture"], "in_dist": ["noise", "texture"],
            "atoms (cross-source)": ["atoms"],
            f"atoms, unambiguous (extra symmetry < {PURE})": ["atoms_pure"]}
    table = {}
    print("\n| test set | images | accuracy | 95% CI |\n|---|---|---|---|")
    for name, parts in sets.items():
        conf = sum(res[s]["confusion"] for s in parts)
        k, n = int(conf.diag().sum()), int(conf.sum())
        lo, hi = wilson(k, n)
        table[name] = {"n": n, "accuracy": k / n, "ci95": [lo, hi], "confusion": conf.tolist()}
        print(f"| {name} | {n} | {k / n:.2%} | {lo:.1%} to {hi:.1%} |")
    for name in ("in_dist", "atoms (cross-source)"):
        print(f"\nConfusion, {name} (rows true, columns predicted):\n")
        print(format_confusion(table[name]["confusion"]))
    ok, bad = res["atoms"]["ent_ok"], res["atoms"]["ent_bad"]
    if ok and bad:
        print(f"\nMC-dropout entropy on atoms: correct {sum(ok) / len(ok):.3f}, "
              f"wrong {sum(bad) / len(bad):.3f} (nats; max {math.log(len(GROUPS)):.3f})")
    if not a.no_throughput and a.device == "cpu":
        rate = throughput(ex)
        table["cpu_features_img_per_s"] = rate
        print(f"\nextractor.features throughput: {rate:.1f} images/s "
              f"({torch.get_num_threads()} threads, 256x256 input)")
    print(f"\ntotal time {time.time() - t0:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(table, f)


if __name__ == "__main__":
    main()
