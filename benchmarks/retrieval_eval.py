"""Features, models and metrics of `benchmarks/retrieval.py --set hard|lattice`.

Each image goes whole through `symcat.embed.native.prepare` (the preprocessing every
catalog scan and every query image gets) under each recipe, then through each network
once; a model's vector is its network's (centred, unit) vector, and a combined model's is
`symcat.embed.extractors.combined.join` of its parts, the same function its torch module
runs. Parts are cached in the work folder, so adding a model re-embeds nothing else.

Metrics: 10-fold stratified SVM (RBF, C=1, standardized), precision@9 (cosine, the
catalog's kNN distance), and label propagation with 5% of each class labelled (at least
one), mean over `trials` random draws: Poisson learning (Calder et al. 2020) on a
symmetrized 10-NN graph with Gaussian weights, implemented here with scipy (graphlearning
installs, but its kNN search needs `annoy`, and given exact neighbours its Poisson solver
took 40 s a draw and gave implausible answers here; not pursued). `_laplace` is kept as
the classic baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

PARTS = {  # part -> (network registry name, recipe: square size or native cap)
    "final224": ("effnet_lite0.in1k", 224),
    "4tap256": ("effnet_lite0_4tap.in1k", 256),
    "sym256": ("symcat_symmetry.v1", 256),
    "native512": ("effnet_lite0_4tap_native.in1k", "n512"),
    "native1024": ("effnet_lite0_4tap_native.in1k", "n1024"),
    "sym_native512": ("symcat_symmetry.v1", "n512"),
    "sym3_native512": ("symcat_symmetry.v3", "n512"),
    # 1.0 where symcat_symmetry.v3's lattice estimate finds a lattice in the network input
    "lattice3_native512": ("lattice:symcat_symmetry.v3", "n512"),
}


def _models() -> dict[str, tuple[list[str], Callable[..., np.ndarray]]]:
    from symcat.embed.extractors.combined import V2_SYMMETRY_WEIGHT, join, reduce_natural

    def same(part: str):
        return [part], lambda p: p[part]

    def joined(nat: str, sym: str, weight: float, reduce: bool = True):
        return [nat, sym], lambda p: join(reduce_natural(p[nat]) if reduce else p[nat],
                                          p[sym], weight)

    def gated(nat: str, sym: str, gate: str, weight: float):
        """Symmetry half only where a lattice is found; elsewhere the natural half alone
        (`combined_module(lattice_gate=...)`)."""
        def make(p):
            on = p[gate][:, :1] > 0.5
            nat_ = reduce_natural(p[nat])
            return np.where(on, join(nat_, p[sym], weight), join(nat_, p[sym] * 0, 0.0))
        return [nat, sym, gate], make

    return {
        "effnet_lite0.in1k": same("final224"),
        "effnet_lite0_4tap.in1k": same("4tap256"),
        "symcat_symmetry.v1": same("sym256"),
        "symcat_combined.v1": joined("4tap256", "sym256", 0.5),
        "effnet_lite0_4tap_native.in1k (cap 512)": same("native512"),
        "variant: 4tap native, cap 1024": same("native1024"),
        "variant: 4tap native 512, PCA 512": ([ "native512"],
                                               lambda p: reduce_natural(p["native512"])),
        "variant: symmetry v1 on native input": same("sym_native512"),
        **{f"variant: native PCA + symmetry, w_sym {w}": joined("native512", "sym_native512", w)
           for w in (0.2, 0.35, 0.5, 0.65, 0.8)},
        f"symcat_combined.v2 (w_sym {V2_SYMMETRY_WEIGHT})":
            joined("native512", "sym_native512", V2_SYMMETRY_WEIGHT),
        "symcat_symmetry.v3": same("sym3_native512"),
        "part: v3 lattice flag": same("lattice3_native512"),  # features only, no metrics
        **{f"v3 candidate: native PCA + symmetry v3, w_sym {w}":
           joined("native512", "sym3_native512", w) for w in (0.5, 0.8)},
        **{f"v3 candidate: same, gated by v3's lattice, w_sym {w}":
           gated("native512", "sym3_native512", "lattice3_native512", w) for w in (0.5, 0.8)},
        "v3 candidate: native PCA + symmetry v1, gated by v3's lattice, w_sym 0.5":
            gated("native512", "sym_native512", "lattice3_native512", 0.5),
    }


def _sizing(recipe: int | str):
    from symcat.embed.native import SizePolicy

    if isinstance(recipe, str):
        return SizePolicy(floor=256, cap=int(recipe[1:]))
    return recipe


def embed_parts(name: str, n: int, seed: int, parts: list[str], work: Path,
                device: str | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(labels, {part: (n, d) vectors}), from the cache where it has them."""
    import torch
    from retrieval_sets import hard_set, lattice_set

    from symcat.embed.extractors import forward_any
    from symcat.embed.native import prepare
    from symcat.embed.registry import create_extractor

    cache = work / f"{name}-{n}-{seed}"
    have = {p: np.load(cache / f"{p}.npy").astype(np.float32) for p in parts
            if (cache / f"{p}.npy").exists()}
    labels = np.load(cache / "labels.npy") if (cache / "labels.npy").exists() else None
    todo = [p for p in parts if p not in have]
    if todo:
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        nets = {PARTS[p][0]: None for p in todo}
        nets = {k: create_extractor(k, device=device) for k in nets
                if not k.startswith("lattice:")}
        out: dict[str, list[np.ndarray]] = {p: [] for p in todo}
        found: list[str] = []
        seconds = {p: 0.0 for p in todo}
        images = hard_set(n, seed) if name == "hard" else lattice_set(n, seed)
        mode = "dart_pfm" if name == "hard" else None
        for i, (label, channels, _) in enumerate(images):
            found.append(label)
            stored = _stored(channels)
            inputs = {}
            for p in todo:
                net, recipe = PARTS[p]
                started = time.perf_counter()
                if recipe not in inputs:
                    inputs[recipe] = prepare(mode, stored, _sizing(recipe))
                if net.startswith("lattice:"):
                    out[p].append(_lattice_flag(inputs[recipe]))
                else:
                    out[p].append(forward_any(nets[net], [inputs[recipe]], device)[0])
                seconds[p] += time.perf_counter() - started
            if (i + 1) % 25 == 0:
                print(f"  {name}: {i + 1}/{n} embedded", flush=True)
        print("  seconds per image: " + ", ".join(f"{p} {s / n:.2f}" for p, s in
                                                    seconds.items()), flush=True)
        labels = np.asarray(found)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(cache / "labels.npy", labels)
        for p, vectors in out.items():
            have[p] = np.stack(vectors).astype(np.float32)
            np.save(cache / f"{p}.npy", have[p].astype(np.float16))  # as the catalog stores
    return labels, have


def _lattice_flag(image: np.ndarray) -> np.ndarray:
    """[1.0] when symcat_symmetry.v3's lattice test (its config.json's settings) finds a
    lattice in the grey input."""
    import json

    from symcat.embed.symmetry.extract import WEIGHTS_V3_DIR
    from symcat.embed.symmetry.lattice import FineSearch, estimate

    cfg = json.loads((WEIGHTS_V3_DIR / "config.json").read_text())["lattice"]
    grey = np.asarray(image, dtype=np.float64).mean(0)
    found = estimate(grey, cfg["max_aspect"], FineSearch(**cfg["fine"])).found
    return np.array([float(found)], np.float32)


def _stored(channels: dict[str, np.ndarray]):
    from symcat.embed.preprocess import StoredChannel

    return [StoredChannel(k, "deg" if k.startswith("Phase") else "m", v)
            for k, v in channels.items()]


def svm_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    folds = StratifiedKFold(min(10, int(np.unique(y, return_counts=True)[1].min())),
                            shuffle=True, random_state=0)
    return float(cross_val_score(make_pipeline(StandardScaler(), SVC(C=1.0)), x, y,
                                 cv=folds).mean())


def precision_at(x: np.ndarray, y: np.ndarray, k: int = 9) -> float:
    v = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    nearest = np.argsort(-sim, axis=1)[:, :k]
    return float((y[nearest] == y[:, None]).mean())


def propagation_accuracy(x: np.ndarray, y: np.ndarray, trials: int, rate: float = 0.05
                         ) -> tuple[float, str]:
    """Mean accuracy on the unlabelled points over `trials` draws; and which method."""
    classes, codes = np.unique(y, return_inverse=True)
    v = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    graph = _knn_graph(v, 10)
    method = "Poisson (scipy)"

    def solve(train: np.ndarray) -> np.ndarray:
        return _poisson(graph, train, codes[train], len(classes))
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(trials):
        train = np.concatenate([
            rng.choice(np.flatnonzero(codes == c), max(1, round(rate * (codes == c).sum())),
                       replace=False) for c in range(len(classes))])
        predicted = solve(train)
        test = np.setdiff1d(np.arange(len(y)), train)
        scores.append(float((predicted[test] == codes[test]).mean()))
    return float(np.mean(scores)), method


def _knn_graph(v: np.ndarray, k: int):
    from scipy import sparse

    d = 1 - v @ v.T
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :k]
    rows = np.repeat(np.arange(len(v)), k)
    dist = d[rows, nearest.ravel()]
    scale = np.repeat(d[np.arange(len(v)), nearest[:, -1]], k)
    w = sparse.csr_matrix((np.exp(-4 * dist / scale), (rows, nearest.ravel())),
                          shape=(len(v),) * 2)
    return (w + w.T) / 2


def _poisson(w, train: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Poisson learning: solve L u = sum over labelled j of (e_y_j - mean e_y) delta_j,
    u of zero mean (conjugate gradients on the connected graph), then argmax of u."""
    from scipy import sparse
    from scipy.sparse.linalg import cg

    n = w.shape[0]
    lap = (sparse.diags(np.asarray(w.sum(1)).ravel()) - w).tocsr()
    onehot = np.eye(n_classes)[labels]
    rhs = np.zeros((n, n_classes))
    rhs[train] = onehot - onehot.mean(0)
    u = np.zeros((n, n_classes))
    for c in range(n_classes):
        u[:, c], _ = cg(lap + 1e-8 * sparse.eye(n), rhs[:, c], rtol=1e-8, maxiter=2000)
    u -= u.mean(0)
    return u.argmax(1)


def _laplace(w, train: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    n = w.shape[0]
    lap = sparse.diags(np.asarray(w.sum(1)).ravel()) - w
    free = np.setdiff1d(np.arange(n), train)
    onehot = np.eye(n_classes)[labels]
    rhs = -lap[free][:, train] @ onehot
    solved = spsolve(lap[free][:, free].tocsc() + 1e-9 * sparse.eye(len(free)), rhs)
    scores = np.zeros((n, n_classes))
    scores[train] = onehot
    scores[free] = np.asarray(solved).reshape(len(free), n_classes)
    return scores.argmax(1)


def evaluate_set(name: str, n: int | None, seed: int, models: list[str] | None, work: Path,
                 device: str | None, trials: int, features_only: bool = False
                 ) -> pd.DataFrame | None:
    from retrieval import markdown

    n = n or (300 if name == "hard" else 204)
    table = _models()
    chosen = {m: table[m] for m in (models or table) if m in table}
    parts = sorted({p for needed, _ in chosen.values() for p in needed})
    started = time.perf_counter()
    labels, have = embed_parts(name, n, seed, parts, work, device)
    counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
    print(f"set {name}: {len(labels)} images, classes {counts} "
          f"({time.perf_counter() - started:.0f} s to embed)", flush=True)
    if features_only:
        return None
    rows = []
    for model, (_, make) in chosen.items():
        if model.startswith("part:"):
            continue
        x = make(have).astype(np.float32)
        lp, method = propagation_accuracy(x, labels, trials)
        rows.append({"model": model, "dim": x.shape[1], "svm_10fold": svm_accuracy(x, labels),
                     "p@9": precision_at(x, labels), f"{method} @5%": lp})
        print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1),
              flush=True)
    frame = pd.DataFrame(rows)
    print(f"\n{name} set ({len(labels)} images, seed {seed}):\n{markdown(frame)}\n", flush=True)
    return frame
