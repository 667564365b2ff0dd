"""The write path with the compact search copy maintained (issue 16) against without it.

Two contenders, interleaved (A, B, A, B, ...) on one embedded catalog: "with" is the
catalog as migrated (the triggers of migration 0012 write `search_codes`); "without" has
those triggers disabled for the run. Each round times

* ingest: `Catalog.ingest` of fresh synthetic DART-PFM files (scans, channels, originals);
* embed write: `symcat.embed.run.store_vectors` of one vector per new scan, the batch
  write `symcat embed` does (COPY + INSERT, one transaction), without the network, so
  the trigger's share is as large as it can be;
* embed end to end (`--embed-model`, default the default extractor; "none" skips it):
  `embed_catalog` of the round's new scans, inference included, as `symcat embed` runs.

    python benchmarks/compact_writes.py                # 5 rounds of 200 files
    python benchmarks/compact_writes.py --files 400 --rounds 7 --dim 1024

`--lists N` compares instead the write path with the search lists maintained (migration
0013: each new code assigned to the nearest of N centroids, list summaries widened)
against the same catalog with migration 0012's trigger functions (codes written, no
lists): N = 1000 is what a 1M-vector model has.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave  # noqa: E402

TRIGGERS = {"symcat_search_code_insert": "ENABLE", "symcat_search_code_write": "ENABLE ALWAYS",
            "symcat_search_code_delete": "ENABLE ALWAYS"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files ingested per round")
    parser.add_argument("--rounds", type=int, default=5, help="repeats of each contender")
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--points", type=int, default=64, help="pixels per image side")
    parser.add_argument("--embed-model", default=None,
                        help="extractor for the end-to-end embed timing (default: the "
                             "default extractor; 'none' skips it)")
    parser.add_argument("--lists", type=int, default=0,
                        help="compare with/without the search lists, the model holding "
                             "this many (random) centroids, instead of with/without the copy")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="symcat-compact-writes-"))
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.embed.registry import default_extractor
    from symcat.embed.run import embed_catalog, store_vectors
    from symcat.ingest.synth.dataset import generate_dataset

    catalog = Catalog()
    engine = catalog.engine
    with engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES "
            "('bench.writes', 'bench.writes', :d, '{}') RETURNING id"), {"d": args.dim}
        ).scalar_one()
        if args.lists:
            centroids = rng_lists = np.random.default_rng(1).standard_normal(
                (args.lists, args.dim)).astype(np.float32)
            centroids /= np.linalg.norm(rng_lists, axis=1, keepdims=True)
            conn.execute(text(
                "INSERT INTO search_lists (model_id, list_id, centroid, centroid_code, rows, "
                "built_at, sites, imaging_modes, sample_names) VALUES (:m, :l, "
                "CAST(:c AS halfvec), symcat_search_code(CAST(:c AS halfvec)), 0, now(), "
                "'{}', '{}', '{}')"),
                [{"m": model_id, "l": i, "c": str(c.tolist())} for i, c in enumerate(centroids)])
    batches = []
    started = time.perf_counter()
    for i in range(2 * args.rounds):  # each contender ingests its own fresh files
        folder = work / f"files{i}"
        generate_dataset(folder, args.files, seed=100 + i, points=args.points)
        batches.append(folder)
    print(f"generated {2 * args.rounds} x {args.files} files in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    model = args.embed_model or default_extractor()
    model = None if model == "none" else model
    rng = np.random.default_rng(0)
    ingest_s: dict[str, list[float]] = {"with": [], "without": []}
    embed_s: dict[str, list[float]] = {"with": [], "without": []}
    full_s: dict[str, list[float]] = {"with": [], "without": []}

    lists_migration = _migration("0013_search_lists")

    def round_of(name: str) -> float:
        enabled = name == "with"
        with engine.begin() as conn:
            if args.lists:  # 0013's trigger functions, or 0012's (no lists)
                bodies = lists_migration.TRIGGER_FUNCTIONS if enabled \
                    else lists_migration.OLD_TRIGGER_FUNCTIONS
                for function, body in bodies.items():
                    if function in lists_migration.OLD_TRIGGER_FUNCTIONS:
                        conn.execute(text(
                            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
                            f"LANGUAGE plpgsql AS $${body}$$"))
                for trigger, *_ in lists_migration.TRIGGERS:
                    how = "ENABLE ALWAYS" if enabled else "DISABLE"
                    conn.execute(text(f"ALTER TABLE search_codes {how} TRIGGER {trigger}"))
            for trigger, how in TRIGGERS.items():
                how = how if enabled or args.lists else "DISABLE"
                conn.execute(text(f"ALTER TABLE embeddings {how} TRIGGER {trigger}"))
        folder = batches.pop()
        t0 = time.perf_counter()
        catalog.ingest([folder], jobs=1)
        t1 = time.perf_counter()
        with engine.connect() as conn:
            ids = list(conn.execute(text(
                "SELECT id FROM scans s WHERE NOT EXISTS (SELECT 1 FROM embeddings e "
                "WHERE e.scan_id = s.id AND e.model_id = :m)"), {"m": model_id}).scalars())
            vectors = rng.standard_normal((len(ids), args.dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            conn.rollback()
            t2 = time.perf_counter()
            with conn.begin():
                stored = store_vectors(conn, model_id, ids, vectors)
            t3 = time.perf_counter()
        assert stored == len(ids) == args.files, (stored, len(ids))
        ingest_s[name].append(t1 - t0)
        embed_s[name].append(t3 - t2)
        if model:
            summary = embed_catalog(engine, model, workers=0, build_index=False)
            assert summary.embedded == args.files, summary
            full_s[name].append(time.perf_counter() - t3)
        return time.perf_counter() - t0

    with LoadWatch() as load:
        interleave({"without": lambda: round_of("without"), "with": lambda: round_of("with")},
                   repeats=args.rounds, load=load)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one()
    what = (f"with = search lists maintained ({args.lists} centroids), without = codes only"
            if args.lists else "with = compact copy maintained, without = triggers off")
    print(f"{args.files} files a round, {args.dim}-d vectors; rows in search_codes: {codes}; "
          f"{what}")
    print("ingest seconds per round:")
    print(describe(ingest_s, baseline="without"))
    print("embed write (store_vectors) seconds per round:")
    print(describe(embed_s, baseline="without"))
    if model:
        print(f"embed end to end ({model}) seconds per round:")
        print(describe(full_s, baseline="without"))
    for label, times in (("ingest", ingest_s), ("embed write", embed_s),
                         ("embed end to end", full_s)):
        if not times["with"]:
            continue
        rate = {k: args.files / float(np.median(v)) for k, v in times.items()}
        print(f"{label}: {rate['with']:.0f} scans/s with the copy, {rate['without']:.0f} "
              f"without (rate {100 * (rate['with'] / rate['without'] - 1):+.1f}%)")
    print(load.line())


def _migration(name: str):
    """A migration module of this checkout (its trigger function bodies)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
