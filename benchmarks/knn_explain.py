"""EXPLAIN (ANALYZE, BUFFERS) of the compact pass's statement on a catalog that
`benchmarks/knn.py` built: the evidence behind a p95 that misses 50 ms (issue 16).

The query is a fresh point of cluster 0 of the benchmark's recipe; the filter is the
benchmark's correlated one (`drive_frequency_hz` from 1 to 1 + selectivity x clusters),
which passes that share of the clusters and excludes the query's own.

    python benchmarks/knn_explain.py --work /work/bench/knn1m-el --selectivity 0.5
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

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
    args = parser.parse_args()
    os.environ["SYMCAT_DATA_DIR"] = str(args.work)
    from knn import Recipe
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.query.compact import compact_config

    catalog = Catalog()
    recipe = Recipe(args.recipe, args.clusters, args.dim, np.random.default_rng(0))
    query = recipe.sample(np.array([0]), np.random.default_rng(5))[0]
    vector = "[" + ",".join(f"{v:.5f}" for v in query) + "]"
    with catalog.engine.connect() as conn:
        model_id, config = conn.execute(text(
            "SELECT id, config FROM embedding_models WHERE name LIKE 'bench.%' "
            "AND dim = :d ORDER BY id LIMIT 1"), {"d": args.dim}).one()
        candidates = compact_config(config).get("candidates", 800)
        sql = (f"SELECT scan_id FROM search_codes WHERE model_id = {int(model_id)} "
               f"AND drive_frequency_hz >= 1 AND drive_frequency_hz <= "
               f"{1 + args.selectivity * args.clusters} ORDER BY code <~> "
               f"symcat_search_code('{vector}'::halfvec({args.dim})) LIMIT {int(candidates)}")
        conn.execute(text("SET plan_cache_mode = force_custom_plan"))
        for row in conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)):
            print(row[0][:300])


if __name__ == "__main__":
    main()
