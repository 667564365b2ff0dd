"""Build a model's search lists: centroids of its vectors, each code's list, list summaries.

A filter that excludes a query's neighbourhood leaves its passing rows where no graph
search reaches them, and a pass over every passing code costs 0.65 us a row (330 ms for
500k rows). Grouping the codes by nearest centroid (an inverted file, IVF) lets the
pass read only the lists nearest to the query among those a filter can match: the
lists' summaries (`SearchList`, zone maps of the copied columns) rule lists out, and the
table is ordered by list so a list is a few contiguous pages.

About sqrt(N) lists per model, from spherical k-means of a sample of the full vectors;
every vector is then read once (binary COPY, numpy batches) for its nearest centroid.
The build holds a SHARE lock on `search_codes` (writers wait; readers do not) and runs
at migration 0013 and whenever the model's index is built (`symcat.embed.run`).
"""

from __future__ import annotations

import json
import logging
import math
import struct
import time
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from symcat.store.code_levels import RANKING, code_scores, dots, level_step, levels
from symcat.store.models.search_code import LISTED_COLUMNS, MAX_VALUES, RANGED_COLUMNS
from symcat.store.selective_rule import selective_rule

log = logging.getLogger(__name__)

# Fewer vectors than this: no lists (an exact pass over them is cheap).
MIN_ROWS = 1_000
SAMPLE_PER_LIST = 40  # k-means sample: this many vectors per centroid (at most 100k)
MAX_SAMPLE = 100_000
ITERATIONS = 12
BATCH = 20_000  # vectors assigned per numpy batch


def list_count(rows: int) -> int:
    """About sqrt(rows) lists: ~1,000 rows each at 1M, ~450 at 200k."""
    return max(1, round(math.sqrt(rows)))


def build_all_lists(conn: Connection, *, order: bool = True) -> dict[int, int]:
    """Lists for every model with at least MIN_ROWS vectors (the migration's backfill)."""
    models = conn.execute(text(
        "SELECT model_id, count(*) FROM search_codes GROUP BY model_id ORDER BY model_id"
    )).all()
    built = {}
    for model_id, rows in models:
        if rows >= MIN_ROWS:
            built[model_id] = build_lists(conn, model_id, order=False)
    if order and built:
        order_codes(conn)
    return built


def order_codes(conn: Connection) -> None:
    """Rewrite `search_codes` in (model, list) order, so a list is contiguous pages
    (ACCESS EXCLUSIVE while it runs: about a minute at 1M rows)."""
    conn.execute(text("CLUSTER search_codes USING ix_search_codes_model_id_list_id"))
    conn.execute(text("ANALYZE search_codes"))


def build_lists(conn: Connection, model_id: int, *, order: bool = True, seed: int = 0) -> int:
    """(Re)build one model's lists inside `conn`'s transaction; returns their count
    (0: too few vectors, and the model's lists are removed: every row is scanned)."""
    started = time.perf_counter()
    conn.execute(text("LOCK TABLE search_codes IN SHARE MODE"))
    ids, vectors = read_vectors(conn, model_id)
    conn.execute(text("DELETE FROM search_lists WHERE model_id = :m"), {"m": model_id})
    if len(ids) < MIN_ROWS:
        conn.execute(text("UPDATE search_codes SET list_id = NULL WHERE model_id = :m "
                          "AND list_id IS NOT NULL"), {"m": model_id})
        return 0
    # as stored (halfvec), so that the rows' lists are the stored centroids' nearest,
    # which the writers assign new vectors to (symcat.store.list_assignment)
    centroids = kmeans(vectors, list_count(len(ids)), np.random.default_rng(seed)) \
        .astype(np.float16).astype(np.float32)
    assigned = nearest_in_batches(vectors, centroids)
    write_assignment(conn, model_id, ids, assigned)
    _write_lists(conn, model_id, centroids)
    record = stop_rule(vectors, centroids, assigned, np.random.default_rng(seed + 1))
    record["selective"] = selective_rule(vectors, np.random.default_rng(seed + 2))
    _store_stop_rule(conn, model_id, record)
    if order:
        order_codes(conn)
    log.info("model %s: %s search lists over %s vectors in %.1f s", model_id,
             len(centroids), len(ids), time.perf_counter() - started)
    return len(centroids)


def measure_stop_rule(conn: Connection, model_id: int, seed: int = 0) -> dict[str, Any]:
    """Measure (again) the stop rule and the selective rule of a model whose lists
    exist, without rebuilding them: its vectors are read and assigned to the stored
    centroids in numpy."""
    read = assigned_vectors(conn, model_id)
    if read is None:
        return {}
    vectors, centroids, assigned = read
    record = stop_rule(vectors, centroids, assigned, np.random.default_rng(seed + 1))
    record["selective"] = selective_rule(vectors, np.random.default_rng(seed + 2))
    _store_stop_rule(conn, model_id, record)
    return record


def stored_centroids(conn: Connection, model_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(list ids, centroids as float32) of the model's lists in list order; empty when
    it has none. Read in binary (a halfvec: int16 dim, int16 unused, dim big-endian
    halves): pgvector's text parsing took 150 ms for 1,000 centroids of 1,024-d, the first
    filtered search of every process (the zone maps) and every writer's first batch."""
    raw = conn.connection.driver_connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute("SELECT list_id, centroid FROM search_lists WHERE model_id = %s "
                       "ORDER BY list_id", (model_id,))
        rows = cursor.fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int32)
    if not rows:
        return ids, np.empty((0, 0), np.float32)
    dim = struct.unpack(">h", bytes(rows[0][1][:2]))[0]
    halves = b"".join(bytes(r[1][4:]) for r in rows)
    if len(halves) != 2 * dim * len(rows):
        raise ValueError(f"model {model_id}: search list centroids of mixed dimensions")
    return ids, np.frombuffer(halves, ">f2").reshape(len(rows), dim).astype(np.float32)


def assigned_vectors(conn: Connection, model_id: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The model's vectors, its stored centroids and each vector's nearest one."""
    ids, stored = stored_centroids(conn, model_id)
    if not len(ids):
        return None
    centroids = _unit(stored)
    _, vectors = read_vectors(conn, model_id)
    assigned = nearest_in_batches(vectors, centroids)
    return vectors, centroids, assigned


# Every vector of a model; or only those whose code has no list yet (`unlisted`).
_VECTORS = "SELECT scan_id, vector FROM embeddings WHERE model_id = %s"
_UNLISTED = ("SELECT e.scan_id, e.vector FROM search_codes c JOIN embeddings e "
             "USING (scan_id, model_id) WHERE c.model_id = %s AND c.list_id IS NULL")


def read_vectors(conn: Connection, model_id: int, *, unlisted: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Every (scan id, vector) of the model (`unlisted`: of its codes without a list):
    ids as 16-byte rows, vectors as float16, parsed from one binary COPY (fixed-size
    rows: uuid and halfvec of one dimension)."""
    raw = conn.connection.driver_connection
    buffer = bytearray()
    with raw.cursor() as cursor, cursor.copy(
            f"COPY ({_UNLISTED if unlisted else _VECTORS}) TO STDOUT (FORMAT BINARY)",
            (model_id,)) as copy:
        for data in copy:
            buffer += data
    header = 11 + 4 + 4 + struct.unpack(">I", buffer[15:19])[0]
    body = memoryview(buffer)[header:-2]  # the trailer: a field count of -1
    if not body:
        return np.empty((0, 16), np.uint8), np.empty((0, 0), np.float16)
    # row: int16 fields, int32 16, uuid, int32 length, int16 dim, int16 unused, dim x half
    length = struct.unpack(">i", bytes(body[22:26]))[0]
    dim = (length - 4) // 2
    row = np.dtype([("fields", ">i2"), ("ulen", ">i4"), ("id", "V16"), ("vlen", ">i4"),
                    ("dim", ">i2"), ("unused", ">i2"), ("v", ">f2", (dim,))])
    rows = np.frombuffer(body, dtype=row)
    return (np.frombuffer(rows["id"].tobytes(), np.uint8).reshape(-1, 16),
            rows["v"].astype(np.float16))


def kmeans(vectors: np.ndarray, lists: int, rng: np.random.Generator) -> np.ndarray:
    """Spherical k-means (cosine) of a sample: `lists` unit centroids as float32."""
    size = min(len(vectors), max(lists * SAMPLE_PER_LIST, min(MAX_SAMPLE, len(vectors))))
    sample = _unit(vectors[np.sort(rng.choice(len(vectors), size, replace=False))]
                   .astype(np.float32))
    centroids = sample[rng.choice(len(sample), lists, replace=False)]
    for _ in range(ITERATIONS):
        labels = nearest(sample, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, sample)
        empty = np.linalg.norm(sums, axis=1) == 0
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()))]  # reseed
        centroids = _unit(sums)
    return centroids


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (largest dot product) of each vector."""
    return np.argmax(vectors.astype(np.float32) @ centroids.T, axis=1).astype(np.int32)


def nearest_in_batches(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """`nearest`, BATCH vectors at a time (1M x 1,000 products at once would hold 4 GB):
    how a build, the rules' simulation and the writers assign vectors to lists."""
    if len(vectors) == 0:
        return np.empty(0, np.int32)
    return np.concatenate([nearest(vectors[s:s + BATCH], centroids)
                           for s in range(0, len(vectors), BATCH)])


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def write_assignment(conn: Connection, model_id: int, ids: np.ndarray, lists: np.ndarray,
                     *, widen: bool = False) -> None:
    """Each code's list id, through a temporary table (one UPDATE, not one per row); the
    widening trigger is off meanwhile unless `widen` (a build computes the summaries
    afterwards; assigning into existing lists must widen theirs)."""
    import uuid

    conn.execute(text("CREATE TEMP TABLE search_list_assignment (scan_id uuid, list_id int) "
                      "ON COMMIT DROP"))
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            "COPY search_list_assignment FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["uuid", "int4"])
        for scan_id, list_id in zip(ids, lists.tolist(), strict=True):
            copy.write_row((uuid.UUID(bytes=scan_id.tobytes()), list_id))
    if not widen:
        conn.execute(text("ALTER TABLE search_codes DISABLE TRIGGER "
                          "symcat_search_list_widen_update"))
    conn.execute(text("""
        UPDATE search_codes c SET list_id = a.list_id FROM search_list_assignment a
         WHERE c.model_id = :m AND c.scan_id = a.scan_id
           AND c.list_id IS DISTINCT FROM a.list_id"""), {"m": model_id})
    if not widen:
        conn.execute(text("ALTER TABLE search_codes ENABLE ALWAYS TRIGGER "
                          "symcat_search_list_widen_update"))
    conn.execute(text("DROP TABLE search_list_assignment"))


def _write_lists(conn: Connection, model_id: int, centroids: np.ndarray) -> None:
    """The centroids, with the exact summary of the rows now in each list."""
    summary = ", ".join(
        [f"min(c.{col}) AS min_{col}, max(c.{col}) AS max_{col}" for col in RANGED_COLUMNS]
        + [f"CASE WHEN count(DISTINCT c.{col}) > {MAX_VALUES} THEN NULL ELSE "
           f"coalesce(array_agg(DISTINCT c.{col}::text) FILTER (WHERE c.{col} IS NOT NULL), "
           f"'{{}}') END AS {col}s" for col in LISTED_COLUMNS])
    names = [*(f"{e}_{col}" for col in RANGED_COLUMNS for e in ("min", "max")),
             *(f"{col}s" for col in LISTED_COLUMNS)]
    conn.execute(text("CREATE TEMP TABLE search_list_centroids (list_id int, centroid text) "
                      "ON COMMIT DROP"))
    params: list[dict[str, Any]] = [
        {"l": i, "c": "[" + ",".join(f"{x:.5g}" for x in c) + "]"}
        for i, c in enumerate(centroids.tolist())]
    conn.execute(text("INSERT INTO search_list_centroids VALUES (:l, :c)"), params)
    conn.execute(text(f"""
        INSERT INTO search_lists (model_id, list_id, centroid, centroid_code, rows,
                                  built_at, {", ".join(names)})
        SELECT :m, t.list_id, t.centroid::halfvec, symcat_search_code(t.centroid::halfvec),
               coalesce(s.n, 0), clock_timestamp(),
               {", ".join(f"s.{n}" if n.endswith("s") is False else f"coalesce(s.{n}, "
                          f"CASE WHEN s.n IS NULL THEN '{{}}'::text[] END)" for n in names)}
          FROM search_list_centroids t LEFT JOIN (
               SELECT c.list_id, count(*) AS n, {summary} FROM search_codes c
                WHERE c.model_id = :m GROUP BY c.list_id) s USING (list_id)"""),
                 {"m": model_id})
    conn.execute(text("DROP TABLE search_list_centroids"))


# -- the stop rule, measured on the model's own vectors --------------------------------
# Passing rows read and code candidates re-ranked, tried in this order of cost (a code
# read costs ~0.6 us, a re-ranked candidate ~6 us at 1M: cost ~ rows + 10 x candidates).
ROWS_TRIED = (2_000, 5_000, 10_000, 20_000, 40_000)
CANDIDATES_TRIED = (200, 400, 800, 1_600, 2_500)
TARGET_RECALL = 0.97
QUERIES = 16
# The hard case: a filter that rules out the query's nearest lists holding this share
# of the rows (its neighbourhood), like a correlated filter excluding its cluster.
FAR_SHARES = (0.02, 0.1)
# Where the target is never reached: the widest pair tried.
WIDEST = (ROWS_TRIED[-1], CANDIDATES_TRIED[-1])


def stop_rule(vectors: np.ndarray, centroids: np.ndarray, assigned: np.ndarray,
              rng: np.random.Generator) -> dict[str, Any]:
    """The cheapest (rows, candidates) whose simulated listed pass (`simulate_listed`)
    reaches TARGET_RECALL recall@10 on sample queries, unfiltered ("near") and with the
    query's nearest lists ruled out ("far")."""
    n = len(vectors)
    recalls = simulate_listed(vectors, centroids, assigned, rng)
    record: dict[str, Any] = {"queries": min(QUERIES, n), "target": TARGET_RECALL,
                              "ranking": RANKING}
    for case, mean in recalls.items():
        good = [key for key, r in mean.items() if r >= TARGET_RECALL]
        rows_read, candidates = min(good, key=lambda key: key[0] + 10 * key[1]) \
            if good else WIDEST
        record[case] = {"rows": rows_read, "candidates": candidates,
                        "recall": round(mean[(rows_read, candidates)], 3)}
    return record


def simulate_listed(vectors: np.ndarray, centroids: np.ndarray, assigned: np.ndarray,
                    rng: np.random.Generator, rows_tried: tuple[int, ...] = ROWS_TRIED,
                    candidates_tried: tuple[int, ...] = CANDIDATES_TRIED,
                    queries: int = QUERIES) -> dict[str, dict[tuple[int, int], float]]:
    """{"near"|"far": {(rows read, candidates): mean recall@10}} of the listed pass
    simulated in numpy exactly as SQL runs it: lists nearest first until the rows are
    read, ranked by code as the SQL ranks them (`symcat.store.code_levels.code_scores`),
    the candidates re-ranked exactly; "far" with the query's nearest lists holding
    FAR_SHARES of the rows ruled out."""
    n, dim = vectors.shape
    level = level_step(dim)
    rows = np.bincount(assigned, minlength=len(centroids))
    members = np.argsort(assigned, kind="stable")
    starts = np.concatenate([[0], np.cumsum(rows)])
    recalls: dict[str, dict[tuple[int, int], list[float]]] = {"near": {}, "far": {}}
    for index in rng.choice(n, min(queries, n), replace=False).tolist():
        q = vectors[index].astype(np.float32)
        order = np.argsort(-(centroids @ q))
        to_query = dots(vectors, q)
        to_query[index] = -np.inf  # the query itself
        for case, shares in (("near", (0.0,)), ("far", FAR_SHARES)):
            for share in shares:
                ruled_out = np.searchsorted(np.cumsum(rows[order]), share * n, side="right") \
                    if share else 0
                possible = order[ruled_out:]
                passing = np.concatenate([members[starts[c]:starts[c + 1]] for c in possible])
                truth = set(passing[np.argsort(-to_query[passing])[:10]].tolist())
                for limit in rows_tried:
                    read = int(np.searchsorted(np.cumsum(rows[possible]), limit)) + 1
                    pool = passing[:int(np.sum(rows[possible][:read]))]  # whole lists
                    codes = code_scores(levels(vectors[pool].astype(np.float32), level), q)
                    ranked = pool[np.argsort(codes, kind="stable")]
                    for c in candidates_tried:
                        found = len(truth & set(ranked[:c].tolist())) / max(1, len(truth))
                        recalls[case].setdefault((limit, c), []).append(found)
    return {case: {key: float(np.mean(v)) for key, v in measured.items()}
            for case, measured in recalls.items()}


def _store_stop_rule(conn: Connection, model_id: int, record: dict[str, Any]) -> None:
    conn.execute(text("UPDATE embedding_models SET config = coalesce(config, '{}'::jsonb) "
                      "|| jsonb_build_object('lists', CAST(:r AS jsonb)) WHERE id = :m"),
                 {"r": json.dumps(record), "m": model_id})
