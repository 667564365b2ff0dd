"""Projection speed and quality: symcat's pipeline against plain `umap.UMAP().fit_transform`.

For each N, synthetic clustered vectors of the stored dimension (1024, mean-centred, unit,
rounded through float16 as `halfvec` stores them) are projected in fresh processes:

* **symcat cold**: a new process with numba's disk cache filled (as after the first use
  on a machine): import, then the first `compute_layout` (exact kNN + UMAP layout with
  umap's kernels cached, seeded, 200 epochs); **warm**: a second call in that process;
* **plain cold / warm**: `umap.UMAP(n_neighbors=5, min_dist=0.3, metric="correlation")
  .fit_transform(X)` in a new process (its own nearest-neighbour descent, default
  epochs), first and second call;
* quality for both: trustworthiness (k=10, cosine, on a 2,000-point sample) and recall@10
  of the map's nearest neighbours against the exact neighbours in the vector space
  (1,000 query points against all points).

    python benchmarks/project.py                  # N = 1k, 5k, 2^15 on the CPU
    python benchmarks/project.py --large          # and 2^17
    python benchmarks/project.py --gpu            # 2^19 on the GPU (torch layout), vs plain
    python benchmarks/project.py --n 5000 --no-plain
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM, CLUSTERS = 1024, 60


def vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Clustered, mean-centred unit vectors as stored (through float16)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, dim)).astype(np.float32) * 1.2
    sizes = rng.dirichlet(np.ones(CLUSTERS) * 2)
    labels = rng.choice(CLUSTERS, n, p=sizes)
    x = centres[labels] + rng.standard_normal((n, dim), dtype=np.float32)
    x -= x.mean(axis=1, keepdims=True)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float16).astype(np.float32)


def quality(x: np.ndarray, y: np.ndarray, seed: int = 1) -> dict[str, float]:
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(seed)
    sample = rng.choice(len(x), size=min(2000, len(x)), replace=False)
    trust = trustworthiness(x[sample], y[sample], n_neighbors=10, metric="cosine")
    queries = rng.choice(len(x), size=min(1000, len(x)), replace=False)
    hits = 0
    for start in range(0, len(queries), 250):
        q = queries[start:start + 250]
        high = np.argpartition(-(x[q] @ x.T), 11, axis=1)[:, :11]
        d2 = ((y[q][:, None, :] - y[None, :, :]) ** 2).sum(-1)
        low = np.argpartition(d2, 11, axis=1)[:, :11]
        for row, i in enumerate(q):
            a = set(high[row]) - {i}
            b = set(low[row]) - {i}
            hits += len(a & b)
    return {"trustworthiness": round(float(trust), 4),
            "recall10": round(hits / (10 * len(queries)), 4)}


def _child(method: str, n: int, cache_dir: str, device: str | None) -> None:
    """Runs in a fresh process; prints one JSON line."""
    started = time.perf_counter()
    x = vectors(n)
    made = time.perf_counter() - started
    out: dict[str, object] = {"method": method, "n": n}
    if method == "symcat":
        os.environ["NUMBA_CACHE_DIR"] = cache_dir
        t0 = time.perf_counter()
        from symcat.project.layout import ProjectParams
        from symcat.project.warm import prepare

        prepare(None)
        if device:  # the torch layout; imports no database code (none on the GPU machine)
            from symcat.project.gpu import gpu_layout as layout
        else:
            from symcat.project.run import compute_layout as layout
        out["import_s"] = round(time.perf_counter() - t0, 2)
        params = ProjectParams(random_state=0).resolved()
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            y, info = layout(x, params, device=device or None)
            out[f"{label}_s"] = round(time.perf_counter() - t0, 2)
            out[f"{label}_info"] = info
    else:
        t0 = time.perf_counter()
        import umap

        out["import_s"] = round(time.perf_counter() - t0, 2)
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            y = umap.UMAP(n_neighbors=5, min_dist=0.3, metric="correlation").fit_transform(x)
            out[f"{label}_s"] = round(time.perf_counter() - t0, 2)
            if n > 50_000:
                break  # one call is enough to compare at large N
    out["data_s"] = round(made, 2)
    out.update(quality(x, np.asarray(y)))
    print("RESULT " + json.dumps(out), flush=True)


def run(method: str, n: int, cache_dir: str, device: str | None, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", method, "--n", str(n),
               "--cache-dir", cache_dir] + (["--device", device] if device else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "n": n, "timeout_s": timeout}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        return {"method": method, "n": n, "error": done.stderr[-2000:]}
    result = json.loads(lines[-1][7:])
    result["process_s"] = round(time.perf_counter() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=None)
    parser.add_argument("--large", action="store_true", help="add N = 2^17")
    parser.add_argument("--gpu", action="store_true", help="N = 2^19 with the torch layout")
    parser.add_argument("--no-plain", action="store_true", help="skip plain umap")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--plain-timeout", type=float, default=None)
    parser.add_argument("--no-first-use", action="store_true",
                        help="don't fill numba's cache first (the first N then pays it)")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    cache_dir = args.cache_dir or str(Path(tempfile.gettempdir()) / "symcat-bench-numba")
    if args.child:
        _child(args.child, args.n[0], cache_dir, args.device)
        return
    device = args.device or ("cuda" if args.gpu else None)
    sizes = args.n or ([2**19] if args.gpu else [1000, 5000, 2**15] + ([2**17] if args.large
                                                                       else []))
    # The first use on a machine fills numba's cache.
    if not Path(cache_dir).exists() and not args.no_first_use:
        print(json.dumps({"first_use_ever": run("symcat", 1000, cache_dir, device,
                                                args.timeout)}), flush=True)
    for n in sizes:
        ours = run("symcat", n, cache_dir, device, args.timeout)
        print(json.dumps(ours), flush=True)
        if not args.no_plain:
            plain = run("plain", n, cache_dir, None, args.plain_timeout or args.timeout)
            print(json.dumps(plain), flush=True)
            if "cold_s" in ours and "cold_s" in plain:
                print(json.dumps({"n": n, "cold_ratio": round(ours["cold_s"] / plain["cold_s"], 3),
                                  "warm_ratio": round(ours["warm_s"] / plain.get(
                                      "warm_s", plain["cold_s"]), 3)}), flush=True)


if __name__ == "__main__":
    main()
