"""The natural-image features reduced to 512 dimensions: fitted once, shipped, never refitted.

The combined extractor needs the 3552-d EfficientNet-Lite0 four-tap features as 512
numbers, to sit beside the 512 symmetry features. A PCA fitted per catalog would change
every stored vector whenever the catalog grows, so the projection is fitted once on a
fixed, reproducible set (synthetic DART-PFM scans of every domain class, seed
`FIT_SEED`, none of them in any benchmark set), saved in the package as
``reduction/natural_pca512.v1.npz`` (float16, ~3.6 MB), and its sha256 is part of the
combined model's id. Refit only to make a new version (``python -m
symcat.embed.extractors.reduction --n 1500``), never in place.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

VERSION = "v1"
SOURCE = "effnet_lite0_4tap.in1k"
DIM = 512
FIT_SEED = 20261121
FILE = Path(__file__).with_name("reduction") / f"natural_pca{DIM}.{VERSION}.npz"


def load(path: Path = FILE) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d,), components (d, 512)) as float32."""
    with np.load(path) as data:
        return data["mean"].astype(np.float32), data["components"].astype(np.float32)


def fit(vectors: np.ndarray, dim: int = DIM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA by SVD: (mean, components (d, dim), explained variance ratio (dim,))."""
    mean = vectors.mean(0)
    _, s, vt = np.linalg.svd(vectors - mean, full_matrices=False)
    ratio = (s**2) / (s**2).sum()
    return mean, vt[:dim].T, ratio[:dim]


def fitting_vectors(n: int, work: Path, device: str | None = None) -> np.ndarray:
    """Centred, normalized natural features of `n` fresh synthetic scans (seed FIT_SEED)."""
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(work / "files", n, seed=FIT_SEED, jobs=os.cpu_count() or 1)
    catalog = Catalog()
    catalog.ingest([work / "files"])
    summary = catalog.embed(SOURCE, device=device, progress=True)
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT vector::vector::real[] FROM embeddings "
                                 "WHERE model_id = :m ORDER BY scan_id"),
                            {"m": summary.model_id}).scalars().all()
    return np.asarray(rows, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the shipped natural-feature reduction.")
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, default=FILE)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="symcat-reduction-"))
    vectors = fitting_vectors(args.n, work, args.device)
    mean, components, ratio = fit(vectors)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, mean=mean.astype(np.float16), components=components.astype(np.float16),
             explained=ratio.astype(np.float32), n=np.int64(len(vectors)),
             seed=np.int64(FIT_SEED))
    print(f"{args.out}: {len(vectors)} vectors, {DIM} components keep "
          f"{ratio.sum():.3f} of the variance")


if __name__ == "__main__":
    main()
