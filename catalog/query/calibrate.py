"""How wide the kNN probe must search one model's HNSW graph, measured on its own vectors.

The probe in `symcat.query.knn` trusts the index's unfiltered nearest rows, so its
answer is only as good as the graph search's recall. How much search that takes depends
on the vectors, not on the code: for image embeddings (variance in a few dozen
dimensions) `ef_search` equal to the probe size already gives recall 1.00 at 1M
vectors, while for isotropic 1024-d clusters it takes 8 times that (recall 0.80 at
ef_search 100, 0.985 at 800; benchmarks/RESULTS.md). Searching 8 times wider than
needed costs 3-4 times the latency, so each model is measured once its index exists,
and the factor is kept in `embedding_models.config["probe"]`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import Connection, bindparam, cast, func, select, text, update

from symcat.store.models import Embedding, EmbeddingModel
from symcat.store.models.embedding import vector_array

# Search widths tried, as multiples of the rows asked for; the widest is the safe
# default for a model that was never measured.
FACTORS = (1, 2, 4, 8)
DEFAULT_FACTOR = FACTORS[-1]
# Recall@ROWS the probe must reach on the sample, and the sample's size.
TARGET_RECALL = 0.98
ROWS = 100
QUERIES = 20


def probe_factor(config: dict[str, Any] | None) -> int:
    """The measured factor of a model's config, or the safe default."""
    probe = (config or {}).get("probe") or {}
    return int(probe.get("ef_factor", DEFAULT_FACTOR))


def calibrate(conn: Connection, model_id: int, dim: int, *, queries: int = QUERIES,
              seed: int = 0) -> dict[str, Any]:
    """Measure the smallest factor whose recall@ROWS on `queries` of the model's own
    vectors reaches TARGET_RECALL, store it in the model's config, and return the record.

    Ground truth is an exact scan per query (about two seconds per query at 1M vectors),
    so this runs once, after an index build, not per search. Commits what `conn` holds
    first: each measurement needs a transaction of its own.
    """
    started = time.perf_counter()
    if conn.in_transaction():  # SET LOCAL must not leak between the measurements below
        conn.commit()
    with conn.begin():
        sample = _sample_vectors(conn, model_id, queries, seed)
    indexed = cast(Embedding.vector, HALFVEC(dim))
    q = bindparam("q", type_=HALFVEC(dim))
    nearest = (select(Embedding.scan_id).where(Embedding.model_id == model_id)
               .order_by(indexed.cosine_distance(cast(q, HALFVEC(dim)))).limit(ROWS))
    truths = []
    with conn.begin():
        conn.execute(text("SET LOCAL enable_indexscan = off"))  # exact: no graph
        for vector in sample:
            truths.append(set(conn.execute(nearest, {"q": vector}).scalars()))
    recalls: dict[int, float] = {}
    chosen = DEFAULT_FACTOR
    for factor in FACTORS:
        found = []
        with conn.begin():
            conn.execute(text(f"SET LOCAL hnsw.ef_search = {min(1000, factor * ROWS)}"))
            conn.execute(text("SET LOCAL hnsw.iterative_scan = off"))
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            for vector in sample:
                found.append(set(conn.execute(nearest, {"q": vector}).scalars()))
        recalls[factor] = float(np.mean([len(t & f) / max(1, len(t))
                                         for t, f in zip(truths, found, strict=True)]))
        if recalls[factor] >= TARGET_RECALL:
            chosen = factor
            break
    record = {"ef_factor": chosen, "recall": recalls, "queries": len(sample),
              "rows": ROWS, "seconds": round(time.perf_counter() - started, 1)}
    return store_measurement(conn, model_id, "probe", record)


def store_measurement(conn: Connection, model_id: int, key: str, record: dict[str, Any]
                      ) -> dict[str, Any]:
    """Keep `record` under `key` of the model's config (the rest of the config as it is),
    in its own transaction; returns the record."""
    with conn.begin():
        config = conn.execute(select(EmbeddingModel.config)
                              .where(EmbeddingModel.id == model_id)).scalar_one()
        conn.execute(update(EmbeddingModel).where(EmbeddingModel.id == model_id)
                     .values(config={**(config or {}), key: record}))
    return record


def _sample_vectors(conn: Connection, model_id: int, queries: int, seed: int
                    ) -> list[np.ndarray]:
    """`queries` stored vectors of the model, spread over the table (row numbers drawn
    with a fixed seed; no full-table sort)."""
    count = conn.execute(select(func.count()).select_from(Embedding)
                         .where(Embedding.model_id == model_id)).scalar_one()
    if not count:
        return []
    offsets = sorted(np.random.default_rng(seed).choice(
        count, size=min(queries, count), replace=False).tolist())
    vectors = []
    for offset in offsets:
        value = conn.execute(select(Embedding.vector).where(Embedding.model_id == model_id)
                             .order_by(Embedding.scan_id).offset(offset).limit(1)).scalar_one()
        vectors.append(vector_array(value))
    return vectors
