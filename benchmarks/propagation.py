"""Label propagation: how well and how fast (issue 14).

**Accuracy** (`--accuracy`): a generated folder of labelled domain images
(`benchmarks/labeled_folder.py`: stripe, labyrinth, bubble, checkerboard with random
scan size, rotation, period and noise; PNG/TIFF/JPEG of the phase and DART `.ibw`) is
embedded by every available model through the query-image path (`symcat evaluate`'s),
then Poisson learning (graphlearning, as `symcat labels propagate` runs it) labels the
rest from 1%, 5% and 10% of the labels (at least one per class), averaged over random
draws; the baselines, on the same draws, are Laplace learning on the same graph and a
1-nearest-neighbour classifier on the labelled vectors. CPU embedding runs at ~10-15
images/s here, so the set is small (`--n`, default 240).

**Speed** (`--speed`): synthetic clustered vectors (5 overlapping classes, 8-d) at
25,000 and 200,000 points: the kNN graph build (scipy cKDTree, k=10) is timed on its own,
then Poisson learning and the Laplace baseline are solved on that graph, interleaved
(P, L, P, L), each with graphlearning's weight matrix included.

    nice -n 10 python benchmarks/propagation.py --accuracy --n 240 --draws 10
    nice -n 10 python benchmarks/propagation.py --speed --sizes 25000,200000

The load average is printed before and after; figures taken above 1.5 are marked busy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

BUSY = 1.5


def load() -> float:
    one = os.getloadavg()[0]
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
          f"{'  (busy)' if one > BUSY else ''}", flush=True)
    return one


def one_nn(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    from symcat.project.knn import unit_rows

    u = unit_rows(x)
    nearest = np.argmax(u[test] @ u[train].T, axis=1)
    return float((y[train][nearest] == y[test]).mean())


def accuracy(n: int, draws: int, seed: int, models: list[str]) -> None:
    from labeled_folder import write_folder

    from symcat.embed.registry import available, list_extractors
    from symcat.labels.evaluate import draw_labelled
    from symcat.labels.folder import embed_folder, read_folder
    from symcat.labels.propagate import propagate_vectors
    from symcat.project.knn import knn_graph

    names = models or [m for m in list_extractors() if available(m)]
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(Path(tmp), n, seed=seed, broken=False)
        data = read_folder(tmp)
    print(f"{len(data.images)} images, {len(data.skipped)} skipped; models: {', '.join(names)}")
    print("| model | labels | Poisson | Laplace (baseline) | 1-NN (baseline) | embed img/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in names:
        started = time.perf_counter()
        vectors, skipped, (kept, model_id) = embed_folder(data.images, name)
        rate = len(kept) / (time.perf_counter() - started)
        classes = sorted({i.label for i in kept})
        y = np.array([classes.index(i.label) for i in kept])
        graph = knn_graph(vectors, 11, metric="correlation")
        rng = np.random.default_rng(seed)
        for label_rate in (0.01, 0.05, 0.10):
            scores: dict[str, list[float]] = {"poisson": [], "laplace": [], "1nn": []}
            sizes = []
            for _ in range(draws):
                train = draw_labelled(y, label_rate, rng)
                test = np.setdiff1d(np.arange(len(y)), train)
                sizes.append(len(train))
                for method in ("poisson", "laplace"):
                    result = propagate_vectors(vectors, train, y[train], classes, method=method,
                                               k=10, graph=graph)
                    scores[method].append(float((result.predicted[test] == y[test]).mean()))
                scores["1nn"].append(one_nn(vectors, y, train, test))
            cells = [f"{np.mean(v):.3f} ± {np.std(v):.3f}" for v in scores.values()]
            print(f"| {model_id} | {label_rate:.0%} ({np.mean(sizes):.0f}) | "
                  + " | ".join(cells) + f" | {rate:.2f} |", flush=True)


def synthetic(n: int, seed: int = 0, dim: int = 8, classes: int = 5
              ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim)) * 0.9
    y = rng.integers(0, classes, n)
    return (centres[y] + rng.standard_normal((n, dim))).astype(np.float32), y


def speed(sizes: list[int], seed: int) -> None:
    import graphlearning  # noqa: F401  (imported before timing: ~3 s with matplotlib)
    from scipy.spatial import cKDTree

    from symcat.labels.evaluate import draw_labelled
    from symcat.labels.propagate import class_scores, solve, weight_matrix

    print("| scans | kNN graph build | Poisson | Laplace (baseline) | ratio | Poisson acc @1% |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        x, y = synthetic(n, seed)
        started = time.perf_counter()
        distances, indices = cKDTree(x).query(x, k=11, workers=-1)
        graph_s = time.perf_counter() - started
        train = draw_labelled(y, 0.01, np.random.default_rng(seed))
        times: dict[str, list[float]] = {"poisson": [], "laplace": []}
        acc = 0.0
        for method in ("poisson", "laplace", "poisson", "laplace"):
            started = time.perf_counter()
            weights = weight_matrix(indices, distances, 10)
            predicted, _, _ = class_scores(solve(weights, train, y[train], method))
            times[method].append(time.perf_counter() - started)
            if method == "poisson":
                test = np.setdiff1d(np.arange(n), train)
                acc = float((predicted[test] == y[test]).mean())
        p, lap = min(times["poisson"]), min(times["laplace"])
        print(f"| {n:,} | {graph_s:.1f} s | {p:.1f} s | {lap:.1f} s | {p / lap:.2f} | "
              f"{acc:.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--n", type=int, default=240, help="Images embedded per model.")
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--sizes", default="25000,200000")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.accuracy or args.speed):
        args.accuracy = args.speed = True
    print(f"cores: {os.cpu_count()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    load()
    if args.accuracy:
        accuracy(args.n, args.draws, args.seed, args.model)
    if args.speed:
        speed([int(s) for s in args.sizes.split(",")], args.seed)
    load()


if __name__ == "__main__":
    main()
