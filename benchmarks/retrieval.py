"""Retrieval quality of every model, old and new, side by side, on labeled sets.

``--set hard lattice`` (default; `retrieval_sets.py`, `retrieval_eval.py`): hard domain
classes at 128-1024 px and wallpaper-group lattices, each image embedded whole through the
path a query image takes (the catalog's CPU path runs the same preprocessing and
network); reports 10-fold SVM accuracy, precision@9 and Poisson label propagation at 5%
labels, plus the combined-model join variants that chose `symcat_combined.v2`.
``--set domains``: the original catalog round trip (generated .ibw files ingested,
embedded by `symcat embed`), precision@9 per class.

    python benchmarks/retrieval.py --n 300 --lattice-n 204 --work /tmp/ret  # both sets
    python benchmarks/retrieval.py --set domains --n 600 --models effnet_lite0_4tap.in1k
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _scratch import scratch_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", nargs="*", default=["hard", "lattice"],
                        choices=["hard", "lattice", "domains"])
    parser.add_argument("--n", type=int, default=None,
                        help="images in the hard or domains set (default 300, 600)")
    parser.add_argument("--lattice-n", type=int, default=None,
                        help="images in the lattice set (default 204)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default=None)
    parser.add_argument("--trials", type=int, default=20, help="label-propagation draws")
    parser.add_argument("--features-only", action="store_true",
                        help="embed and cache the parts, no metrics (e.g. on a GPU machine)")
    parser.add_argument("--work", type=Path, default=None, help="keep files, catalog, features")
    args = parser.parse_args()
    with scratch_folder("symcat-retrieval-", args.work) as work:
        measure(args, work)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Every set the arguments name, its files, catalog and features in `work`."""
    print(f"load average before: {load()}", flush=True)
    for name in args.sets:
        if name == "domains":
            domains_set(args, work)
            continue
        from retrieval_eval import evaluate_set

        n = args.lattice_n if name == "lattice" else args.n
        evaluate_set(name, n, args.seed, args.models, work, args.device, args.trials,
                     args.features_only)
    print(f"load average after: {load()}", flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (5 min {five:.2f}){' busy' if one > 1.5 else ''}"


def domains_set(args: argparse.Namespace, work: Path) -> None:
    """The original set: generated files ingested into a catalog, precision@9 per class."""
    n = args.n or 600
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    from symcat.client import Catalog
    from symcat.embed.registry import available, list_extractors
    from symcat.ingest.synth.dataset import generate_dataset

    files = work / "files"
    if not (files / "labels.csv").exists():
        generate_dataset(files, n, seed=args.seed, jobs=args.jobs)
    catalog = Catalog()
    catalog.ingest([files], jobs=args.jobs)
    labels = pd.read_csv(files / "labels.csv")
    labels["source_path"] = [str((files / p).resolve()) for p in labels["path"]]
    scans = catalog.scans()[["id", "source_path"]].merge(labels, on="source_path")
    models = args.models or [m for m in list_extractors() if available(m)]
    print(f"{len(scans)} scans, classes: {dict(scans['class'].value_counts())}", flush=True)
    rows = []
    for model in models:
        started = time.perf_counter()
        summary = catalog.embed(model, device=args.device, progress=sys.stderr.isatty())
        ids, vectors = stored_vectors(catalog, summary.model_id)
        per_class = precision_at_k(ids, vectors, scans, k=9)
        seconds = time.perf_counter() - started
        rows.append({"model": model, **per_class, "embed_s": round(seconds, 1)})
        print(pd.DataFrame([rows[-1]]).to_string(index=False), flush=True)
    print()
    print(markdown(pd.DataFrame(rows)))


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub table (pandas' to_markdown needs tabulate, which we do not depend on)."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


def stored_vectors(catalog, model_id: int) -> tuple[list, np.ndarray]:
    from sqlalchemy import select

    from symcat.store.models import Embedding

    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(Embedding.scan_id, Embedding.vector).where(Embedding.model_id == model_id)
        ).all()
    ids = [r.scan_id for r in rows]
    vectors = np.stack([np.asarray(r.vector, np.float32) for r in rows])
    return ids, vectors


def precision_at_k(ids: list, vectors: np.ndarray, scans: pd.DataFrame, k: int) -> dict:
    """Mean same-class fraction among each scan's k nearest (cosine on stored vectors)."""
    cls = scans.set_index("id").loc[ids, "class"].to_numpy()
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    nearest = np.argsort(-sim, axis=1)[:, :k]
    hits = (cls[nearest] == cls[:, None]).mean(1)
    out = {c: float(hits[cls == c].mean()) for c in sorted(set(cls))}
    out["mean"] = float(hits.mean())
    return out


if __name__ == "__main__":
    main()
