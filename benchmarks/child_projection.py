"""Re-projecting a selection: a child map started from the parent map (init="parent",
`CHILD_EPOCHS` epochs) against the child map as it was made before (a PCA start, the
default epochs), on the same selection, interleaved.

Data: the dashboard benchmark's recipe (`benchmarks/dashboard.py`: 8,000 vectors of
1024-d in 40 equal clusters) and the projection benchmark's (`benchmarks/project.py`:
60 clusters of Dirichlet sizes), stored as halfvec rounds them. The root map is symcat's
(seed 0); the selections are what a user draws: the ~5,000 leftmost points (as the
dashboard benchmark's box) and a box of ~2,000 around the map's centre. For each, both
child maps are computed `--repeats` times, alternating which goes first; printed: the
kNN + layout seconds (min, median), and trustworthiness (k=10, cosine, on a 2,000-point
sample, as benchmarks/project.py) and recall@10 of each map.

    python benchmarks/child_projection.py                  # 8000 points, 3 repeats
    python benchmarks/child_projection.py --n 8000 --repeats 5
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave  # noqa: E402
from project import quality  # noqa: E402
from project import vectors as project_vectors  # noqa: E402


def dashboard_vectors(n: int, seed: int = 0) -> np.ndarray:
    """`benchmarks/dashboard.py`'s vectors (its `fill`), through float16 as stored."""
    from dashboard import clustered_vectors

    return clustered_vectors(n, seed)[0].astype(np.float16).astype(np.float32)


def selections(root: np.ndarray) -> dict[str, np.ndarray]:
    left = np.zeros(len(root), dtype=bool)
    left[np.argsort(root[:, 0])[:5000]] = True
    reach = np.abs(root - np.median(root, axis=0)).max(axis=1)
    centre = reach <= np.sort(reach)[min(2000, len(root) - 1)]
    return {f"left {int(left.sum())}": left, f"centre box {int(centre.sum())}": centre}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8000, help="points in the root map")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from symcat.project.layout import ProjectParams
    from symcat.project.warm import prepare, warm_up

    data = Path(os.environ.get("SYMCAT_DATA_DIR", "/tmp/symcat-bench-child"))
    prepare(data)
    warm_up(data)
    from symcat.project.run import compute_layout

    print(f"machine: {platform.node()}, {os.cpu_count()} cores")
    with LoadWatch() as load:
        for recipe, x in (("dashboard", dashboard_vectors(args.n)),
                          ("project", project_vectors(args.n))):
            root, _ = compute_layout(x, ProjectParams(random_state=0).resolved(len(x)))
            for name, mask in selections(root).items():
                sub, start = x[mask], root[mask]
                before = ProjectParams(random_state=0, init="pca").resolved(len(sub))
                after = dataclasses.replace(before, init="parent", n_epochs=None).resolved(
                    len(sub))
                maps: dict[str, np.ndarray] = {}

                def run(label: str, params: ProjectParams, sub: np.ndarray = sub,
                        start: np.ndarray = start, maps: dict = maps) -> None:
                    maps[label] = compute_layout(sub, params, start=start)[0]

                times = interleave({
                    f"pca/{before.n_epochs}": lambda b=before, r=run: r(f"pca/{b.n_epochs}", b),
                    f"parent/{after.n_epochs}": lambda a=after, r=run: r(
                        f"parent/{a.n_epochs}", a),
                }, args.repeats, load)
                print(f"\n{recipe} vectors, {args.n} points, selection: {name}")
                print(describe(times, f"pca/{before.n_epochs}"))
                scores = {label: quality(sub, xy) for label, xy in maps.items()}
                for label, score in scores.items():
                    print(f"{label:>12}: trustworthiness {score['trustworthiness']:.4f}, "
                          f"recall@10 {score['recall10']:.4f}")
                old, new = (scores[f"pca/{before.n_epochs}"]["trustworthiness"],
                            scores[f"parent/{after.n_epochs}"]["trustworthiness"])
                print(f"trustworthiness, parent start minus PCA start: {new - old:+.4f}")
    print(f"\n{load.line()}")


if __name__ == "__main__":
    main()
