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

`--lists N` compares instead the write path with the search lists maintained against
the same catalog with migration 0012's trigger functions (codes written, no lists): N =
1000 is what a 1M-vector model has. "with" is the catalog as migrated: `store_vectors`
assigns each batch's lists in numpy and hands them to the trigger (migration 0014), the
lists' summaries widened by their triggers; "without" has 0012's functions, the widening
triggers off, and the lists moved to another model for its rounds (so `store_vectors`
finds none to assign). The embed write then stores each round's vectors for
`--write-models` models (each with its own N lists, summaries empty at the start: every
write widens them as fresh scans do), one transaction each, each write one sample.
`--by-update` adds a third contender, the alternative design: codes written without a
list (0012's functions) and the batch's lists set afterwards by an UPDATE of
`search_codes` in the same transaction; `--unwidened` a fourth, the lists handed over
with the summaries' widening triggers off (not a design: what the widening costs; its
rows leave the summaries under-stated, in this throwaway catalog only);
`--old-widening` the lists handed over with migration 0013's widening function (0014
replaced it by one that computes widened values only for the lists that change);
`--covered` starts every list with a summary that covers any value (nothing to widen);
`--ahead` the write with its lists computed before it, outside the timing, as `symcat
embed` computes them in its inference thread (the writer thread's own share). With
`--lists` the extractor's model (embed end to end) gets N lists as well, moved away in
"without" rounds like the others'.

    python benchmarks/compact_writes.py --lists 1000 --files 100 --rounds 5 \
        --embed-model none --by-update --unwidened --old-widening
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
    parser.add_argument("--write-models", type=int, default=4,
                        help="with --lists: models each round's vectors are written for")
    parser.add_argument("--by-update", action="store_true",
                        help="with --lists: also time lists set by an UPDATE after the insert")
    parser.add_argument("--old-widening", action="store_true",
                        help="with --lists: also time the lists handed over with "
                             "migration 0013's widening function")
    parser.add_argument("--covered", action="store_true",
                        help="with --lists: the lists' summaries cover every value from the "
                             "start (nothing to widen: the steady state of a list whose "
                             "new rows fall inside its summary)")
    parser.add_argument("--ahead", action="store_true",
                        help="with --lists: also time the write with the lists computed "
                             "before it (as `symcat embed` does beside inference)")
    parser.add_argument("--unwidened", action="store_true",
                        help="with --lists: also time the lists handed over with the "
                             "summaries' widening triggers off (its share of the cost)")
    args = parser.parse_args()
    with scratch_folder("symcat-compact-writes-") as work:
        measure(args, work)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Every comparison the arguments ask for, on a catalog in `work`."""
    os.environ["SYMCAT_DATA_DIR"] = str(work / "catalog")
    from sqlalchemy import text

    from symcat.client import Catalog
    from symcat.embed.registry import default_extractor, get_cfg
    from symcat.embed.run import embed_catalog, ensure_model, store_vectors
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.store.list_assignment import assign, assign_ahead, model_centroids

    catalog = Catalog()
    engine = catalog.engine
    writes = args.write_models if args.lists else 1
    with engine.begin() as conn:
        model_ids = [conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES "
            "(:n, 'bench.writes', :d, '{}') RETURNING id"), {"n": f"bench.writes.{i}",
                                                            "d": args.dim}).scalar_one()
            for i in range(2 * writes)]
        parking = dict(zip(model_ids[:writes], model_ids[writes:], strict=True))
        model_ids = model_ids[:writes]  # the others hold the lists in "without" rounds
        dims = dict.fromkeys(model_ids, args.dim)
        model = args.embed_model or default_extractor()
        model = None if model == "none" else model
        if model and args.lists:  # the extractor's model has lists too, for end to end
            cfg = get_cfg(model)
            extractor_id = ensure_model(conn, cfg)
            dims[extractor_id] = cfg.dim
            parking[extractor_id] = conn.execute(text(
                "INSERT INTO embedding_models (name, family, dim, config) VALUES "
                "('bench.writes.parking', 'bench.writes', :d, '{}') RETURNING id"),
                {"d": cfg.dim}).scalar_one()
        if args.lists:
            rng_lists = np.random.default_rng(1)
            for model_id, dim in dims.items():
                centroids = rng_lists.standard_normal((args.lists, dim)).astype(np.float32)
                centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
                conn.execute(text(
                    "INSERT INTO search_lists (model_id, list_id, centroid, centroid_code, "
                    "rows, built_at, sites, imaging_modes, sample_names) VALUES (:m, :l, "
                    "CAST(:c AS halfvec), symcat_search_code(CAST(:c AS halfvec)), 0, "
                    "clock_timestamp(), '{}', '{}', '{}')"),
                    [{"m": model_id, "l": i, "c": str(c.tolist())}
                     for i, c in enumerate(centroids)])
                if args.covered:  # any value: NULL lists, ranges without bounds
                    conn.execute(text(
                        "UPDATE search_lists SET sites = NULL, imaging_modes = NULL, "
                        "sample_names = NULL, min_acquired_at = '-infinity', "
                        "max_acquired_at = 'infinity', min_scan_size_x_m = '-infinity', "
                        "max_scan_size_x_m = 'infinity', min_drive_frequency_hz = "
                        "'-infinity', max_drive_frequency_hz = 'infinity' "
                        "WHERE model_id = :m"), {"m": model_id})
    with engine.connect() as conn:  # the writer holds its centroids, as `symcat embed`'s
        for model_id in dims:
            model_centroids(conn, model_id)
        conn.rollback()
    contenders = ["without", "with"] + (["update"] if args.lists and args.by_update else []) \
        + (["unwidened"] if args.lists and args.unwidened else []) \
        + (["0013 widening"] if args.lists and args.old_widening else []) \
        + (["ahead"] if args.lists and args.ahead else [])
    batches = []
    started = time.perf_counter()
    for i in range(len(contenders) * args.rounds):  # each contender ingests its own files
        folder = work / f"files{i}"
        generate_dataset(folder, args.files, seed=100 + i, points=args.points)
        batches.append(folder)
    print(f"generated {len(batches)} x {args.files} files in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    rng = np.random.default_rng(0)
    ingest_s: dict[str, list[float]] = {name: [] for name in contenders}
    embed_s: dict[str, list[float]] = {name: [] for name in contenders}
    uncommitted_s: dict[str, list[float]] = {name: [] for name in contenders}
    full_s: dict[str, list[float]] = {name: [] for name in contenders}
    assign_s: list[float] = []

    old = _migration("0013_search_lists")  # OLD_TRIGGER_FUNCTIONS: 0012's bodies
    bulk = _migration("0014_bulk_list_assignment")
    current = {**old.TRIGGER_FUNCTIONS, bulk.INSERT_FUNCTION: bulk.BODY}
    parked = {"now": False}

    def configure(conn, name: str) -> None:
        """Trigger functions, widening triggers and lists for contender `name`."""
        if args.lists:
            handed_over = name in ("with", "unwidened", "0013 widening", "ahead")
            bodies = {**(current if handed_over else old.OLD_TRIGGER_FUNCTIONS),
                      bulk.WIDEN_FUNCTION: bulk.OLD_WIDEN_BODY if name == "0013 widening"
                      else bulk.WIDEN_BODY}
            for function, body in bodies.items():
                if function in old.OLD_TRIGGER_FUNCTIONS or function == bulk.WIDEN_FUNCTION:
                    conn.execute(text(
                        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
                        f"LANGUAGE plpgsql SET search_path FROM CURRENT AS $${body}$$"))
            for trigger, *_ in old.TRIGGERS:
                how = "DISABLE" if name in ("without", "unwidened") else "ENABLE ALWAYS"
                conn.execute(text(f"ALTER TABLE search_codes {how} TRIGGER {trigger}"))
            park = name == "without"
            if park != parked["now"]:
                for model_id in dims:
                    source, target = (model_id, parking[model_id]) if park \
                        else (parking[model_id], model_id)
                    conn.execute(text("UPDATE search_lists SET model_id = :to "
                                      "WHERE model_id = :from"), {"to": target, "from": source})
                parked["now"] = park
        for trigger, how in TRIGGERS.items():
            how = how if name == "with" or args.lists else "DISABLE"
            conn.execute(text(f"ALTER TABLE embeddings {how} TRIGGER {trigger}"))

    def round_of(name: str) -> float:
        with engine.begin() as conn:
            configure(conn, name)
        folder = batches.pop()
        t0 = time.perf_counter()
        catalog.ingest([folder], jobs=1)
        t1 = time.perf_counter()
        with engine.connect() as conn:
            for model_id in model_ids:
                ids = list(conn.execute(text(
                    "SELECT id FROM scans s WHERE NOT EXISTS (SELECT 1 FROM embeddings e "
                    "WHERE e.scan_id = s.id AND e.model_id = :m)"), {"m": model_id}).scalars())
                vectors = rng.standard_normal((len(ids), args.dim)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                conn.rollback()
                # the embed writer's caller computes them beside inference
                ahead = assign_ahead(engine.url, model_id, vectors) if name == "ahead" \
                    else None
                t2 = time.perf_counter()
                with conn.begin():
                    stored = store_vectors(conn, model_id, ids, vectors, ahead)
                    if name == "update":  # the lists handed over, set by an UPDATE
                        conn.execute(text(
                            "UPDATE search_codes c SET list_id = h.list_id FROM "
                            "symcat_new_vectors h WHERE c.scan_id = h.scan_id AND "
                            "c.model_id = h.model_id AND h.list_id IS NOT NULL"))
                    uncommitted_s[name].append(time.perf_counter() - t2)
                embed_s[name].append(time.perf_counter() - t2)
                assert stored == len(ids) == args.files, (stored, len(ids))
                if name == "with":  # the numpy share of it, timed alone
                    held = model_centroids(conn, model_id)
                    conn.rollback()
                    if held is not None:  # (a model has lists only with --lists)
                        t4 = time.perf_counter()
                        assign(vectors, *held)
                        assign_s.append(time.perf_counter() - t4)
        t3 = time.perf_counter()
        ingest_s[name].append(t1 - t0)
        if model:
            summary = embed_catalog(engine, model, workers=0, build_index=False)
            assert summary.embedded == args.files, summary
            full_s[name].append(time.perf_counter() - t3)
        return time.perf_counter() - t0

    with LoadWatch() as load:
        interleave({name: (lambda name=name: round_of(name)) for name in contenders},
                   repeats=args.rounds, load=load)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one()
        if args.lists:
            listed = conn.execute(text(
                "SELECT count(*) FILTER (WHERE list_id IS NULL), count(*) FROM search_codes "
                "WHERE model_id = ANY(:m)"), {"m": list(dims)}).one()
            print(f"codes of the benchmark's models without a list: {listed[0]} of "
                  f"{listed[1]} (the 'without' rounds' rows)")
    what = (f"with = search lists maintained ({args.lists} centroids), without = codes only"
            if args.lists else "with = compact copy maintained, without = triggers off")
    print(f"{args.files} files a round, {args.dim}-d vectors; rows in search_codes: {codes}; "
          f"{what}")
    print("ingest seconds per round:")
    print(describe(ingest_s, baseline="without"))
    print(f"embed write (store_vectors of {args.files} vectors and the commit, one "
          f"transaction; {len(model_ids)} models a round) seconds per write:")
    print(_brief(embed_s))
    print("the same before the commit (the commit's WAL flush varies most) seconds per write:")
    print(_brief(uncommitted_s))
    if assign_s:
        print(f"of which the numpy assignment (timed alone): median "
              f"{1e6 * float(np.median(assign_s)) / args.files:.1f} us a vector")
    if model:
        print(f"embed end to end ({model}) seconds per round:")
        print(describe(full_s, baseline="without"))
    for label, times in (("ingest", ingest_s), ("embed write", embed_s),
                         ("embed write before the commit", uncommitted_s),
                         ("embed end to end", full_s)):
        if not times["with"]:
            continue
        rate = {k: args.files / float(np.median(v)) for k, v in times.items()}
        line = ", ".join(f"{rate[k]:.0f} scans/s {k}" for k in contenders)
        print(f"{label}: {line} (with: rate {100 * (rate['with'] / rate['without'] - 1):+.1f}%)")
    print(load.line())


def _brief(times: dict[str, list[float]]) -> str:
    """`describe` without every run (there are dozens): min, median, ratios to without."""
    from _timing import stats

    base = stats(times["without"])
    lines = []
    for name, seconds in times.items():
        s = stats(seconds)
        line = (f"{name:>13}: min {1e3 * s['min']:.2f} ms, median {1e3 * s['median']:.2f} ms "
                f"({s['n']} writes)")
        if name != "without":
            line += (f"; ratio to without: min {s['min'] / base['min']:.2f}, "
                     f"median {s['median'] / base['median']:.2f}")
        lines.append(line)
    return "\n".join(lines)


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
