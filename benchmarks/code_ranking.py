"""How well each way of ranking the 2-bit search codes finds a filter's true top 10, and
what each costs a row in PostgreSQL.

Quality (numpy, `symcat.store.code_levels`): N vectors of a `benchmarks/knn.py` recipe,
Q queries drawn from them; for each query the rows of every cluster but its own pass
("far": a correlated filter that excludes the query's neighbourhood) or all rows do
("near"). Recall@10 of the C best rows by code, for C = 50 ... 2,500, against the exact
top 10 of the passing rows, for: the Hamming distance between the query's code and the
row's (the passes before issue 16's third step), the query's dot product with the rows'
levels in float, and the same with the query quantized to 4, 3 and 2 bits (what SQL
computes; 4 is `symcat.store.code_levels.QUERY_BITS`).

Cost (`--work DIR`, a catalog built by `benchmarks/knn.py`): one model's codes of
`--lists` search lists ranked in SQL by Hamming distance and by the 4 query planes
(`symcat.query.compact.code_distance`), interleaved, per row read; and by the code's
length, the floor of any ranking (each row read and sorted, no distance computed).

    python benchmarks/code_ranking.py --n 200000 --recipe isotropic
    python benchmarks/code_ranking.py --n 200000 --recipe embedding-like
    python benchmarks/code_ranking.py --quality 0 --work /work/bench/knn1m-iso
    python benchmarks/code_ranking.py --quality 0 --work DIR --far-rows 40000,160000,640000

`--far-rows`: the listed pass simulated on the catalog's own vectors and lists
(`symcat.store.search_lists.simulate_listed`, the planner's stop rule simulation) for
more rows than the stop rule tries: how many codes a filter that excludes the query's
neighbourhood must read for recall@10, whatever they cost.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave  # noqa: E402

CANDIDATES = (50, 100, 200, 400, 800, 1600, 2500)


def quality(args: argparse.Namespace) -> None:
    from knn import Recipe

    from symcat.store.code_levels import code_scores, level_step, levels, query_quantized

    rng = np.random.default_rng(args.seed)
    recipe = Recipe(args.recipe, args.clusters, args.dim, rng)
    labels = rng.integers(0, args.clusters, args.n)
    vectors = np.concatenate([recipe.sample(labels[s:s + 20_000], rng)
                              for s in range(0, args.n, 20_000)])
    step = level_step(args.dim)
    row_levels = levels(vectors, step)
    found: dict[tuple[str, str, int], list[float]] = {}
    for index in rng.choice(args.n, args.queries, replace=False).tolist():
        q = vectors[index]
        similarity = vectors @ q
        for case in ("near", "far"):
            passing = np.flatnonzero(labels != labels[index]) if case == "far" \
                else np.arange(args.n)
            passing = passing[passing != index]
            truth = set(passing[np.argsort(-similarity[passing])[:10]].tolist())
            held = row_levels[passing]
            q_levels = levels(q[None, :], step)[0]
            scores = {
                "hamming": np.abs(held - q_levels).sum(axis=1),
                "query float": -(held @ q),
                # the ranking the passes use, as the simulations compute it
                "query 4 bits": code_scores(held, q),
            }
            for b in (3, 2):
                u, low, step = query_quantized(q, b)
                scores[f"query {b} bits"] = -(held @ (low + step * u))
            for name, score in scores.items():
                ranked = passing[np.argsort(score, kind="stable")]
                for c in CANDIDATES:
                    found.setdefault((case, name, c), []).append(
                        len(truth & set(ranked[:c].tolist())) / 10)
    print(f"{args.n} {args.recipe} vectors of {args.dim} dims, {args.clusters} clusters, "
          f"{args.queries} queries; recall@10 of the C best by code")
    print(f"{'case':>5} {'ranking':>14} | " + " ".join(f"{c:>6}" for c in CANDIDATES))
    names = ("hamming", "query float", "query 4 bits", "query 3 bits", "query 2 bits")
    for case in ("near", "far"):
        for name in names:
            print(f"{case:>5} {name:>14} | " + " ".join(
                f"{np.mean(found[(case, name, c)]):6.3f}" for c in CANDIDATES))


def bench_model(work: Path) -> tuple[Any, int]:
    """The engine of the catalog `benchmarks/knn.py` built in `work`, and its model's id."""
    os.environ["SYMCAT_DATA_DIR"] = str(work)
    from sqlalchemy import text

    from symcat.client import Catalog

    engine = Catalog().engine
    with engine.connect() as conn:
        model_id = conn.execute(text("SELECT id FROM embedding_models WHERE name LIKE "
                                     "'bench.%' ORDER BY id LIMIT 1")).scalar_one()
    return engine, int(model_id)


def cost(args: argparse.Namespace) -> None:
    from pgvector.sqlalchemy import HALFVEC
    from sqlalchemy import Float, bindparam, cast, func, select, text

    from symcat.query.compact import code_distance
    from symcat.store.models import Embedding, SearchCode
    from symcat.store.models.embedding import vector_array

    engine, model_id = bench_model(args.work)
    with engine.connect() as conn:
        lists = conn.execute(text("SELECT list_id FROM search_lists WHERE model_id = :m "
                                  "ORDER BY list_id LIMIT :n"),
                             {"m": model_id, "n": args.lists}).scalars().all()
        q = vector_array(conn.execute(select(Embedding.vector).where(
            Embedding.model_id == model_id).limit(1)).scalar_one())
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET max_parallel_workers_per_gather = 0"))
        listed = select(SearchCode).where(
            SearchCode.model_id == model_id,
            SearchCode.list_id == func.any(bindparam("lists", lists))).offset(0).subquery()
        rows = conn.execute(select(func.count()).select_from(listed)).scalar_one()
        query_code = func.symcat_search_code(
            cast(bindparam("q", value=q, type_=HALFVEC(len(q))), HALFVEC(len(q))))
        by = {
            "hamming": listed.c.code.op("<~>", return_type=Float())(query_code),
            "query planes": code_distance(listed.c.code, q),
            # the floor: every row's code read and sorted by something trivial
            "read only": func.length(listed.c.code),
        }

        def ranked(name: str) -> None:
            conn.execute(select(listed.c.scan_id).order_by(by[name]).limit(400)).all()

        for name in by:  # read once
            ranked(name)
        with LoadWatch() as load:
            times = interleave({name: (lambda n=name: ranked(n)) for name in by},
                               args.repeats, load)
    print(f"{rows} codes of {len(lists)} lists, ranked and the best 400 kept; "
          f"{args.repeats} interleaved repeats")
    print(describe({k: [t * 1e6 / rows for t in v] for k, v in times.items()},
                   baseline="hamming", unit="us/row"))
    print(load.line())


def far_rows(args: argparse.Namespace) -> None:
    from symcat.store.search_lists import assigned_vectors, simulate_listed

    rows = tuple(int(r) for r in args.far_rows.split(","))
    candidates = (400, 2500, 10000)
    engine, model_id = bench_model(args.work)
    with engine.connect() as conn:
        read = assigned_vectors(conn, model_id)
    assert read is not None, "the catalog's model has no search lists"
    vectors, centroids, assigned = read
    recall = simulate_listed(vectors, centroids, assigned, np.random.default_rng(args.seed),
                             rows, candidates, args.queries)
    print(f"listed pass simulated on {len(vectors)} vectors, {len(centroids)} lists, "
          f"{args.queries} queries: recall@10 by codes read (rows) and candidates")
    for case in ("near", "far"):
        for r in rows:
            print(f"{case:>5} {r:>8} rows | " + "  ".join(
                f"{c}: {recall[case][(r, c)]:.3f}" for c in candidates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--recipe", choices=("embedding-like", "isotropic"),
                        default="isotropic")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--quality", type=int, default=1, help="0: skip the numpy part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="a benchmarks/knn.py catalog: SQL cost")
    parser.add_argument("--lists", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--far-rows", default="", help="e.g. 40000,160000: simulate these")
    args = parser.parse_args()
    if args.quality:
        quality(args)
    if args.work:
        cost(args)
    if args.work and args.far_rows:
        far_rows(args)


if __name__ == "__main__":
    main()
