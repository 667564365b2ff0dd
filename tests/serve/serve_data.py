"""A small real catalog for the dashboard tests: synthetic .ibw files ingested as usual,
with clustered vectors written straight into `embeddings` (no CNN needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import text

from symcat.client import Catalog

MODEL = "test.serve"


def build_catalog(catalog: Catalog, folder: Path, n: int = 40, dim: int = 32) -> None:
    """Ingest `n` synthetic files and give every image scan a vector; scans of one sample and
    size class share a cluster, so the map has structure to select."""
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(folder, n, seed=0, points=64)
    catalog.ingest([folder], jobs=1)
    scans = catalog.scans(kind="image")
    groups = [f"{sample}/{size > 3e-6}" for sample, size in
              zip(scans["sample_name"].fillna(""), scans["scan_size_x_m"].fillna(0), strict=True)]
    add_vectors(catalog, list(scans["id"]), groups, dim=dim)


def add_vectors(catalog: Catalog, ids: list, groups: list[str], dim: int = 32,
                seed: int = 0) -> None:
    """Mean-centred unit vectors for `ids`, clustered by `groups`, under MODEL."""
    rng = np.random.default_rng(seed)
    names = sorted(set(groups))
    centres = {g: rng.standard_normal(dim) * 2.0 for g in names}
    raw = np.stack([centres[g] + rng.standard_normal(dim) for g in groups])
    raw -= raw.mean(axis=1, keepdims=True)
    vectors = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    with catalog.engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": MODEL, "d": dim}).scalar_one()
        conn.execute(
            text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
            [{"s": i, "m": model_id, "v": str(v.tolist())} for i, v in zip(ids, vectors,
                                                                           strict=True)])
