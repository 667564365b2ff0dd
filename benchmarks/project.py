"""Projection speed and quality: symcat's pipeline against plain `umap.UMAP().fit_transform`.

For each N, synthetic clustered vectors of the stored dimension (1024, mean-centred, unit,
rounded through float16 as `halfvec` stores them) are projected in fresh processes:

* **symcat cold**: a new process with numba's disk cache filled (as after the first use
  on a machine): import, then the first `compute_layout` (kNN graph + UMAP layout with
  umap's kernels cached, seeded, default epochs); **warm**: the next call(s) in that process;
* **plain cold / warm**: `umap.UMAP(n_neighbors=5, min_dist=0.3, metric="correlation")
  .fit_transform(X)` in a new process (its own nearest-neighbour descent, default
  epochs), first and next call(s);
* quality for both: trustworthiness (k=10, cosine, on a 2,000-point sample) and recall@10
  of the map's nearest neighbours against the exact neighbours in the vector space
  (1,000 query points against all points).

Plain and symcat processes alternate (plain, symcat, symcat, plain, ... `--repeats`
pairs, `benchmarks/_timing.py`); min and median of each side, their ratios, and the
load average before and after are printed; a row above 0.75 x cores is marked BUSY.

    python benchmarks/project.py --n 5000 32768 131072   # the issue 17 targets (~10 min)
    python benchmarks/project.py --curve --n 131072 --no-plain   # time vs n, stages apart
    python benchmarks/project.py --gpu            # 2^19 on the GPU (torch layout), vs plain
    python benchmarks/project.py --n 5000 --no-plain
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, busy_threshold, interleave  # noqa: E402

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
def _child(method: str, n: int, cache_dir: str, device: str | None,
           warm_repeats: int = 1) -> None:
    """Runs in a fresh process; prints one JSON line."""
    started = time.perf_counter()
    x = vectors(n)
    made = time.perf_counter() - started
    out: dict[str, object] = {"method": method, "n": n}
    labels = ["cold"] + ["warm"] * max(1, warm_repeats)
    warm: list[tuple[float, dict]] = []
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
        params = ProjectParams(random_state=0).resolved(n, device or None)
        for label in labels:
            t0 = time.perf_counter()
            y, info = layout(x, params, device=device or None)
            seconds = time.perf_counter() - t0
            if label == "cold":
                out["cold_s"], out["cold_info"] = round(seconds, 3), info
            else:
                warm.append((seconds, info))
    else:
        t0 = time.perf_counter()
        import umap

        out["import_s"] = round(time.perf_counter() - t0, 2)
        for label in labels:
            t0 = time.perf_counter()
            y = umap.UMAP(n_neighbors=5, min_dist=0.3, metric="correlation").fit_transform(x)
            seconds = time.perf_counter() - t0
            if label == "cold":
                out["cold_s"] = round(seconds, 3)
            else:
                warm.append((seconds, {}))
    warm.sort(key=lambda item: item[0])
    out["warm_s"], out["warm_info"] = round(warm[len(warm) // 2][0], 3), warm[len(warm) // 2][1]
    out["data_s"] = round(made, 2)
    out.update(quality(x, np.asarray(y)))
    print("RESULT " + json.dumps(out), flush=True)


def run(method: str, n: int, cache_dir: str, device: str | None, timeout: float,
        warm_repeats: int = 1) -> dict:
    command = [sys.executable, __file__, "--child", method, "--n", str(n),
               "--cache-dir", cache_dir, "--warm-repeats", str(warm_repeats)] + (
                   ["--device", device] if device else [])
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


def compare(n: int, args: argparse.Namespace, cache_dir: str, device: str | None) -> dict:
    """Plain and symcat in fresh processes, interleaved (plain, symcat, symcat, plain, ...)."""
    results: dict[str, list[dict]] = {"plain": [], "symcat": []}

    def contender(method: str) -> Callable[[], float]:
        def go() -> float:
            timeout = (args.plain_timeout or args.timeout) if method == "plain" else args.timeout
            out = run(method, n, cache_dir, device if method == "symcat" else None, timeout,
                      args.warm_repeats)
            print(json.dumps(out), flush=True)
            results[method].append(out)
            return float(out.get("warm_s", "nan"))
        return go

    contenders = {"plain": contender("plain"), "symcat": contender("symcat")}
    if args.no_plain:
        del contenders["plain"]
    with LoadWatch() as load:
        interleave(contenders, args.repeats, load)
    row: dict[str, object] = {"n": n, **load.as_dict()}
    for method, outs in results.items():
        ok = [o for o in outs if "warm_s" in o]
        if not ok:
            continue
        for key in ("cold_s", "warm_s"):
            values = [float(o[key]) for o in ok]
            row[f"{method}_{key}_min"] = round(min(values), 3)
            row[f"{method}_{key}_median"] = round(statistics.median(values), 3)
        row[f"{method}_trust"] = ok[-1]["trustworthiness"]
        if method == "symcat":
            row["knn"] = ok[-1]["warm_info"].get("knn")
            for stage in ("knn_s", "layout_s"):
                values = [float(o["warm_info"].get(stage, 0.0)) for o in ok]
                row[f"symcat_{stage}_median"] = round(statistics.median(values), 3)
            row["symcat_cold_over_warm"] = round(max(
                float(o["cold_s"]) / float(o["warm_s"]) for o in ok), 2)
    if "plain_warm_s_median" in row and "symcat_warm_s_median" in row:
        for stat in ("min", "median"):
            for key in ("warm", "cold"):
                row[f"{key}_ratio_{stat}"] = round(float(row[f"symcat_{key}_s_{stat}"]) / float(
                    row[f"plain_{key}_s_{stat}"]), 3)
        row["trust_difference"] = round(float(row["symcat_trust"]) - float(row["plain_trust"]), 4)
    row["mark"] = "BUSY" if load.busy else "quiet"
    print("SUMMARY " + json.dumps(row), flush=True)
    return row


def curve(sizes: list[int], args: argparse.Namespace, cache_dir: str,
          device: str | None) -> None:
    """Time against n, symcat only, kNN and layout apart (one fresh process per n)."""
    print(f"{'n':>8} {'warm s':>8} {'kNN s':>7} {'layout s':>8} {'cold s':>7} "
          f"{'trust':>6}  kNN method  load", flush=True)
    for n in sizes:
        with LoadWatch() as load:
            out = run("symcat", n, cache_dir, device, args.timeout, args.warm_repeats)
        if "warm_s" not in out:
            print(f"{n:>8} {json.dumps(out)[:300]}", flush=True)
            continue
        info = out["warm_info"]
        print(f"{n:>8} {out['warm_s']:>8.2f} {info.get('knn_s', 0):>7.2f} "
              f"{info.get('layout_s', 0):>8.2f} {out['cold_s']:>7.2f} "
              f"{out['trustworthiness']:>6.4f}  {info.get('knn')}  "
              f"{load.before:.1f}->{load.after:.1f}{load.mark()}", flush=True)


def _table(rows: list[dict]) -> None:
    nan = float("nan")
    print("\n      n  symcat warm min/med  plain warm min/med  ratio min/med  "
          "cold/warm  trust diff  load")
    for row in rows:
        def pair(key: str, width: int = 7, row: dict = row) -> str:
            return (f"{row.get(key + '_min', nan):{width}.2f} /"
                    f"{row.get(key + '_median', nan):6.2f}")
        print(f"{row['n']:>7}  {pair('symcat_warm_s')}   {pair('plain_warm_s')}"
              f"   {pair('warm_ratio', 5)}"
              f"   {row.get('symcat_cold_over_warm', nan):7.2f}"
              f"   {row.get('trust_difference', nan):+.4f}"
              f"   {row['load_before']:.1f}->{row['load_after']:.1f} (peak {row['load_peak']:.1f})"
              f" {row['mark']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=None)
    parser.add_argument("--large", action="store_true", help="add N = 2^17")
    parser.add_argument("--gpu", action="store_true", help="N = 2^19 with the torch layout")
    parser.add_argument("--no-plain", action="store_true", help="skip plain umap")
    parser.add_argument("--repeats", type=int, default=2,
                        help="fresh-process pairs per N, interleaved (default 2)")
    parser.add_argument("--warm-repeats", type=int, default=1,
                        help="warm calls per process (the median is reported)")
    parser.add_argument("--curve", action="store_true",
                        help="scale curve: symcat alone at 1k, 2k, 4k, ... up to the largest --n")
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
        _child(args.child, args.n[0], cache_dir, args.device, args.warm_repeats)
        return
    device = args.device or ("cuda" if args.gpu else None)
    sizes = args.n or ([2**19] if args.gpu else [1000, 5000, 2**15] + ([2**17] if args.large
                                                                       else []))
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; BUSY above load average {busy_threshold():.1f}", flush=True)
    # The first use on a machine fills numba's cache (both sides use it afterwards).
    if not Path(cache_dir).exists() and not args.no_first_use:
        print(json.dumps({"first_use_ever": run("symcat", 1000, cache_dir, device,
                                                args.timeout)}), flush=True)
    if args.curve:
        top = max(sizes)
        steps = sorted({*(2**e for e in range(10, 21) if 2**e <= top), top})
        curve(steps, args, cache_dir, device)
        return
    _table([compare(n, args, cache_dir, device) for n in sizes])


if __name__ == "__main__":
    main()
