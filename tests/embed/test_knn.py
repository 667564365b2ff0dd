"""Filtered kNN on the real database: the planned answer matches the exact one under filters.

The catalog gets 3,000 metadata-only scans with clustered vectors (no torch needed); a
column holds a uniform draw (an independent filter) and another cluster + a uniform
draw (a filter correlated with the vectors), as in benchmarks/knn.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, text

from symcat.client import Catalog
from symcat.embed.extractors import center_normalize
from symcat.embed.run import ensure_index
from symcat.query.calibrate import FACTORS, TARGET_RECALL, probe_factor
from symcat.query.knn import StoredModel, UnknownModel, find_model, knn
from symcat.store.models.embedding import hnsw_index_name

N, DIM, CLUSTERS = 3000, 64, 20


def _vectors(rng: np.random.Generator, labels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    noise = rng.standard_normal((len(labels), centres.shape[1]))
    return center_normalize(centres[labels] + noise).astype(np.float32)


def add_synthetic_scans(engine: Engine, name: str, n: int, dim: int, seed: int = 0
                        ) -> tuple[StoredModel, np.ndarray, list, np.ndarray]:
    """Scans with metadata only, and one model's vectors for them."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, dim)) * 1.5
    labels = rng.integers(0, CLUSTERS, n)
    vectors = _vectors(rng, labels, centres)
    with engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": name, "d": dim}).scalar_one()
        ids = conn.execute(text("""
            WITH f AS (
                INSERT INTO original_files (file_sha256, size_bytes, content)
                SELECT lpad(to_hex(g), 64, '0'), 0, '\\x' FROM generate_series(1, :n) g
                RETURNING file_sha256)
            INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, site,
                instrument, source_path, file_name, file_size_bytes, imaging_mode,
                channel_names, document)
            SELECT gen_random_uuid(), file_sha256, 'image', 't', 't', 't', 't', 't', 't', 0,
                   'dart_pfm', '{}', '{}'
            FROM f ORDER BY file_sha256 RETURNING id"""), {"n": n}).scalars().all()
        conn.execute(
            text("UPDATE scans SET drive_frequency_hz = :c, scan_size_x_m = :u WHERE id = :id"),
            [{"c": float(c) + float(u2), "u": float(u), "id": i}
             for i, c, u, u2 in zip(ids, labels, rng.random(n), rng.random(n), strict=True)],
        )
        conn.execute(
            text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
            [{"s": i, "m": model_id, "v": str(v.tolist())} for i, v in zip(ids, vectors,
                                                                           strict=True)],
        )
        conn.execute(text("ANALYZE scans"))
        conn.execute(text("ANALYZE embeddings"))
    return StoredModel(model_id, name, name, dim), centres, list(ids), vectors


@pytest.fixture(scope="module")
def clustered(module_catalog: Catalog) -> tuple[Catalog, StoredModel, np.ndarray]:
    """Built once for the module (the index build and its probe measurement take seconds);
    the tests read it, and the one that adds a model adds its own."""
    catalog = module_catalog
    model, centres, _, _ = add_synthetic_scans(catalog.engine, "test.clustered", N, DIM)
    ensure_index(catalog.engine, model.id, DIM)  # builds the graph and measures its probe
    with catalog.engine.connect() as conn:
        return catalog, find_model(conn, model.name), centres


def test_index_build_measures_how_wide_probes_search(clustered) -> None:
    catalog, model, _ = clustered
    with catalog.engine.connect() as conn:
        config = conn.execute(text("SELECT config FROM embedding_models WHERE id = :m"),
                              {"m": model.id}).scalar_one()
    probe = config["probe"]
    recall = {int(f): r for f, r in probe["recall"].items()}
    assert model.probe_factor == probe["ef_factor"] in FACTORS
    # The smallest width tried that reached the target was chosen; narrower ones missed it.
    assert recall[model.probe_factor] >= TARGET_RECALL or model.probe_factor == FACTORS[-1]
    assert all(r < TARGET_RECALL for f, r in recall.items() if f < model.probe_factor)
    assert probe["queries"] == 20 and all(0 <= r <= 1 for r in recall.values())


def test_an_unmeasured_model_probes_at_the_safe_width() -> None:
    assert probe_factor({}) == probe_factor(None) == FACTORS[-1]
    assert probe_factor({"probe": {"ef_factor": 2}}) == 2


FILTERS = [
    {},
    {"scan_size_x_m": (None, 0.5)},
    {"scan_size_x_m": (None, 0.15)},
    {"scan_size_x_m": (None, 0.01)},
    {"drive_frequency_hz": (None, 0.5 * CLUSTERS)},
    {"drive_frequency_hz": (None, 0.15 * CLUSTERS)},
    {"drive_frequency_hz": (None, 0.4)},  # part of one cluster
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f) or "unfiltered")
def test_planned_search_finds_the_exact_neighbours(clustered, filters) -> None:
    catalog, model, centres = clustered
    rng = np.random.default_rng(5)
    queries = _vectors(rng, rng.integers(0, CLUSTERS, 20), centres)
    recalls, methods = [], set()
    with catalog.engine.connect() as conn:
        for q in queries:
            truth, _ = knn(conn, model, q, 10, filters, plan="exact")
            # exact_max_rows=100 makes every filter but the tiniest take the index path.
            found, plan = knn(conn, model, q, 10, filters, exact_max_rows=100,
                              sparse_exact_max_rows=0)
            methods.add(plan.method)
            recalls.append(len({t[0] for t in truth} & {f[0] for f in found}) / len(truth))
            distances = [d for _, d in found]
            assert distances == sorted(distances)
    assert np.mean(recalls) >= 0.95, (filters, np.mean(recalls), methods)


def test_exact_plan_is_brute_force(clustered) -> None:
    catalog, model, centres = clustered
    with catalog.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.scan_id, e.vector::vector::real[], s.scan_size_x_m FROM embeddings e "
            "JOIN scans s ON s.id = e.scan_id WHERE model_id = :m"), {"m": model.id}).all()
        ids = [r[0] for r in rows]
        vectors = np.array([r[1] for r in rows])
        passes = np.array([r[2] <= 0.15 for r in rows])
        q = vectors[0]
        found, plan = knn(conn, model, q, 10, {"scan_size_x_m": (None, 0.15)}, plan="exact")
    assert plan.method == "exact"
    distances = 1 - vectors @ q / np.linalg.norm(vectors, axis=1) / np.linalg.norm(q)
    distances[~passes] = np.inf
    expected = [ids[i] for i in np.argsort(distances)[:10]]
    assert [f[0] for f in found] == expected


def test_plan_follows_the_estimated_selectivity(clustered) -> None:
    catalog, model, centres = clustered
    q = _vectors(np.random.default_rng(9), np.array([0]), centres)[0]
    with catalog.engine.connect() as conn:
        _, small = knn(conn, model, q, 5, {"scan_size_x_m": (None, 0.01)}, exact_max_rows=500)
        _, large = knn(conn, model, q, 5, {"scan_size_x_m": (None, 0.9)}, exact_max_rows=500)
    assert small.method == "exact" and small.estimated_rows < 500
    assert large.method in ("probe", "hnsw") and large.estimated_rows > 500


def test_a_filter_too_sparse_for_any_probe_is_answered_exactly(clustered) -> None:
    catalog, model, centres = clustered
    q = _vectors(np.random.default_rng(4), np.array([2]), centres)[0]
    sparse = {"scan_size_x_m": (None, 0.01)}  # about 30 of 3,000 rows: 4 in a 400-row probe
    with catalog.engine.connect() as conn:
        truth, _ = knn(conn, model, q, 10, sparse, plan="exact")
        found, plan = knn(conn, model, q, 10, sparse, exact_max_rows=10)
        # (without the lists: their zone maps may show the query's nearest lists hold
        # no passing row, and then no probe runs at all)
        _, probed = knn(conn, model, q, 10, sparse, exact_max_rows=10, sparse_exact_max_rows=0,
                        use_lists=False)
    assert plan.method == "exact" and plan.estimated_rows > 10 and plan.probe_rows == 0
    assert found == truth
    assert probed.probe_rows == 400  # without the rule it probes first, then scans


def test_too_few_rows_for_the_index_falls_back_to_exact(clustered) -> None:
    catalog, model, centres = clustered
    q = _vectors(np.random.default_rng(3), np.array([1]), centres)[0]
    with catalog.engine.connect() as conn:
        truth, _ = knn(conn, model, q, 10, {"drive_frequency_hz": (None, 0.004)}, plan="exact")
        # Pretend the filter is large (threshold 0): the index path finds < k, falls back.
        found, plan = knn(conn, model, q, 10, {"drive_frequency_hz": (None, 0.004)},
                          exact_max_rows=0, sparse_exact_max_rows=0, ef_search=10)
    assert found == truth
    assert plan.method in ("exact", "exact-fallback")


def test_without_an_index_the_plan_is_exact(catalog: Catalog) -> None:
    model, centres, _, _ = add_synthetic_scans(catalog.engine, "test.unindexed", 300, 16)
    with catalog.engine.connect() as conn:
        assert not conn.execute(text("SELECT to_regclass(:n)"),
                                {"n": hnsw_index_name(model.id)}).scalar()
        _, plan = knn(conn, model, np.ones(16), 3, exact_max_rows=0)
    assert plan.method == "exact"


def test_models_of_different_dimensions_coexist(clustered) -> None:
    catalog, big, _ = clustered
    small, centres, ids, _ = add_synthetic_scans_for_existing(catalog, 8)
    ensure_index(catalog.engine, small.id, 8)
    with catalog.engine.connect() as conn:
        found_small, _ = knn(conn, small, centres[0], 5, plan="hnsw")
        found_big, _ = knn(conn, big, np.ones(DIM), 5, plan="hnsw")
        with pytest.raises(ValueError, match="has 64"):
            knn(conn, big, np.ones(8), 5)
        bad = np.ones(DIM)
        bad[3] = np.nan
        with pytest.raises(ValueError, match="1 NaN or infinite values"):
            knn(conn, big, bad, 5)
        indexes = set(conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'embeddings'")).scalars())
    assert {hnsw_index_name(small.id), hnsw_index_name(big.id)} <= indexes
    assert len(found_small) == len(found_big) == 5


def add_synthetic_scans_for_existing(catalog: Catalog, dim: int):
    """A second model over the same scans: vectors of another size."""
    rng = np.random.default_rng(11)
    with catalog.engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM scans ORDER BY id")).scalars().all()
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES "
            "('test.small', 'test.small', :d, '{}') ON CONFLICT (name) DO UPDATE SET "
            "dim = EXCLUDED.dim RETURNING id"), {"d": dim}).scalar_one()
        centres = rng.standard_normal((CLUSTERS, dim))
        vectors = _vectors(rng, rng.integers(0, CLUSTERS, len(ids)), centres)
        conn.execute(
            text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v)"),
            [{"s": i, "m": model_id, "v": str(v.tolist())} for i, v in zip(ids, vectors,
                                                                           strict=True)],
        )
    return StoredModel(model_id, "test.small", "test.small", dim), centres, ids, vectors


def test_unknown_model_lists_stored_ones(clustered) -> None:
    catalog, _, _ = clustered
    with catalog.engine.connect() as conn, pytest.raises(UnknownModel, match="test.clustered"):
        find_model(conn, "no-such-model")
