"""Filtered kNN: recall@10 against exact search, and latency, at every filter selectivity.

Builds a fresh embedded catalog holding N synthetic scans with clustered unit vectors of
the stored dimension (1024 = the combined model), builds the model's HNSW index exactly
as `symcat embed` does, then asks Q queries (fresh points of the same clusters) under
filters of 50/15/4/1/0.1% selectivity, both independent of the clusters (a uniform random
column) and correlated with them (a column holding the cluster number), and unfiltered.

For each case it prints recall@10 against the exact answer and p50/p95 latency of
`symcat.query.knn.knn` (plan "auto", estimate included), and the same for plain pgvector
defaults on the same index (ef_search 40, no iterative scan, no re-rank) as the baseline.

    python benchmarks/knn.py                 # 200k vectors
    python benchmarks/knn.py --n 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

SELECTIVITIES = (0.5, 0.15, 0.04, 0.01, 0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="reuse a catalog built before")
    parser.add_argument("--index-memory", default="4GB", help="maintenance_work_mem for the build")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="symcat-knn-"))
    os.environ["SYMCAT_DATA_DIR"] = str(work)
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.embed.run import ensure_index
    from symcat.query.knn import find_model

    catalog = Catalog()
    engine = catalog.engine
    name = f"bench.synthetic{args.dim}@{args.n}-{args.seed}"
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim)).astype(np.float32)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM embedding_models WHERE name = :n"),
                            {"n": name}).scalar_one()
    if not have:
        build(engine, name, args, centres, rng)
    with engine.connect() as conn:
        model = find_model(conn, name)
    index_started = time.perf_counter()
    if ensure_index(engine, model.id, args.dim, memory=args.index_memory):
        print(f"HNSW index built in {time.perf_counter() - index_started:.0f} s", flush=True)
    with engine.connect() as conn:
        print(f"catalog: {args.n} vectors of {args.dim} dims, {args.clusters} clusters, "
              f"in {work}", flush=True)
        conn.rollback()
        queries_rng = np.random.default_rng(args.seed + 1)
        labels = queries_rng.integers(0, args.clusters, args.queries)
        queries = sample(centres, labels, queries_rng)
        cases = [("none", 1.0, {})]
        for sel in SELECTIVITIES:
            cases.append(("independent", sel, {"scan_size_x_m": (None, sel)}))
            cases.append(("correlated", sel, {"drive_frequency_hz": (None, sel * args.clusters)}))
        print(f"{'filter':>12} {'sel':>6} {'rows':>8} | {'recall':>6} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'plan':>24} | {'base rec':>8} {'base p50':>8} {'base p95':>8}")
        for kind, sel, filters in cases:
            report(conn, model, queries, filters, kind, sel, args.k)


def sample(centres: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Points around their cluster centres: noise as large as the centre, so clusters
    overlap the way image features do."""
    from symcat.embed.extractors import center_normalize

    noise = rng.standard_normal((len(labels), centres.shape[1])).astype(np.float32)
    return center_normalize(centres[labels] + 1.0 * noise).astype(np.float32)


def build(engine, name: str, args, centres: np.ndarray, rng: np.random.Generator) -> None:
    """Scans (metadata only) and their vectors, then the HNSW index, timed."""
    from pgvector import HalfVector
    from pgvector.psycopg import register_vector
    from sqlalchemy import text


    started = time.perf_counter()
    with engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) "
            "VALUES (:n, 'bench.synthetic', :d, '{}') RETURNING id"), {"n": name, "d": args.dim}
        ).scalar_one()
        # cluster + a uniform draw goes into drive_frequency_hz (a filter below c selects
        # whole clusters, or part of cluster 0: correlated with the vectors); another
        # uniform draw into scan_size_x_m (an independent filter).
        conn.execute(text("""
            CREATE TEMP TABLE bench_rows AS
            SELECT g AS i, lpad(to_hex(g), 64, '0') AS sha, gen_random_uuid() AS id
            FROM generate_series(1, :n) g"""), {"n": args.n})
        conn.execute(text("""
            INSERT INTO original_files (file_sha256, size_bytes, content)
            SELECT sha, 0, '\\x' FROM bench_rows"""))
        conn.execute(text("""
            INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version,
                site, instrument, source_path, file_name, file_size_bytes, imaging_mode,
                channel_names, document, drive_frequency_hz, scan_size_x_m)
            SELECT id, sha, 'image', 'bench', 'bench', 'bench', 'bench', 'bench/' || i,
                   'scan' || i || '.ibw', 0, 'dart_pfm', '{}', '{}', 0, 0 FROM bench_rows"""))
    labels = rng.integers(0, args.clusters, args.n)
    correlated = labels + rng.random(args.n)
    uniform = rng.random(args.n)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM bench_rows ORDER BY i"))]
        raw = conn.connection.driver_connection
        register_vector(raw)
        with raw.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_meta (id uuid, c float8, u float8)")
            with cursor.copy("COPY bench_meta FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["uuid", "float8", "float8"])
                for row in zip(ids, correlated.tolist(), uniform.tolist(), strict=True):
                    copy.write_row(row)
            cursor.execute("UPDATE scans s SET drive_frequency_hz = m.c, "
                           "scan_size_x_m = m.u FROM bench_meta m WHERE m.id = s.id")
            with cursor.copy(
                "COPY embeddings (scan_id, model_id, vector) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["uuid", "int4", "halfvec"])
                for start in range(0, args.n, 10_000):
                    chunk = sample(centres, labels[start : start + 10_000], rng)
                    for scan_id, vector in zip(ids[start : start + 10_000], chunk, strict=True):
                        copy.write_row((scan_id, model_id, HalfVector(vector)))
        conn.execute(text("ANALYZE scans"))
        conn.execute(text("ANALYZE embeddings"))
    print(f"loaded {args.n} rows in {time.perf_counter() - started:.0f} s", flush=True)


def report(conn, model, queries: np.ndarray, filters: dict, kind: str, sel: float,
           k: int) -> None:
    from symcat.query.knn import estimate_rows, knn

    ours, base, recall, base_recall, plans = [], [], [], [], {}
    for q in queries:
        truth, _ = knn(conn, model, q, k, filters, plan="exact")
        conn.rollback()
        started = time.perf_counter()
        found, plan = knn(conn, model, q, k, filters)
        ours.append(time.perf_counter() - started)
        conn.rollback()
        plans[plan.method] = plans.get(plan.method, 0) + 1
        started = time.perf_counter()
        baseline = plain_pgvector(conn, model, q, k, filters)
        base.append(time.perf_counter() - started)
        want = {t[0] for t in truth}
        if want:
            recall.append(len(want & {f[0] for f in found}) / len(want))
            base_recall.append(len(want & set(baseline)) / len(want))
    from symcat.query.knn import _base

    with conn.begin():
        rows = estimate_rows(conn, _base(model, filters, ()))
    plan_text = "+".join(f"{m}:{n}" for m, n in sorted(plans.items()))
    print(f"{kind:>12} {sel:6.3f} {rows:8.0f} | {np.mean(recall):6.3f} "
          f"{1e3 * np.percentile(ours, 50):7.1f} {1e3 * np.percentile(ours, 95):7.1f} "
          f"{plan_text:>24} | {np.mean(base_recall):8.3f} {1e3 * np.percentile(base, 50):8.1f} "
          f"{1e3 * np.percentile(base, 95):8.1f}", flush=True)


def plain_pgvector(conn, model, q: np.ndarray, k: int, filters: dict) -> list:
    """What a plain pgvector query does: the index, default settings, filter after."""
    from pgvector.sqlalchemy import HALFVEC
    from sqlalchemy import bindparam, cast

    from symcat.query.knn import _base, _joined
    from symcat.store.models import Embedding

    qp = bindparam("q", value=q, type_=HALFVEC(model.dim))
    distance = cast(Embedding.vector, HALFVEC(model.dim)).cosine_distance(
        cast(qp, HALFVEC(model.dim)))
    with conn.begin():
        rows = conn.execute(_joined([Embedding.scan_id], _base(model, filters, ()))
                            .order_by(distance).limit(k)).scalars().all()
    return list(rows)


if __name__ == "__main__":
    main()
