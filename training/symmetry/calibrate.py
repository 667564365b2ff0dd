"""Fit a v2 model's temperature on a validation set and store it in its config.json.

The validation images come from training's generator (its families, a seed training
never used), rendered as whole scans of 192-384 px with 2 to 50 cells across, with
distortions, plus 15% non-periodic images; they go through the runtime pipeline
(``SymmetryExtractor.analyse``: lattice, views, mean logits). The temperature
minimises the 18-way negative log-likelihood on the images where a lattice was found,
and (symcat_symmetry.v4) those answered from native views (the others abstain before the
network's answer matters).

    python -m training.symmetry.calibrate catalog/embed/symmetry/weights_v2 --n 600
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from symcat.embed.symmetry.extract import SymmetryExtractor
from symcat.embed.symmetry.groups import GROUPS
from training.symmetry.widen import FAMILIES, NONE_INDEX, non_periodic, periodic

SEED = 31_415_926
# the images whose network answer can stand where a lattice was found: lattice views, and
# symcat_symmetry.v4's native views of small cells. v4's native views of scans without a
# lattice answer only at a set probability; with --native-temperature they get their own.
SEEN_FITTED = ("lattice", "native, small cells")


def validation(n: int, seed: int = SEED, batch: int = 8) -> tuple[list[np.ndarray], np.ndarray]:
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    images, labels = [], []
    while len(images) < n:
        side = int(rng.choice([192, 256, 384]))
        if rng.uniform() < 0.15:
            x = non_periodic(batch, side, g, "cpu")
            y = torch.full((batch,), NONE_INDEX)
        else:
            cells = math.exp(rng.uniform(math.log(2), math.log(50)))
            edge = side / cells
            y = torch.randint(0, len(GROUPS), (batch,), generator=g)
            fam = FAMILIES[int(rng.integers(len(FAMILIES)))]
            x = periodic(y, fam, side, g, edge * 0.75, edge, distort=float(rng.uniform() < 0.5))
        images += [im[0].numpy() for im in x]
        labels += y.tolist()
    return images[:n], np.array(labels[:n])


def nll(logits: np.ndarray, y: np.ndarray, t: float) -> float:
    z = logits / t
    z = z - z.max(1, keepdims=True)
    return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature (0.3 to 8, log grid) that minimises the negative log-likelihood."""
    grid = np.exp(np.linspace(math.log(0.3), math.log(8), 200))
    return float(grid[np.argmin([nll(logits, y, t) for t in grid])])


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights")
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--abstain-below", type=float, default=0.5)
    p.add_argument("--native-temperature", action="store_true",
                   help="v4: fit lattice views and native views of small cells apart "
                        "(the latter into the config's native.temperature)")
    a = p.parse_args(argv)
    ex = SymmetryExtractor(a.weights, device=a.device)
    ex.temperature = 1.0
    if ex.native is not None:
        ex.native = replace(ex.native, temperature=None)
    images, y = validation(a.n)
    res = ex.analyse(images, workers=a.workers)
    fitted = ("lattice",) if a.native_temperature else SEEN_FITTED
    keep = np.array([r.logits is not None and r.seen in fitted for r in res])
    logits = np.stack([r.logits for r, k in zip(res, keep, strict=True) if k])
    yk = y[keep]
    t = fit_temperature(logits, yk)
    cfg_path = Path(a.weights) / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["temperature"] = round(t, 4)
    cfg["abstain_below"] = a.abstain_below
    extra = {}
    if a.native_temperature and "native" in cfg:
        # fitted where a lattice was found (no lattice: answered only at a set probability)
        nat = np.array([r.logits is not None and r.seen == "native, small cells" for r in res])
        zn = np.stack([r.logits for r, k in zip(res, nat, strict=True) if k])
        tn = fit_temperature(zn, y[nat])
        cfg["native"]["temperature"] = round(tn, 4)
        extra = {"native_views": int(nat.sum()), "native_nll_t1": round(nll(zn, y[nat], 1.0), 4),
                 "native_nll": round(nll(zn, y[nat], tn), 4), "native_temperature": tn}
    cfg["calibration"] = {
        "validation_images": int(a.n), "with_lattice": int(keep.sum()), "seed": SEED,
        "nll_t1": round(nll(logits, yk, 1.0), 4), "nll": round(nll(logits, yk, t), 4),
        "lattice_found_periodic": float(np.mean([r.lattice.found for r, lab in zip(
            res, y, strict=True) if lab != NONE_INDEX])),
        "lattice_found_none": float(np.mean([r.lattice.found for r, lab in zip(
            res, y, strict=True) if lab == NONE_INDEX])) if (y == NONE_INDEX).any() else None,
    } | extra
    cfg_path.write_text(json.dumps(cfg, indent=1))
    print(json.dumps(cfg["calibration"] | {"temperature": t}, indent=1))
    return cfg


if __name__ == "__main__":
    main()
