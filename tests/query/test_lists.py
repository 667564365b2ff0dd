"""Search lists (issue 16): list assignment and summaries agree with the data whoever
writes, summaries never rule out a list holding a passing row, and the listed pass
answers as an exact search does."""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.extractors import center_normalize
from symcat.query.expr import scan_conditions
from symcat.query.knn import find_model, knn
from symcat.query.zones import zones
from symcat.store import migrate
from symcat.store.engine import get_engine
from symcat.store.search_lists import build_lists
from tests.query.test_compact import CLUSTERS, add_scans

# Rows whose list is neither their vector's nearest centroid (the build assigns those)
# nor the centroid nearest to their code (the triggers do), and rows outside their
# list's summary: both must stay empty.
MISASSIGNED = """
SELECT count(*) FROM search_codes c JOIN embeddings e USING (scan_id, model_id)
 WHERE c.list_id IS DISTINCT FROM symcat_search_list(c.model_id, c.code)
   AND c.list_id IS DISTINCT FROM (SELECT l.list_id FROM search_lists l
                                    WHERE l.model_id = c.model_id
                                    ORDER BY l.centroid <=> e.vector LIMIT 1)
"""
OUTSIDE = """
SELECT count(*) FROM search_codes c JOIN search_lists l USING (model_id, list_id)
 WHERE c.acquired_at < l.min_acquired_at OR c.acquired_at > l.max_acquired_at
    OR c.scan_size_x_m < l.min_scan_size_x_m OR c.scan_size_x_m > l.max_scan_size_x_m
    OR c.drive_frequency_hz < l.min_drive_frequency_hz
    OR c.drive_frequency_hz > l.max_drive_frequency_hz
    OR (l.sites IS NOT NULL AND NOT c.site = ANY(l.sites))
    OR (l.imaging_modes IS NOT NULL AND NOT c.imaging_mode = ANY(l.imaging_modes))
    OR (c.sample_name IS NOT NULL AND l.sample_names IS NOT NULL
        AND NOT c.sample_name = ANY(l.sample_names))
"""


def broken(conn: Connection) -> tuple[int, int]:
    return (int(conn.execute(text(MISASSIGNED)).scalar_one()),
            int(conn.execute(text(OUTSIDE)).scalar_one()))


def test_lists_follow_inserts_reembedding_edits_and_deletes(catalog: Catalog) -> None:
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1200, 16, name="test.lists")
        assert conn.execute(text("SELECT count(*) FROM search_codes WHERE list_id IS NULL "
                                 "AND model_id = :m"), {"m": model_id}
                            ).scalar_one() == 1200  # no lists yet: always scanned
        assert build_lists(conn, model_id, order=False) == 35  # ~sqrt(1200)
        assert broken(conn) == (0, 0)
        # a wider summary is never narrower than the data; rows counted at build
        assert conn.execute(text("SELECT sum(rows) FROM search_lists WHERE model_id = :m"),
                            {"m": model_id}).scalar_one() == 1200
        # new vectors (one statement), a re-embedding, metadata edits outside the ranges
        more = [uuid.uuid4() for _ in range(30)]
        conn.execute(text("INSERT INTO original_files (file_sha256, size_bytes, content) "
                          "VALUES (:sha, 0, '\\x')"), [{"sha": i.hex * 2} for i in more])
        conn.execute(text(
            "INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, "
            "site, instrument, source_path, file_name, file_size_bytes, imaging_mode, "
            "channel_names, document, drive_frequency_hz, sample_name) VALUES (:id, :sha, "
            "'image', 't', 't', 'new-lab', 't', 't', 't', 0, 'pfm', '{}', '{}', 1e6, 'new')"),
            [{"id": i, "sha": i.hex * 2} for i in more])
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": i, "m": model_id, "v": str(vectors[j].tolist())}
                      for j, i in enumerate(more)])
        conn.execute(text("UPDATE embeddings SET vector = CAST(:v AS halfvec) "
                          "WHERE scan_id = :s AND model_id = :m"),
                     [{"v": str((-vectors[i]).tolist()), "s": ids[i], "m": model_id}
                      for i in range(20)])
        conn.execute(text("UPDATE scans SET acquired_at = now(), scan_size_x_m = -5, "
                          "sample_name = 'renamed' WHERE id = ANY(:ids)"), {"ids": ids[20:40]})
        assert broken(conn) == (0, 0)
        # a replicated write (apply workers: replica role, row triggers only)
        conn.execute(text("DELETE FROM embeddings WHERE scan_id = ANY(:ids)"),
                     {"ids": ids[40:50]})
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": ids[i], "m": model_id, "v": str((vectors[i] * -1).tolist())}
                      for i in range(40, 50)])
        conn.execute(text("UPDATE scans SET site = 'elsewhere' WHERE id = ANY(:ids)"),
                     {"ids": ids[50:60]})
        conn.execute(text("SET LOCAL session_replication_role = origin"))
        # deletes never narrow a summary
        conn.execute(text("DELETE FROM scans WHERE id = ANY(:ids)"), {"ids": ids[60:200]})
        assert broken(conn) == (0, 0)
        sites = conn.execute(text("SELECT DISTINCT unnest(sites) FROM search_lists")).scalars()
        assert {"new-lab", "elsewhere", "lab0", "lab1", "lab2"} <= set(sites)


ZONE_FILTERS = [
    ({"drive_frequency_hz": (None, 2.5)}, None),
    ({"drive_frequency_hz": (7, 9)}, None),
    ({"scan_size_x_m": (0.2, None)}, None),
    ({"site": "lab1"}, None),
    ({"sample_name": ["S3", "S4"]}, None),
    ({}, "drive_frequency_hz between 3 and 4 or sample_name = 'S9'"),
    ({}, "drive_frequency_hz = 5.5 and site in ('lab0', 'lab2')"),
    ({}, "not drive_frequency_hz < 12 and material is null"),  # not: no pruning
    ({}, "sample_name ~ 'S1'"),  # contains: no pruning
]


def test_summaries_never_rule_out_a_list_holding_a_passing_row(catalog: Catalog) -> None:
    with catalog.engine.begin() as conn:
        model_id, *_ = add_scans(conn, 1500, 16, seed=4, name="test.zones")
        build_lists(conn, model_id, order=False)
        pruned_any = False
        for filters, where in ZONE_FILTERS:
            clauses = scan_conditions(where, filters)
            passing_lists = set(conn.execute(text(
                "SELECT DISTINCT c.list_id FROM search_codes c JOIN scans ON scans.id = "
                "c.scan_id WHERE c.model_id = :m AND " + " AND ".join(
                    str(c.compile(conn, compile_kwargs={"literal_binds": True}))
                    for c in clauses)), {"m": model_id}).scalars())
            held = zones(conn, model_id)  # the rule the planner runs
            kept = {i for i, ok in zip(held.ids, held.possible(clauses), strict=True) if ok}
            assert passing_lists <= kept, (filters, where)
            pruned_any |= len(kept) < 39
        assert pruned_any  # the summaries do rule lists out


@pytest.fixture(scope="module")
def listed(server_url: str):
    """A catalog of clustered vectors with lists (no HNSW: the listed pass only)."""
    catalog = Catalog(settings=Settings(database_url=server_url))
    with catalog.engine.begin() as conn:
        conn.execute(text("TRUNCATE channels, scans, original_files, refusals CASCADE"))
        model_id, _, _, centres = add_scans(conn, 3000, 32, seed=5, name="test.listed")
        build_lists(conn, model_id)
    with catalog.engine.connect() as conn:
        model = find_model(conn, "test.listed")
    assert {"near", "far"} <= set(model.stop_rule or {})  # measured at build
    return catalog, model, centres


FILTERS = [
    ({}, None),
    ({"scan_size_x_m": (None, 0.5)}, None),
    ({"scan_size_x_m": (None, 0.1)}, None),
    ({"drive_frequency_hz": (None, 0.5 * CLUSTERS)}, None),
    ({"drive_frequency_hz": (None, 0.15 * CLUSTERS)}, None),
    ({"drive_frequency_hz": (None, 1.0)}, None),  # 5%: one cluster
    ({}, "material IS NULL AND drive_frequency_hz < 6"),  # a column the copy lacks
]


def test_listed_pass_answers_as_exact_search(listed) -> None:
    catalog, model, centres = listed
    rng = np.random.default_rng(8)
    queries = center_normalize(centres[rng.integers(0, CLUSTERS, 6)]
                               + rng.standard_normal((6, 32)))
    with catalog.engine.connect() as conn:
        for filters, where in FILTERS:
            recalls = []
            for q in queries:
                truth, _ = knn(conn, model, q, 10, filters, where=where, plan="exact")
                found, plan = knn(conn, model, q, 10, filters, where=where, plan="listed")
                assert plan.method == "listed" and "lists: read" in plan.reason
                distances = [d for _, d in found]
                assert distances == sorted(distances) and len(found) == len(truth)
                if "exhaustive" in plan.reason and plan.estimated_rows < 200:
                    assert [f[0] for f in found] == [t[0] for t in truth]
                recalls.append(len({t[0] for t in truth} & {f[0] for f in found})
                               / len(truth))
            # floor: 0.9 on this small catalog (the benchmark's figures are higher)
            assert np.mean(recalls) >= 0.9, (filters, where, recalls)


def test_listed_pass_is_exact_when_it_reads_everything(listed, monkeypatch) -> None:
    catalog, model, centres = listed
    import symcat.query.lists

    # read every list, re-rank every row
    monkeypatch.setitem(symcat.query.lists.FORCED, "near", (10**6, 10**6))
    monkeypatch.setitem(symcat.query.lists.FORCED, "far", (10**6, 10**6))
    q = center_normalize(centres[:1] + 0.3)[0]
    with catalog.engine.connect() as conn:
        for filters in ({}, {"drive_frequency_hz": (None, 4.0)}, {"site": "lab2"}):
            truth, _ = knn(conn, model, q, 10, filters, plan="exact")
            found, plan = knn(conn, model, q, 10, filters, plan="listed")
            assert "exhaustive" in plan.reason
            assert [f[0] for f in found] == [t[0] for t in truth]


def test_auto_plan_takes_the_listed_pass_over_many_rows(listed) -> None:
    catalog, model, centres = listed
    q = center_normalize(centres[:1] + 0.3)[0]
    with catalog.engine.connect() as conn:
        _, plan = knn(conn, model, q, 10, {"drive_frequency_hz": (None, 10.0)},
                      exact_max_rows=100)
        _, before = knn(conn, model, q, 10, {"drive_frequency_hz": (None, 10.0)},
                        exact_max_rows=100, use_lists=False)
        _, few = knn(conn, model, q, 10, {"drive_frequency_hz": (None, 0.5)},
                     exact_max_rows=100)
    assert plan.method == "listed" and "listed: ~" in plan.reason
    # measured costs decide; and a stop rule that never reached the recall floor is unused
    dear = dataclasses.replace(model, exact_us_per_row=0.001, compact_us_per_row=100.0)
    weak = dataclasses.replace(model, stop_rule={
        name: {"rows": 500, "candidates": 100, "recall": 0.5} for name in ("near", "far")})
    with catalog.engine.connect() as conn:
        _, costly = knn(conn, dear, q, 10, {"drive_frequency_hz": (None, 10.0)},
                        exact_max_rows=100)
        _, unsure = knn(conn, weak, q, 10, {"drive_frequency_hz": (None, 10.0)},
                        exact_max_rows=100)
    assert costly.method == "exact" and "not listed: ~" in costly.reason
    assert unsure.method == "exact" and "reaches recall 0.500 only" in unsure.reason
    assert before.method != "listed"
    assert few.method == "exact"  # fewer rows than exact_max_rows


def test_migration_builds_lists_for_an_existing_catalog(fresh_database_url: str) -> None:
    engine: Engine = get_engine(Settings(database_url=fresh_database_url), upgrade=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    migrate.upgrade(engine, str(script.get_revision("0013").down_revision))
    with engine.begin() as conn:
        assert conn.execute(text("SELECT to_regclass('search_lists')")).scalar() is None
        model_id, *_ = add_scans(conn, 1100, 8, seed=6, name="old")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_lists WHERE model_id = :m"),
                            {"m": model_id}).scalar_one() == 33
        assert conn.execute(text("SELECT count(*) FROM search_codes WHERE list_id IS NULL"
                                 )).scalar_one() == 0
        assert broken(conn) == (0, 0)
    engine.dispose()
