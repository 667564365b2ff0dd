"""Catalogs with clustered vectors written straight into `embeddings` (no CNN needed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from symcat.client import Catalog

MODEL = "test.project"
SAMPLES = ("PZT-a", "PZT-b", "BFO-c")


@dataclass(frozen=True)
class Clustered:
    catalog: Catalog
    ids: list[uuid.UUID]
    labels: np.ndarray
    vectors: np.ndarray
    samples: list[str]


def add_scans(catalog: Catalog, n: int, dim: int = 48, clusters: int = 6, seed: int = 0,
              model: str = MODEL, with_vectors: bool = True) -> Clustered:
    """`n` metadata-only image scans in `clusters` clusters; sample names cycle over
    SAMPLES independently of the clusters; the model's vectors mean-centred, unit."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)) * 2.0
    labels = rng.integers(0, clusters, n)
    raw = centres[labels] + rng.standard_normal((n, dim))
    raw -= raw.mean(axis=1, keepdims=True)
    vectors = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
    samples = [SAMPLES[i % len(SAMPLES)] for i in range(n)]
    offset = int(rng.integers(0, 2**40))
    with catalog.engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": model, "d": dim}).scalar_one()
        ids = [uuid.uuid4() for _ in range(n)]
        conn.execute(text(
            "INSERT INTO original_files (file_sha256, size_bytes, content) "
            "VALUES (lpad(to_hex(:h), 64, '0'), 0, '\\x')"),
            [{"h": offset + i} for i in range(n)])
        conn.execute(text(
            "INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, "
            "site, instrument, source_path, file_name, file_size_bytes, imaging_mode, "
            "channel_names, document, sample_name, scan_size_x_m) VALUES (:id, "
            "lpad(to_hex(:h), 64, '0'), 'image', 't', 't', 'lab', 'pc', :f, :f, 0, "
            "'dart_pfm', '{}', '{}', :s, :size)"),
            [{"id": i, "h": offset + k, "f": f"scan{k:05d}.ibw", "s": samples[k],
              "size": 1e-6 * (1 + labels[k])} for k, i in enumerate(ids)])
        if with_vectors:
            conn.execute(
                text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
                [{"s": i, "m": model_id, "v": str(v.tolist())} for i, v in zip(ids, vectors,
                                                                               strict=True)])
    return Clustered(catalog, ids, labels, vectors, samples)


