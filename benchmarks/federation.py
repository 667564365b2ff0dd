"""Federation on one machine: two embedded labs and a hub, replication measured.

    nice -n 10 python benchmarks/federation.py                  # quick: 1,000-scan outage
    nice -n 10 python benchmarks/federation.py --outage-n 10000 # the issue's catch-up size
    python benchmarks/federation.py --outage-n 10000 --hub-lists 1000  # + lists at the hub

Prints, with the load average before and after (figures above 1.5 are marked busy):
* freshness: commit of one ingested file at the lab -> its scan queryable at the hub,
  p50/p95 over `--fresh` files (the issue's target: p95 <= 5 s on localhost);
* replication throughput, scans/s with pixels and vectors, against the lab's own ingest
  rate, interleaved: each round ingests a batch with the hub's subscription paused
  (lab rate), then resumes it and times the hub catching up (replication rate);
* catch-up after an outage: the subscription paused (the lab keeps the WAL) while
  `--outage-n` scans with a 128x128 channel and a 1024-d vector are written at the lab
  by SQL, then the time until all are at the hub;
* kNN latency at the hub (both labs' vectors) against the same query at one lab,
  interleaved.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

MODEL = "bench.federation"
DIM = 1024


def load() -> float:
    return os.getloadavg()[0]


def mark(value: float) -> str:
    return " (busy)" if value > 1.5 else ""


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def wait(engine: Engine, sql: str, expected: int, timeout: float = 900.0,
         poll: float = 0.02, **params: object) -> float:
    """Seconds until `sql` returns `expected` at `engine`."""
    started = time.perf_counter()
    while int(scalar(engine, sql, **params) or 0) != expected:  # type: ignore[arg-type]
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{sql} did not reach {expected} in {timeout} s")
        time.sleep(poll)
    return time.perf_counter() - started


def add_vectors(engine: Engine, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": MODEL, "d": DIM}).scalar_one()
        ids = conn.execute(text("SELECT id FROM scans WHERE id NOT IN (SELECT scan_id FROM "
                                "embeddings)")).scalars().all()
        rows = []
        for scan_id in ids:
            v = rng.standard_normal(DIM)
            rows.append({"s": scan_id, "m": model_id, "v": str((v / np.linalg.norm(v)).tolist())})
        if rows:
            conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                              "VALUES (:s, :m, CAST(:v AS halfvec))"), rows)


BULK = """
WITH made AS (
  SELECT g, lpad(to_hex(g + :offset), 64, '0') AS sha, gen_random_uuid() AS id
  FROM generate_series(1, :n) AS g
), originals AS (
  INSERT INTO original_files (file_sha256, size_bytes, content, shared)
  SELECT sha, 0, '\\x', false FROM made
), scans AS (
  INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, site,
      instrument, source_path, file_name, file_size_bytes, imaging_mode, channel_names,
      document, sample_name, scan_size_x_m, shared, share_channels, share_embeddings)
  SELECT id, sha, 'image', 'b', 'b', :site, 'bench-pc', 'bulk/' || (g + :offset),
      'bulk' || (g + :offset) || '.ibw',
      0, 'dart_pfm', '{Height}', '{}', 'S-' || (g % 17), 1e-6 * (1 + g % 5), true, true, true
  FROM made RETURNING id
)
SELECT count(*) FROM scans
"""
BULK_CHILDREN = """
INSERT INTO channels (scan_id, index, name, quantity, unit, nan_fraction, shape, pixels_u16,
                      shared)
SELECT s.id, 0, 'Height', 'height', 'm', 0, '{128,128}',
       decode(repeat(md5(s.id::text), 2048), 'hex'), true  -- 32 KB: 128x128 uint16
FROM scans s WHERE s.source_path LIKE 'bulk/%' AND NOT EXISTS
  (SELECT 1 FROM channels c WHERE c.scan_id = s.id);
INSERT INTO embeddings (scan_id, model_id, vector, shared)
SELECT s.id, :model, (SELECT array_agg(random() - 0.5) FROM generate_series(1, :dim)
                      WHERE s.id IS NOT NULL)::halfvec, true
FROM scans s WHERE s.source_path LIKE 'bulk/%' AND NOT EXISTS
  (SELECT 1 FROM embeddings e WHERE e.scan_id = s.id);
"""


def bulk_scans(engine: Engine, n: int, site: str, offset: int) -> None:
    """`n` shared scans, each with one 128x128 channel and a 1024-d vector, by SQL."""
    with engine.begin() as conn:
        conn.execute(text(BULK), {"n": n, "site": site, "offset": offset})
        model = conn.execute(text("SELECT id FROM embedding_models WHERE name = :n"),
                             {"n": MODEL}).scalar_one()
        for statement in BULK_CHILDREN.split(";"):
            if statement.strip():
                conn.execute(text(statement), {"model": model, "dim": DIM})


def set_subscription(hub: Engine, sub: str, enabled: bool) -> None:
    """Pause (the lab's slot keeps the WAL, as when the hub is down) or resume a lab."""
    with hub.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f"ALTER SUBSCRIPTION {sub} {'ENABLE' if enabled else 'DISABLE'}"))


def timed_outage(lab: Engine, hub: Engine, sub: str, n: int, offset: int
                 ) -> tuple[float, object]:
    """`n` scans written at the lab while the hub's subscription is paused; seconds until
    the hub holds all of them with their vectors once resumed, and the WAL kept meanwhile."""
    set_subscription(hub, sub, False)
    bulk_scans(lab, n, "lab-a", offset)
    expected = int(scalar(lab, "SELECT count(*) FROM scans WHERE shared"))  # type: ignore[arg-type]
    retained = scalar(lab, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) "
                           "FROM pg_replication_slots WHERE slot_name = :s", s=sub)
    vectors = int(scalar(lab, "SELECT count(*) FROM embeddings"))  # type: ignore[arg-type]
    set_subscription(hub, sub, True)
    started = time.perf_counter()
    wait(hub, "SELECT count(*) FROM scans WHERE site = 'lab-a'", expected, poll=0.1)
    wait(hub, "SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id "
              "WHERE s.site = 'lab-a'", vectors, poll=0.1)
    return time.perf_counter() - started, retained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", type=int, default=40, help="files for freshness")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--batch", type=int, default=100, help="files per throughput round")
    parser.add_argument("--outage-n", type=int, default=1000, help="scans during the outage")
    parser.add_argument("--hub-lists", type=int, default=0, metavar="LISTS",
                        help="then a second outage of the same size once the hub has this "
                             "many search lists (1,000 as at 1M vectors), each replicated "
                             "vector's list looked up by the hub's trigger")
    parser.add_argument("--other-lab-n", type=int, default=2000,
                        help="scans with vectors at the second lab (kNN at the hub)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--points", type=int, default=128, help="pixels per side of files")
    args = parser.parse_args()

    from symcat.config import Settings
    from symcat.federation import hub as hub_mod
    from symcat.federation import lab as lab_mod
    from symcat.federation import rules
    from symcat.ingest.synth.dataset import generate_dataset
    from symcat.pipeline import ingest_file, site_config
    from symcat.query.knn import find_model, knn
    from symcat.store import network as net
    from symcat.store.engine import get_engine, stop_embedded

    load_before = load()
    work = Path(tempfile.mkdtemp(prefix="symcat-bench-fed-"))
    names = ("lab-a", "lab-b", "hub")
    settings = {name: Settings(data_dir=work / name, site=name, instrument=f"{name}-pc")
                for name in names}
    try:
        for name in names:
            net.enable(work / name / "pgdata")
        engines = {name: get_engine(s) for name, s in settings.items()}
        lab, other, hub = engines["lab-a"], engines["lab-b"], engines["hub"]
        for name in ("lab-a", "lab-b"):
            rules.set_rule(engines[name], "all", "site ~ lab", share=["pixels", "embeddings"])
        add_vectors(lab, 0)
        with other.begin() as conn:
            conn.execute(text("INSERT INTO embedding_models (name, family, dim, config) "
                              "VALUES (:n, :n, :d, '{}')"), {"n": MODEL, "d": DIM})
        bulk_scans(other, args.other_lab_n, "lab-b", 10**9)
        urls = {n: lab_mod.prepare_lab(settings[n]).url for n in ("lab-a", "lab-b")}
        hub = lab_mod.prepare_server(settings["hub"])[0]
        for name, url in urls.items():
            hub_mod.add_lab(hub, url, name=name)
        wait(hub, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'", 0)
        sub = "symcat_lab_lab_a"

        files = work / "files"
        total = args.fresh + args.rounds * args.batch
        print(f"generating {total} files ({args.points}x{args.points}) ...", flush=True)
        generate_dataset(files, total, seed=1, points=args.points, jobs=2)
        paths = sorted(files.rglob("*.ibw"))
        site = site_config(settings["lab-a"])

        # -- freshness -----------------------------------------------------------------
        fresh = []
        for path in paths[:args.fresh]:
            outcome = ingest_file(lab, path, site)  # returns after its commit
            committed = time.perf_counter()
            wait(hub, "SELECT count(*) FROM scans WHERE id = :i", 1, poll=0.01,
                 i=outcome.scan_id)
            fresh.append(time.perf_counter() - committed)
        fresh.sort()
        p50, p95 = statistics.median(fresh), fresh[int(0.95 * (len(fresh) - 1))]

        # -- throughput, interleaved ---------------------------------------------------
        lab_rates, repl_rates = [], []
        rest = paths[args.fresh:]
        for r in range(args.rounds):
            batch = rest[r * args.batch:(r + 1) * args.batch]
            set_subscription(hub, sub, False)
            started = time.perf_counter()
            for path in batch:
                ingest_file(lab, path, site)
            add_vectors(lab, r + 1)
            lab_rates.append(len(batch) / (time.perf_counter() - started))
            expected = int(scalar(lab, "SELECT count(*) FROM embeddings"))  # type: ignore[arg-type]
            set_subscription(hub, sub, True)
            seconds = wait(hub, "SELECT count(*) FROM embeddings e JOIN scans s ON "
                                "s.id = e.scan_id WHERE s.site = 'lab-a'", expected, poll=0.05)
            repl_rates.append(len(batch) / seconds)

        # -- catch-up after an outage --------------------------------------------------
        catch_up_all, retained = timed_outage(lab, hub, sub, args.outage_n, 0)
        if args.hub_lists:  # the same outage again, with search lists at the hub
            import symcat.store.search_lists as search_lists

            search_lists.list_count = lambda rows: args.hub_lists
            with hub.begin() as conn:
                model_id = conn.execute(text("SELECT id FROM embedding_models WHERE name = :n"),
                                        {"n": MODEL}).scalar_one()
                built = search_lists.build_lists(conn, model_id)
            catch_up_lists, _ = timed_outage(lab, hub, sub, args.outage_n, 10**8)
            unlisted = scalar(hub, "SELECT count(*) FROM search_codes WHERE list_id IS NULL")

        # -- kNN latency, interleaved --------------------------------------------------
        rng = np.random.default_rng(5)
        at_hub, at_lab = [], []
        with hub.connect() as hconn, lab.connect() as lconn:
            hmodel, lmodel = find_model(hconn, MODEL), find_model(lconn, MODEL)
            for _ in range(args.queries):
                q = rng.standard_normal(DIM).astype(np.float32)
                for conn, model, sink in ((hconn, hmodel, at_hub), (lconn, lmodel, at_lab)):
                    started = time.perf_counter()
                    found, _ = knn(conn, model, q, 10)
                    sink.append(time.perf_counter() - started)
                    assert len(found) == 10
            hub_rows = scalar(hub, "SELECT count(*) FROM embeddings")
            lab_rows = scalar(lab, "SELECT count(*) FROM embeddings")
        load_after = load()
        busy = mark(max(load_before, load_after))
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores; "
              f"load average before {load_before:.2f}, after {load_after:.2f}{busy}")
        print(f"freshness, {len(fresh)} files of {args.points}x{args.points}: "
              f"p50 {p50:.3f} s, p95 {p95:.3f} s, max {fresh[-1]:.3f} s{busy}")
        print(f"throughput, {args.rounds} rounds of {args.batch} files with pixels and "
              f"{DIM}-d vectors: lab ingest {statistics.median(lab_rates):.1f} scans/s, "
              f"replication {statistics.median(repl_rates):.1f} scans/s, ratio "
              f"{statistics.median(repl_rates) / statistics.median(lab_rates):.2f}{busy}")
        print(f"catch-up after an outage of {args.outage_n} scans (128x128 channel, {DIM}-d "
              f"vector; {int(retained or 0) / 1e6:.0f} MB of WAL kept at the lab): "
              f"{catch_up_all:.1f} s, {args.outage_n / catch_up_all:.0f} scans/s{busy}")
        if args.hub_lists:
            print(f"catch-up of another {args.outage_n} scans with {built} search lists at "
                  f"the hub: {catch_up_lists:.1f} s, {args.outage_n / catch_up_lists:.0f} "
                  f"scans/s (ratio of seconds to the outage without lists "
                  f"{catch_up_lists / catch_up_all:.2f}; codes left without a list: "
                  f"{unlisted}){busy}")
        print(f"kNN k=10, {args.queries} queries: hub ({hub_rows} vectors, 2 labs) p50 "
              f"{1e3 * statistics.median(at_hub):.1f} ms, lab ({lab_rows} vectors) p50 "
              f"{1e3 * statistics.median(at_lab):.1f} ms, ratio "
              f"{statistics.median(at_hub) / statistics.median(at_lab):.2f}{busy}")
    finally:
        for name in names:
            stop_embedded(work / name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
