"""EXPLAIN (ANALYZE, BUFFERS) of the compact pass's statement on a catalog that
`benchmarks/knn.py` built: the evidence behind a p95 that misses 50 ms (issue 16).

The query is a fresh point of cluster 0 of the benchmark's recipe; the filter is the
benchmark's correlated one (`drive_frequency_hz` from 1 to 1 + selectivity x clusters),
which passes that share of the clusters and excludes the query's own.

    python benchmarks/knn_explain.py --work /work/bench/knn1m-el --selectivity 0.5

`--planner`: instead, the query is answered by `symcat.query.knn.knn` (plan "auto") under
that filter, and the slowest statement it ran (the listed, selective or compact pass, or
the exact one) is explained, with the settings those passes use (no sequential scans, no
parallel workers).

    python benchmarks/knn_explain.py --work /tmp/knn200k-iso-s5 --recipe isotropic --planner
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="a catalog knn.py built")
    parser.add_argument("--selectivity", type=float, default=0.5)
    parser.add_argument("--recipe", choices=("embedding-like", "isotropic"),
                        default="embedding-like")
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--planner", action="store_true",
                        help="explain the slowest statement of the planner's answer")
    args = parser.parse_args()
    os.environ["SYMCAT_DATA_DIR"] = str(args.work)
    from knn import Recipe
    from sqlalchemy import select, text

    from symcat.client import Catalog
    from symcat.query.compact import code_distance, compact_config
    from symcat.store.models import SearchCode

    catalog = Catalog()
    recipe = Recipe(args.recipe, args.clusters, args.dim, np.random.default_rng(0))
    query = recipe.sample(np.array([0]), np.random.default_rng(5))[0]
    if args.planner:
        explain_planner(catalog.engine, query, args)
        return
    with catalog.engine.connect() as conn:
        model_id, config = conn.execute(text(
            "SELECT id, config FROM embedding_models WHERE name LIKE 'bench.%' "
            "AND dim = :d ORDER BY id LIMIT 1"), {"d": args.dim}).one()
        candidates = compact_config(config).get("candidates", 800)
        statement = (select(SearchCode.scan_id).where(
            SearchCode.model_id == int(model_id), SearchCode.drive_frequency_hz >= 1,
            SearchCode.drive_frequency_hz <= 1 + args.selectivity * args.clusters)
            .order_by(code_distance(SearchCode.code, query)).limit(int(candidates)))
        compiled = statement.compile(conn)
        conn.execute(text("SET plan_cache_mode = force_custom_plan"))
        for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}",
                                        compiled.params):  # type: ignore[arg-type]
            print(row[0][:300])


def explain_planner(engine: Any, query: np.ndarray, args: argparse.Namespace) -> None:
    from sqlalchemy import event, text

    from symcat.query.knn import find_model, knn

    ran: list[tuple[float, str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def done(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        ran.append((time.perf_counter() - conn.info["started"], statement, parameters))

    filters = {"drive_frequency_hz": (1.0, 1 + args.selectivity * args.clusters)}
    with engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM embedding_models WHERE name LIKE "
                                 "'bench.%' AND dim = :d ORDER BY id LIMIT 1"),
                            {"d": args.dim}).scalar_one()
        model = find_model(conn, name)
        conn.commit()
        knn(conn, model, query, 10, filters)  # once to warm what it reads
        ran.clear()
        started_at = time.perf_counter()
        _, plan = knn(conn, model, query, 10, filters)
        total = time.perf_counter() - started_at
        seconds, statement, parameters = max(ran, key=lambda r: r[0])
        print(f"plan {plan.method} in {total * 1e3:.1f} ms; its slowest statement "
              f"{seconds * 1e3:.1f} ms; why: {plan.reason}")
        with conn.begin():
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}",
                                            parameters):
                print(row[0][:300])


if __name__ == "__main__":
    main()
