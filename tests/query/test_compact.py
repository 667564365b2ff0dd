"""The compact search copy (issue 16): kept in step with the vectors by every writer, and
the compact pass answers as an exact search does, under filters of every selectivity."""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, select, text

import symcat.query.knn
from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.extractors import center_normalize
from symcat.embed.run import ensure_index
from symcat.query.compact import calibrate_compact, code_distance, reads_codes_only
from symcat.query.expr import scan_conditions
from symcat.query.knn import StoredModel, find_model, knn
from symcat.store import migrate
from symcat.store.code_levels import code_scores, level_step, levels
from symcat.store.engine import get_engine
from symcat.store.models import SearchCode

N, DIM, CLUSTERS = 2000, 48, 20

# Rows of search_codes that disagree with what the vectors and scans say, and vectors
# without a row: both must stay empty whoever writes.
DISAGREEING = """
SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id
  FULL JOIN search_codes c ON c.scan_id = e.scan_id AND c.model_id = e.model_id
 WHERE e.scan_id IS NULL OR c.scan_id IS NULL
    OR c.code IS DISTINCT FROM symcat_search_code(e.vector)
    OR (c.site, c.imaging_mode, c.sample_name, c.acquired_at, c.scan_size_x_m,
        c.drive_frequency_hz)
       IS DISTINCT FROM (s.site, s.imaging_mode, s.sample_name, s.acquired_at,
                         s.scan_size_x_m, s.drive_frequency_hz)
"""


def disagreeing(conn: Connection) -> int:
    return int(conn.execute(text(DISAGREEING)).scalar_one())


def add_scans(conn: Connection, n: int, dim: int, seed: int = 0, name: str = "test.compact"
              ) -> tuple[int, list[uuid.UUID], np.ndarray, np.ndarray]:
    """Metadata-only scans with clustered vectors of one model; drive_frequency_hz holds
    cluster + uniform (correlated with the vectors), scan_size_x_m a uniform draw."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, dim)) * 1.5
    labels = rng.integers(0, CLUSTERS, n)
    vectors = center_normalize(centres[labels] + rng.standard_normal((n, dim))).astype(
        np.float32)
    model_id = conn.execute(text(
        "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
        "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim, config = '{}' RETURNING id"),
        {"n": name, "d": dim}).scalar_one()
    ids = [uuid.uuid4() for _ in range(n)]
    conn.execute(text("INSERT INTO original_files (file_sha256, size_bytes, content) "
                      "VALUES (:sha, 0, '\\x') ON CONFLICT DO NOTHING"),
                 [{"sha": i.hex * 2} for i in ids])
    conn.execute(text(
        "INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, site, "
        "instrument, source_path, file_name, file_size_bytes, imaging_mode, channel_names, "
        "document, drive_frequency_hz, scan_size_x_m, sample_name) VALUES (:id, :sha, 'image', "
        "'t', 't', :site, 't', 't', 't', 0, 'dart_pfm', '{}', '{}', :c, :u, :sample)"),
        [{"id": i, "sha": i.hex * 2, "site": f"lab{j % 3}", "c": float(c) + float(u2),
          "u": float(u), "sample": f"S{c}"} for j, (i, c, u, u2) in enumerate(zip(
              ids, labels, rng.random(n), rng.random(n), strict=True))])
    conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
                 [{"s": i, "m": model_id, "v": str(v.tolist())}
                  for i, v in zip(ids, vectors, strict=True)])
    conn.execute(text("ANALYZE scans"))
    conn.execute(text("ANALYZE embeddings"))
    conn.execute(text("ANALYZE search_codes"))
    return model_id, ids, vectors, centres


def test_code_is_the_quartile_level_of_each_coordinate(catalog: Catalog) -> None:
    rng = np.random.default_rng(1)
    v = center_normalize(rng.standard_normal((1, 64)))[0].astype(np.float16).astype(np.float32)
    with catalog.engine.connect() as conn:
        bits = conn.execute(text("SELECT symcat_search_code(CAST(:v AS halfvec))::text"),
                            {"v": str(v.tolist())}).scalar_one()
    t = 0.674 / np.sqrt(64)
    expected = np.concatenate([v > t, v > 0, v > -t])
    assert bits == "".join("1" if b else "0" for b in expected)
    # Hamming distance of the codes = L1 distance between the levels (0..3).
    levels = lambda x: (x > t).astype(int) + (x > 0) + (x > -t)  # noqa: E731
    assert int(np.sum(expected != np.concatenate([-v > t, -v > 0, -v > -t]))) == int(
        np.abs(levels(v) - levels(-v)).sum())


def test_sql_code_distance_ranks_rows_as_the_simulations_do(catalog: Catalog) -> None:
    """The passes' SQL ranking (`code_distance`: Hamming distances to the query's bit
    planes) orders rows exactly as `code_scores` does on the stored codes' levels, which
    sizes their rules in numpy, and is not the Hamming distance between the two codes."""
    with catalog.engine.begin() as conn:
        _, ids, vectors, _ = add_scans(conn, 400, DIM, seed=3)
        stored = np.asarray(vectors, dtype=np.float16).astype(np.float32)
        row = {scan_id: i for i, scan_id in enumerate(ids)}
        for q in (stored[0], center_normalize(np.random.default_rng(4).standard_normal(
                (1, DIM)))[0].astype(np.float32)):
            sql = conn.execute(select(SearchCode.scan_id, SearchCode.code,
                                      code_distance(SearchCode.code, q))).all()
            by_sql, code_levels = np.empty(len(ids)), np.empty((len(ids), DIM))
            for scan_id, code, distance in sql:
                by_sql[row[scan_id]] = distance
                code_levels[row[scan_id]] = np.array([b == "1" for b in code]).reshape(
                    3, DIM).sum(axis=0)  # thermometer bits -> level 0..3
            by_numpy = code_scores(code_levels, q)
            # the same order: an increasing affine map of one another
            slope, offset = np.polyfit(by_numpy, by_sql, 1)
            assert slope > 0
            assert np.allclose(by_sql, slope * by_numpy + offset, atol=1e-6 * np.ptp(by_sql))
            # numpy's levels of the vectors are the codes' (but for rounding at a boundary)
            assert np.mean(levels(stored, level_step(DIM)) == code_levels) > 0.995
            hamming = np.abs(code_levels - levels(q[None], level_step(DIM))[0]).sum(axis=1)
            assert not np.array_equal(np.argsort(hamming, kind="stable")[:20],
                                      np.argsort(by_numpy, kind="stable")[:20])


def test_copy_follows_inserts_reembedding_updates_and_deletes(catalog: Catalog) -> None:
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 300, 32)
        assert conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one() == 300
        assert disagreeing(conn) == 0
        # re-embedding: new vectors for some scans
        conn.execute(text("UPDATE embeddings SET vector = CAST(:v AS halfvec) "
                          "WHERE scan_id = :s AND model_id = :m"),
                     [{"v": str((-vectors[i]).tolist()), "s": ids[i], "m": model_id}
                      for i in range(20)])
        # edited metadata, and an edit of a column the copy does not hold
        conn.execute(text("UPDATE scans SET sample_name = 'renamed', acquired_at = now(), "
                          "drive_frequency_hz = -1 WHERE id = ANY(:ids)"), {"ids": ids[20:40]})
        conn.execute(text("UPDATE scans SET material = 'PZT' WHERE id = ANY(:ids)"),
                     {"ids": ids[40:60]})
        assert disagreeing(conn) == 0
        # deletes: a vector, a scan (cascades), a model's vectors re-made from scratch
        conn.execute(text("DELETE FROM embeddings WHERE scan_id = ANY(:ids)"),
                     {"ids": ids[60:70]})
        conn.execute(text("DELETE FROM scans WHERE id = ANY(:ids)"), {"ids": ids[70:80]})
        assert conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one() == 280
        assert disagreeing(conn) == 0
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": ids[i], "m": model_id, "v": str(vectors[i].tolist())}
                      for i in range(60, 70)])
        assert disagreeing(conn) == 0


def test_copy_follows_replicated_writes(catalog: Catalog) -> None:
    """A hub's apply workers run as session_replication_role = replica, where foreign keys
    do not cascade and only ALWAYS/REPLICA triggers fire: the copy still follows."""
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 50, 16)
        conn.execute(text("DELETE FROM embeddings WHERE scan_id = ANY(:ids)"), {"ids": ids[:10]})
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": ids[i], "m": model_id, "v": str(vectors[i].tolist())}
                      for i in range(5)])
        conn.execute(text("DELETE FROM embeddings WHERE scan_id = ANY(:ids)"),
                     {"ids": ids[10:20]})
        conn.execute(text("UPDATE scans SET site = 'elsewhere' WHERE id = ANY(:ids)"),
                     {"ids": ids[20:30]})
        assert conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one() == 35
        assert disagreeing(conn) == 0


def test_migration_backfills_an_existing_catalog(fresh_database_url: str) -> None:
    engine: Engine = get_engine(Settings(database_url=fresh_database_url), upgrade=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    before = script.get_revision("0012").down_revision
    migrate.upgrade(engine, str(before))
    with engine.begin() as conn:
        assert conn.execute(text("SELECT to_regclass('search_codes')")).scalar() is None
        rng = np.random.default_rng(2)
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) "
            "VALUES ('old', 'old', 8, '{}') RETURNING id")).scalar_one()
        ids = [uuid.uuid4() for _ in range(40)]
        for i in ids:
            conn.execute(text(
                "INSERT INTO original_files (file_sha256, size_bytes, content) "
                "VALUES (:sha, 0, '\\x')"), {"sha": i.hex * 2})
            conn.execute(text(
                "INSERT INTO scans (id, file_sha256, record_kind, schema_version, "
                "parser_version, site, instrument, source_path, file_name, file_size_bytes, "
                "imaging_mode, channel_names, document, scan_size_x_m) VALUES (:id, :sha, "
                "'image', 't', 't', 'old-lab', 't', 't', 't', 0, 'pfm', '{}', '{}', 1e-6)"),
                {"id": i, "sha": i.hex * 2})
            conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                              "VALUES (:s, :m, :v)"),
                         {"s": i, "m": model_id, "v": str(rng.standard_normal(8).tolist())})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_codes")).scalar_one() == 40
        assert disagreeing(conn) == 0


@pytest.fixture(scope="module")
def clustered(server_url: str) -> tuple[Catalog, StoredModel, np.ndarray]:
    """One catalog for the tests below (built once: graph, probe width, compact costs)."""
    catalog = Catalog(settings=Settings(database_url=server_url))
    with catalog.engine.begin() as conn:
        conn.execute(text("TRUNCATE channels, scans, original_files, refusals CASCADE"))
        model_id, _, _, centres = add_scans(conn, N, DIM, seed=3)
    ensure_index(catalog.engine, model_id, DIM)
    with catalog.engine.connect() as conn:
        calibrate_compact(conn, model_id, DIM)  # again when an earlier run built the index
        return catalog, find_model(conn, "test.compact"), centres


FILTERS = [
    ({}, None),
    ({"scan_size_x_m": (None, 0.5)}, None),
    ({"scan_size_x_m": (None, 0.15)}, None),
    ({"scan_size_x_m": (None, 0.04)}, None),
    ({"drive_frequency_hz": (None, 0.5 * CLUSTERS)}, None),
    ({"drive_frequency_hz": (None, 0.15 * CLUSTERS)}, None),
    ({"drive_frequency_hz": (None, 0.04 * CLUSTERS)}, None),
    ({"drive_frequency_hz": (None, 0.2)}, None),  # 1%: part of one cluster
    ({"site": "lab1"}, "sample_name != 'S3'"),  # expression on copied columns
    ({}, "material IS NULL AND drive_frequency_hz < 6"),  # a column the copy lacks: join
]


def test_compact_pass_answers_as_exact_search(clustered) -> None:
    catalog, model, centres = clustered
    assert model.compact_candidates >= 400
    rng = np.random.default_rng(7)
    labels = rng.integers(0, CLUSTERS, 6)
    queries = center_normalize(centres[labels] + rng.standard_normal((6, DIM)))
    with catalog.engine.connect() as conn:
        for filters, where in FILTERS:
            _check_against_exact(conn, model, queries, filters, where)


def _check_against_exact(conn: Connection, model: StoredModel, queries: np.ndarray,
                         filters: dict, where: str | None) -> None:
    recalls = []
    for q in queries:
        truth, _ = knn(conn, model, q, 10, filters, where=where, plan="exact")
        found, plan = knn(conn, model, q, 10, filters, where=where, plan="compact")
        assert plan.method == "compact" and len(found) == len(truth)
        distances = [d for _, d in found]
        assert distances == sorted(distances)  # true distances of the full vectors
        recalls.append(len({t[0] for t in truth} & {f[0] for f in found}) / len(truth))
        if plan.estimated_rows < model.compact_candidates / 2:  # every row re-ranked
            assert [f[0] for f in found] == [t[0] for t in truth]
    assert np.mean(recalls) >= 0.95, (filters, where, recalls)


def test_filters_on_copied_columns_never_read_scans() -> None:
    assert reads_codes_only(scan_conditions("sample_name = 'x' AND site = 'a'",
                                            {"drive_frequency_hz": (1, 2)}))
    assert not reads_codes_only(scan_conditions("material = 'PZT'", {}))
    assert not reads_codes_only(scan_conditions(None, {"instrument": "x"}))


def test_auto_plan_takes_the_compact_pass_where_it_is_cheaper(clustered, monkeypatch) -> None:
    catalog, model, centres = clustered
    monkeypatch.setattr(symcat.query.knn, "COMPACT_MIN_ROWS", 0)  # a small catalog
    q = center_normalize(centres[:1] + 0.1)[0]
    correlated = {"drive_frequency_hz": (None, 0.5 * CLUSTERS)}  # ~1,000 rows
    cheap = dataclasses.replace(model, compact_candidates=400, exact_us_per_row=50.0,
                                compact_us_per_row=0.01, compact_index_us_per_row=0.01,
                                rerank_ms=1.0)
    dear = dataclasses.replace(model, exact_us_per_row=0.01, compact_us_per_row=50.0,
                               compact_index_us_per_row=50.0, rerank_ms=1.0)
    with catalog.engine.connect() as conn:
        truth, _ = knn(conn, model, q, 10, correlated, plan="exact")
        found, plan = knn(conn, cheap, q, 10, correlated, exact_max_rows=10**6)
        _, before = knn(conn, cheap, q, 10, correlated, exact_max_rows=10**6,
                        use_compact=False)
        _, exact = knn(conn, dear, q, 10, correlated, exact_max_rows=10**6)
    assert plan.method == "compact" and "compact ~" in plan.reason and "exact ~" in plan.reason
    assert len({t[0] for t in truth} & {f[0] for f in found}) >= 9
    assert before.method == "exact" and exact.method == "exact"
    monkeypatch.setattr(symcat.query.knn, "COMPACT_MIN_ROWS", 10**6)
    with catalog.engine.connect() as conn:
        _, few = knn(conn, cheap, q, 10, correlated, exact_max_rows=10**6,
                     use_selective=False)
    assert few.method == "exact" and "lose recall" in few.reason
