"""Filtered kNN: recall@10 against exact search, and latency, at every filter selectivity.

Builds a fresh embedded catalog holding N synthetic scans with clustered unit vectors of
the stored dimension (1024 = the combined model), builds the model's HNSW index exactly
as `symcat embed` does, then asks Q queries (fresh points of the same clusters) under
filters of 50/15/4/1/0.1% selectivity, both independent of the clusters (a uniform random
column) and correlated with them (a column holding the cluster number), and unfiltered.

For each case it prints recall@10 against the exact answer and p50/p95 latency of
`symcat.query.knn.knn` (plan "auto", estimate included), and the same for plain pgvector
defaults on the same index (ef_search 40, no iterative scan, no re-rank) as the baseline.

    python benchmarks/knn.py                 # 200k embedding-like vectors
    python benchmarks/knn.py --n 1000000
    python benchmarks/knn.py --recipe isotropic      # the stress case
    python benchmarks/knn.py --stats-only DATA_DIR   # recipe vs a catalog's real vectors
    python benchmarks/knn.py --work DIR --plan hnsw --cases correlated:0.04   # why not hnsw
    python benchmarks/knn.py --work DIR --per-query q.csv   # each search: ms, plan, disk reads
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scratch import scratch_folder  # noqa: E402
from _timing import LoadWatch  # noqa: E402

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
    parser.add_argument("--recipe", choices=("embedding-like", "isotropic"),
                        default="embedding-like", help="how vectors are drawn (see Recipe)")
    parser.add_argument("--stats-only", type=Path, default=None, metavar="DATA_DIR",
                        help="print the recipe's statistics and those of the vectors stored "
                             "in the catalog at DATA_DIR (real embeddings), then stop")
    parser.add_argument("--plan", choices=("auto", "hnsw", "exact", "compact", "listed",
                                            "selective"),
                        default="auto",
                        help="force one plan for 'ours' (to show why auto chooses as it does)")
    parser.add_argument("--candidates-per-k", type=int, default=None,
                        help="passing candidates an iterative scan gathers, per k")
    parser.add_argument("--serial-max-rows", type=int, default=None,
                        help="exact scans of up to this many rows run without parallel workers")
    parser.add_argument("--cases", nargs="*", default=None, metavar="KIND:SEL",
                        help="only these cases, e.g. correlated:0.04 independent:0.01 none:1")
    parser.add_argument("--compare", action="store_true",
                        help="also time the previous plan (auto without the search lists "
                             "and the selective pass: the full compact pass of session 4), "
                             "interleaved query by query")
    parser.add_argument("--list-near", type=int, nargs=2, default=None,
                        metavar=("ROWS", "CANDIDATES"),
                        help="force the listed pass's stop rule (passing rows read, code "
                             "candidates re-ranked) instead of the model's measured one; "
                             "give --list-far too")
    parser.add_argument("--list-far", type=int, nargs=2, default=None,
                        metavar=("ROWS", "CANDIDATES"),
                        help="the same where the filter rules out the query's nearest lists")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure the compact pass's candidates and costs again")
    parser.add_argument("--reasons", action="store_true",
                        help="print, per case, one Plan.reason of each method 'ours' took")
    parser.add_argument("--per-query", type=Path, default=None, metavar="CSV",
                        help="also write each query's times and the server process's "
                             "storage reads (/proc/PID/io read_bytes: pages that were not "
                             "in the OS cache) for the truth, ours and the baseline")
    parser.add_argument("--cold", action="store_true",
                        help="no warm-up: time a freshly started server")
    args = parser.parse_args()
    import symcat.query.knn
    import symcat.query.lists

    if args.list_near:
        symcat.query.lists.FORCED["near"] = tuple(args.list_near)
    if args.list_far:
        symcat.query.lists.FORCED["far"] = tuple(args.list_far)
    if args.candidates_per_k:
        symcat.query.knn.HNSW_CANDIDATES_PER_K = args.candidates_per_k
    if args.serial_max_rows is not None:
        symcat.query.knn.SERIAL_MAX_ROWS = args.serial_max_rows
    print_recipe_statistics(args)
    if args.stats_only:
        print_catalog_statistics(args.stats_only)
        return

    with scratch_folder("symcat-knn-", args.work) as work:
        measure(args, work)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Build (or reuse) the catalog in `work`, then time every case asked for."""
    os.environ["SYMCAT_DATA_DIR"] = str(work)
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.embed.run import ensure_index
    from symcat.query.calibrate import calibrate
    from symcat.query.compact import calibrate_compact
    from symcat.query.knn import find_model
    from symcat.store.sizes import print_sizes

    catalog = Catalog()
    engine = catalog.engine
    family = "synthetic" if args.recipe == "isotropic" else "embedlike"
    name = f"bench.{family}{args.dim}@{args.n}-{args.seed}"
    rng = np.random.default_rng(args.seed)
    recipe = Recipe(args.recipe, args.clusters, args.dim, rng)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM embedding_models WHERE name = :n"),
                            {"n": name}).scalar_one()
    if not have:
        build(engine, name, args, recipe, rng)
    with engine.connect() as conn:
        model = find_model(conn, name)
    index_started = time.perf_counter()
    if ensure_index(engine, model.id, args.dim, memory=args.index_memory):
        print(f"HNSW index built in {time.perf_counter() - index_started:.0f} s", flush=True)
    record = model_config(engine, model.id).get("probe")
    if record is None:  # a catalog built before probes were measured
        with engine.connect() as conn:
            record = calibrate(conn, model.id, args.dim)
    print(f"probe width: ef factor {record['ef_factor']} (recall@100 by factor "
          f"{record['recall']}, measured in {record['seconds']} s)", flush=True)
    compact = model_config(engine, model.id).get("compact")
    if compact is None or args.calibrate:  # indexed before the compact copy (migration 0012)
        with engine.connect() as conn:
            compact = calibrate_compact(conn, model.id, args.dim)
    print(f"compact pass: {compact['candidates']} candidates (recall@10 by candidates, "
          f"unfiltered: {compact['recall']}); per row: exact "
          f"{compact['exact_us_per_row']} us, compact {compact['compact_us_per_row']} us; "
          f"re-rank {compact['rerank_ms']} ms; measured in {compact['seconds']} s", flush=True)
    stop = model_config(engine, model.id).get("lists")
    if stop is None or args.calibrate:  # lists built before their stop rule was measured
        from symcat.store.search_lists import measure_stop_rule

        started = time.perf_counter()
        with engine.begin() as conn:
            stop = measure_stop_rule(conn, model.id)
        print(f"listed pass stop rule measured in {time.perf_counter() - started:.0f} s")
    selective = stop.pop("selective", {})
    print(f"listed pass stop rule (rows read, candidates re-ranked; recall@10 simulated): "
          f"{stop}", flush=True)
    print("selective pass rule (passing rows: candidates re-ranked, recall@10 simulated): "
          + "; ".join(f"{case} " + ", ".join(f"{size}: {v['candidates']} ({v['recall']})"
                                             for size, v in selective.get(case, {}).items())
                      for case in ("spread", "far")), flush=True)
    with engine.connect() as conn:
        print_sizes(conn)
    with engine.connect() as conn:
        model = find_model(conn, name)
    with engine.connect() as conn:
        print(f"catalog: {args.n} {args.recipe} vectors of {args.dim} dims, "
              f"{args.clusters} clusters, in {work}", flush=True)
        conn.rollback()
        queries_rng = np.random.default_rng(args.seed + 1)
        labels = queries_rng.integers(0, args.clusters, args.queries)
        queries = recipe.sample(labels, queries_rng)
        if not args.cold:
            warm_up(conn, model, recipe, args)
        cases = [("none", 1.0, {})]
        for sel in SELECTIVITIES:
            cases.append(("independent", sel, {"scan_size_x_m": (None, sel)}))
            cases.append(("correlated", sel, {"drive_frequency_hz": (None, sel * args.clusters)}))
        today = " | s4 recall    s4 p50    s4 p95" if args.compare else ""
        print(f"{'filter':>12} {'sel':>6} {'rows':>8} | {'recall':>6} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'plan':>24} | {'base rec':>8} {'base p50':>8} {'base p95':>8}"
              f"{today}")
        log = PerQuery(conn, args.per_query) if args.per_query else None
        with LoadWatch() as load:  # ours and the baseline alternate query by query
            for kind, sel, filters in cases:
                if not args.cases or f"{kind}:{sel:g}" in args.cases:
                    report(conn, model, queries, filters, kind, sel, args.k, args.plan,
                           args.compare, args.reasons, log)
                    load.sample()
        print(load.line())
        if log is not None:
            log.close()
            print(f"per-query times and storage reads: {args.per_query}")


def model_config(engine, model_id: int) -> dict:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT config FROM embedding_models WHERE id = :m"),
                            {"m": model_id}).scalar_one() or {}


class Recipe:
    """How the synthetic vectors are drawn.

    ``embedding-like`` (default) matches what our extractors produce: cluster centres on
    a low-dimensional (8-d) manifold, each cluster spread along its own 16 directions,
    plus a little isotropic noise. On 600 points of 6 clusters it puts 50/80/90/95% of
    the variance in about 3/32/56/73 dimensions, with a relative contrast (mean distance
    over the 10th neighbour's) of about 4.1, like the vectors our extractors give for
    600 synthetic scans of six domain classes (`--stats-only DATA_DIR` prints both; see
    benchmarks/RESULTS.md).
    ``isotropic`` is a stress case: Gaussian centres with isotropic noise as large as
    the centres in all 1024 dimensions (variance spread over hundreds of dimensions,
    contrast 1.9), where neighbours are nearly as far as everything else and any index
    degrades towards an exhaustive scan.
    """

    def __init__(self, name: str, clusters: int, dim: int, rng: np.random.Generator) -> None:
        self.name, self.dim = name, dim
        if name == "isotropic":
            self.centres = rng.standard_normal((clusters, dim)).astype(np.float32)
            self.spread = None
        else:
            latent = rng.standard_normal((8, dim)).astype(np.float32) / np.sqrt(8)
            self.centres = rng.standard_normal((clusters, 8)).astype(np.float32) @ latent
            self.spread = (0.7 * rng.standard_normal((clusters, 16, dim)) / 4.0).astype(
                np.float32)

    def sample(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Unit, mean-centred points of the given clusters (as the catalog stores them)."""
        from symcat.embed.extractors import center_normalize

        noise = rng.standard_normal((len(labels), self.dim)).astype(np.float32)
        if self.spread is None:
            points = self.centres[labels] + noise
        else:
            along = rng.standard_normal((len(labels), 16)).astype(np.float32)
            points = (self.centres[labels] + np.einsum("nl,nld->nd", along, self.spread[labels])
                      + 0.08 * noise)
        return center_normalize(points).astype(np.float32)


def spectrum_and_contrast(vectors: np.ndarray) -> tuple[list[int], float]:
    """Dimensions holding 50/80/90/95% of the variance, and the median relative contrast
    (mean cosine distance over the 10th nearest neighbour's): how much room an index has."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    power = np.linalg.svd(unit - unit.mean(0), compute_uv=False) ** 2
    cumulative = np.cumsum(power) / power.sum()
    dims = [int(np.searchsorted(cumulative, p) + 1) for p in (0.5, 0.8, 0.9, 0.95)]
    distance = 1 - unit @ unit.T
    np.fill_diagonal(distance, np.nan)
    tenth = np.sort(np.nan_to_num(distance, nan=np.inf), axis=1)[:, 9]
    return dims, float(np.median(np.nanmean(distance, axis=1) / tenth))


def print_recipe_statistics(args: argparse.Namespace) -> None:
    """The recipe's spectrum and contrast on 600 points of 6 clusters (the size of the
    real sample below), so both can be compared."""
    rng = np.random.default_rng(args.seed)
    recipe = Recipe(args.recipe, 6, args.dim, rng)
    dims, contrast = spectrum_and_contrast(recipe.sample(rng.integers(0, 6, 600), rng))
    print(f"recipe {args.recipe}: 50/80/90/95% of variance in {dims} dims, "
          f"relative contrast {contrast:.2f} (600 points, 6 clusters)", flush=True)


def print_catalog_statistics(data_dir: Path) -> None:
    """The same figures for every model's stored vectors in a catalog."""
    os.environ["SYMCAT_DATA_DIR"] = str(data_dir)
    from sqlalchemy import text

    from symcat.client import Catalog

    with Catalog().engine.connect() as conn:
        models = conn.execute(text("SELECT id, name FROM embedding_models ORDER BY id")).all()
        for model_id, name in models:
            rows = conn.execute(text("SELECT vector::text FROM embeddings WHERE model_id = :m"),
                                {"m": model_id}).scalars().all()
            vectors = np.array([r.strip("[]").split(",") for r in rows], dtype=np.float32)
            dims, contrast = spectrum_and_contrast(vectors)
            print(f"{name}: {len(vectors)} vectors, 50/80/90/95% of variance in {dims} dims, "
                  f"relative contrast {contrast:.2f}", flush=True)


def build(engine, name: str, args, recipe: Recipe, rng: np.random.Generator) -> None:
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
                    chunk = recipe.sample(labels[start : start + 10_000], rng)
                    for scan_id, vector in zip(ids[start : start + 10_000], chunk, strict=True):
                        copy.write_row((scan_id, model_id, HalfVector(vector)))
        conn.execute(text("ANALYZE scans"))
        conn.execute(text("ANALYZE embeddings"))
    print(f"loaded {args.n} rows in {time.perf_counter() - started:.0f} s", flush=True)


def warm_up(conn, model, recipe: Recipe, args: argparse.Namespace, queries: int = 1000) -> None:
    """Bring the vectors, the scans and the index into PostgreSQL's buffers, as a server
    in use (dashboard, daemon) has them; a freshly started one has nothing cached and
    reads every page through the OS (`--cold` skips this). The tables are read once
    through an index (a sequential scan of a large table uses a small ring of buffers
    and caches nothing); the graph by untimed unfiltered searches."""
    from sqlalchemy import text

    from symcat.query.knn import knn

    started = time.perf_counter()
    with conn.begin():
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SELECT count(vector) FROM embeddings WHERE model_id = :m"),
                     {"m": model.id})
        conn.execute(text("SELECT count(document) FROM scans WHERE id IS NOT NULL"))
        conn.execute(text("SELECT count(code) FROM search_codes WHERE model_id = :m"),
                     {"m": model.id})  # the compact copy: part of the hot set too
    rng = np.random.default_rng(args.seed + 2)
    for q in recipe.sample(rng.integers(0, args.clusters, queries), rng):
        knn(conn, model, q, args.k)
        conn.rollback()
    print(f"warm-up: tables read once, {queries} unfiltered searches, "
          f"{time.perf_counter() - started:.1f} s", flush=True)


class PerQuery:
    """One CSV row per timed search: its case, arm, milliseconds, plan, and the bytes the
    server process serving this connection read from storage meanwhile (Linux
    /proc/PID/io read_bytes; page-cache hits count nothing), to tell a slow query that
    waited on the disk from one that computed."""

    def __init__(self, conn, path: Path) -> None:
        from sqlalchemy import text

        self.pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        conn.rollback()
        self.io = Path(f"/proc/{self.pid}/io")
        self.handle = path.open("w", encoding="utf-8")
        self.handle.write("case,selectivity,query,arm,ms,plan,storage_read_bytes\n")

    def read_bytes(self) -> int:
        try:
            for line in self.io.read_text().splitlines():
                if line.startswith("read_bytes:"):
                    return int(line.split()[1])
        except OSError:  # another user's server, or not Linux
            pass
        return -1

    def write(self, kind: str, sel: float, query: int, arm: str, seconds: float, plan: str,
              read: int) -> None:
        self.handle.write(f"{kind},{sel:g},{query},{arm},{1e3 * seconds:.2f},{plan},{read}\n")

    def close(self) -> None:
        self.handle.close()


def _timed(log: PerQuery | None, row: tuple, run):
    """`run()` timed, and its storage reads logged under `row` (case, sel, query, arm)."""
    before = log.read_bytes() if log else 0
    started = time.perf_counter()
    out = run()
    seconds = time.perf_counter() - started
    if log:
        plan = getattr(out[1], "method", "") if isinstance(out, tuple) else ""
        log.write(*row, seconds, plan, log.read_bytes() - before)
    return out, seconds


def report(conn, model, queries: np.ndarray, filters: dict, kind: str, sel: float,
           k: int, forced: str = "auto", compare: bool = False, reasons: bool = False,
           log: PerQuery | None = None) -> None:
    from symcat.query.knn import estimate_rows, knn

    ours, base, recall, base_recall, plans = [], [], [], [], {}
    today, today_recall = [], []
    why: dict[str, str] = {}
    for i, q in enumerate(queries):
        (truth, _), _s = _timed(log, (kind, sel, i, "truth"),
                                lambda q=q: knn(conn, model, q, k, filters, plan="exact"))
        conn.rollback()
        (found, plan), seconds = _timed(log, (kind, sel, i, "ours"),
                                        lambda q=q: knn(conn, model, q, k, filters, plan=forced))
        ours.append(seconds)
        conn.rollback()
        plans[plan.method] = plans.get(plan.method, 0) + 1
        why.setdefault(plan.method, plan.reason)
        baseline, seconds = _timed(log, (kind, sel, i, "baseline"),
                                   lambda q=q: plain_pgvector(conn, model, q, k, filters))
        base.append(seconds)
        before = []
        if compare:  # the plan of session 4: auto, the full compact pass, no lists
            (before, _), seconds = _timed(
                log, (kind, sel, i, "session 4"),
                lambda q=q: knn(conn, model, q, k, filters, use_lists=False,
                                use_selective=False))
            today.append(seconds)
            conn.rollback()
        want = {t[0] for t in truth}
        if want:
            recall.append(len(want & {f[0] for f in found}) / len(want))
            base_recall.append(len(want & set(baseline)) / len(want))
            today_recall.append(len(want & {f[0] for f in before}) / len(want))
    from symcat.query.knn import _base

    with conn.begin():
        rows = estimate_rows(conn, _base(model, filters, ()))
    plan_text = "+".join(f"{m}:{n}" for m, n in sorted(plans.items()))
    print(f"{kind:>12} {sel:6.3f} {rows:8.0f} | {np.mean(recall):6.3f} "
          f"{1e3 * np.percentile(ours, 50):7.1f} {1e3 * np.percentile(ours, 95):7.1f} "
          f"{plan_text:>24} | {np.mean(base_recall):8.3f} {1e3 * np.percentile(base, 50):8.1f} "
          f"{1e3 * np.percentile(base, 95):8.1f}" + (
              f" | {np.mean(today_recall):9.3f} {1e3 * np.percentile(today, 50):9.1f} "
              f"{1e3 * np.percentile(today, 95):9.1f}" if compare else ""), flush=True)
    for method, reason in why.items() if reasons else ():
        print(f"{'':>12} {method}: {reason}", flush=True)


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
