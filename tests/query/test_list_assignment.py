"""Search lists assigned in bulk by the vector writer (issue 16's write path, migration
0014): each stored vector's list is its nearest centroid as a build from scratch would
assign it, the lists' zone maps never under-state what they hold, codes left without a
list are read by every listed pass until the sweep gives them one, and other writers
(replication, an UPDATE of a vector, SQL by hand, a downgraded catalog) stay right."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import OperationalError

from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.extractors import center_normalize
from symcat.embed.run import ensure_index, store_vectors
from symcat.query.expr import scan_conditions
from symcat.query.knn import find_model, knn
from symcat.query.zones import zones
from symcat.store import migrate
from symcat.store.engine import get_engine
from symcat.store.list_assignment import Ahead, assign_ahead, assign_unlisted
from symcat.store.models import SearchList
from symcat.store.models.embedding import hnsw_index_ddl, vector_array
from symcat.store.search_lists import build_lists, nearest, read_vectors
from tests.query.test_compact import add_scans, disagreeing
from tests.query.test_lists import OUTSIDE, ZONE_FILTERS, broken


def new_scans(conn: Connection, n: int, site: str = "new-lab") -> list[uuid.UUID]:
    """Metadata-only scans outside every list's summary: a new site, sample and time,
    a drive frequency and scan size no list holds."""
    ids = [uuid.uuid4() for _ in range(n)]
    conn.execute(text("INSERT INTO original_files (file_sha256, size_bytes, content) "
                      "VALUES (:sha, 0, '\\x')"), [{"sha": i.hex * 2} for i in ids])
    conn.execute(text(
        "INSERT INTO scans (id, file_sha256, record_kind, schema_version, parser_version, "
        "site, instrument, source_path, file_name, file_size_bytes, imaging_mode, "
        "channel_names, document, drive_frequency_hz, scan_size_x_m, sample_name, "
        "acquired_at) VALUES (:id, :sha, 'image', 't', 't', :site, 't', 't', 't', 0, "
        "'pfm', '{}', '{}', 1e6, -3, 'new', now())"),
        [{"id": i, "sha": i.hex * 2, "site": site} for i in ids])
    return ids


def stored_lists(conn: Connection, model_id: int) -> dict[uuid.UUID, int | None]:
    return dict(conn.execute(text("SELECT scan_id, list_id FROM search_codes "
                                  "WHERE model_id = :m"), {"m": model_id}).all())


def from_scratch(conn: Connection, model_id: int) -> dict[uuid.UUID, int]:
    """Every vector's nearest stored centroid, computed in numpy from what is stored."""
    scan_ids, vectors = read_vectors(conn, model_id)
    rows = conn.execute(select(SearchList.list_id, SearchList.centroid)
                        .where(SearchList.model_id == model_id)
                        .order_by(SearchList.list_id)).all()
    centroids = np.stack([vector_array(r.centroid) for r in rows])
    ids = np.array([r.list_id for r in rows])[nearest(vectors, centroids)]
    return {uuid.UUID(bytes=s.tobytes()): int(i) for s, i in zip(scan_ids, ids, strict=True)}


def by_lookup(conn: Connection, scan_ids: list[uuid.UUID], model_id: int
              ) -> dict[uuid.UUID, int]:
    """The per-row rule of the other writers: the centroid code nearest to the code."""
    return dict(conn.execute(text(
        "SELECT scan_id, symcat_search_list(model_id, code) FROM search_codes "
        "WHERE model_id = :m AND scan_id = ANY(:ids)"), {"m": model_id, "ids": scan_ids}).all())


def near(vectors: np.ndarray, rng: np.random.Generator, scale: float = 0.3) -> np.ndarray:
    return center_normalize(vectors + scale * rng.standard_normal(vectors.shape)).astype(
        np.float32)


def zone_maps_cover_passing_rows(conn: Connection, model_id: int) -> None:
    """The planner's rule (`zones`) never rules out a list holding a passing row."""
    for filters, where in [*ZONE_FILTERS, ({"site": "new-lab"}, None),
                           ({"drive_frequency_hz": (1e5, None)}, None),
                           ({"scan_size_x_m": (None, -1)}, None)]:
        clauses = scan_conditions(where, filters)
        passing = set(conn.execute(text(
            "SELECT DISTINCT c.list_id FROM search_codes c JOIN scans ON scans.id = "
            "c.scan_id WHERE c.list_id IS NOT NULL AND c.model_id = :m AND " + " AND ".join(
                str(c.compile(conn, compile_kwargs={"literal_binds": True}))
                for c in clauses)), {"m": model_id}).scalars())
        held = zones(conn, model_id)
        kept = {i for i, ok in zip(held.ids, held.possible(clauses), strict=True) if ok}
        assert passing <= kept, (filters, where)


RANGED = ("acquired_at", "scan_size_x_m", "drive_frequency_hz")
LISTED = ("site", "imaging_mode", "sample_name")
# Lists whose summary is not exactly their rows' (what a build would compute): after
# inserts only, widening must give exactly that, neither less nor more.
INEXACT = (
    "SELECT count(*) FROM search_lists l JOIN (SELECT model_id, list_id, "
    + ", ".join([f"min({c}) AS min_{c}, max({c}) AS max_{c}" for c in RANGED]
                + [f"array_agg(DISTINCT {c}::text) FILTER (WHERE {c} IS NOT NULL) AS {c}s"
                   for c in LISTED])
    + " FROM search_codes GROUP BY model_id, list_id) c USING (model_id, list_id) "
    "WHERE l.model_id = :m AND ("
    + " OR ".join([f"l.{e}_{c} IS DISTINCT FROM c.{e}_{c}" for c in RANGED
                   for e in ("min", "max")]
                  + [f"NOT (coalesce(l.{c}s, '{{}}') @> coalesce(c.{c}s, '{{}}') AND "
                     f"coalesce(l.{c}s, '{{}}') <@ coalesce(c.{c}s, '{{}}'))" for c in LISTED])
    + ")")


def test_store_vectors_gives_each_vector_its_nearest_list(catalog: Catalog) -> None:
    rng = np.random.default_rng(11)
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1200, 16, seed=11, name="test.bulk")
        assert build_lists(conn, model_id, order=False) == 35
        more = new_scans(conn, 80)
        # two batches in one transaction, as a caller may write them
        assert store_vectors(conn, model_id, more[:50], near(vectors[:50], rng)) == 50
        assert store_vectors(conn, model_id, more[50:], near(vectors[50:80], rng)) == 30
        lists = stored_lists(conn, model_id)
        assert None not in lists.values()
        assert lists == from_scratch(conn, model_id)
        assert disagreeing(conn) == 0 and broken(conn) == (0, 0)
        zone_maps_cover_passing_rows(conn, model_id)
        sites = conn.execute(text("SELECT count(*) FROM search_lists WHERE model_id = :m "
                                  "AND 'new-lab' = ANY(sites)"), {"m": model_id}).scalar_one()
        assert sites >= 1  # widened for the bulk-assigned rows
        assert conn.execute(text(INEXACT), {"m": model_id}).scalar_one() == 0
        # a later insert of this transaction (not the writer's batch) has its list looked
        # up per row, as any other writer's
        last = new_scans(conn, 1)
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     {"s": last[0], "m": model_id, "v": str(vectors[99].tolist())})
        assert stored_lists(conn, model_id)[last[0]] == by_lookup(conn, last, model_id)[last[0]]
        with pytest.raises(ValueError, match="twice in one batch"):
            store_vectors(conn, model_id, [ids[0], ids[0]], vectors[:2])


def test_lists_computed_ahead_are_used_only_for_the_lists_they_were_computed_with(
        catalog: Catalog) -> None:
    """`symcat embed`'s writer gets each batch's lists computed beside inference
    (`assign_ahead`); a rebuild in between makes it assign them again."""
    rng = np.random.default_rng(18)
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1100, 16, seed=18, name="test.bulk.ahead")
        build_lists(conn, model_id, order=False)
        more = new_scans(conn, 40)
        fresh = near(vectors[:40], rng)
        store_vectors(conn, model_id, more[:10], fresh[:10])  # the process reads the lists
        ahead = assign_ahead(catalog.engine.url, model_id, fresh[10:20])
        assert ahead is not None
        store_vectors(conn, model_id, more[10:20], fresh[10:20], ahead)
        assert stored_lists(conn, model_id) == from_scratch(conn, model_id)
        # taken as handed over where the build is the same (here: every row in list 0)
        forced = Ahead(ahead.stamp, np.zeros(10, np.int32))
        store_vectors(conn, model_id, more[20:30], fresh[20:30], forced)
        assert {stored_lists(conn, model_id)[s] for s in more[20:30]} == {0}
        # computed before a rebuild: not used
        stale = assign_ahead(catalog.engine.url, model_id, fresh[30:])
        build_lists(conn, model_id, order=False, seed=3)
        store_vectors(conn, model_id, more[30:], fresh[30:], stale)
        assert stored_lists(conn, model_id) == from_scratch(conn, model_id)
        assert broken(conn) == (0, 0)


def test_a_model_without_lists_stores_codes_to_be_read_by_every_pass(catalog: Catalog
                                                                      ) -> None:
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 50, 16, seed=12, name="test.bulk.none")
        more = new_scans(conn, 5)
        assert store_vectors(conn, model_id, more, vectors[:5]) == 5
        assert set(stored_lists(conn, model_id).values()) == {None}
        assert assign_unlisted(conn, model_id) == 0  # no lists to assign to
        assert disagreeing(conn) == 0


def test_reembedding_updates_replication_and_deletes_keep_the_lists_right(
        catalog: Catalog) -> None:
    rng = np.random.default_rng(13)
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1100, 16, seed=13, name="test.bulk.re")
        build_lists(conn, model_id, order=False)
        # re-embedding as `symcat embed --rebuild` does: delete, then the writer
        conn.execute(text("DELETE FROM embeddings WHERE model_id = :m AND scan_id = ANY(:s)"),
                     {"m": model_id, "s": ids[:40]})
        assert store_vectors(conn, model_id, ids[:40], near(-vectors[:40], rng)) == 40
        assert stored_lists(conn, model_id) == from_scratch(conn, model_id)
        # an UPDATE of a vector and a replicated insert: the per-row lookup
        conn.execute(text("UPDATE embeddings SET vector = CAST(:v AS halfvec) "
                          "WHERE scan_id = :s AND model_id = :m"),
                     [{"v": str(near(vectors[i:i + 1], rng)[0].tolist()), "s": ids[i],
                       "m": model_id} for i in range(40, 60)])
        conn.execute(text("DELETE FROM embeddings WHERE scan_id = ANY(:ids)"),
                     {"ids": ids[60:70]})
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     [{"s": ids[i], "m": model_id, "v": str((-vectors[i]).tolist())}
                      for i in range(60, 70)])
        conn.execute(text("SET LOCAL session_replication_role = origin"))
        lists = stored_lists(conn, model_id)
        assert {s: lists[s] for s in ids[40:70]} == by_lookup(conn, ids[40:70], model_id)
        # deletes: the rows go with their vectors, the others keep their lists
        conn.execute(text("DELETE FROM scans WHERE id = ANY(:ids)"), {"ids": ids[100:300]})
        after = stored_lists(conn, model_id)
        assert set(after) == set(ids) - set(ids[100:300])
        assert after == {s: lists[s] for s in after}
        assert disagreeing(conn) == 0 and broken(conn) == (0, 0)


def test_handed_over_lists_are_checked(catalog: Catalog) -> None:
    """A list id handed over for a list that does not exist, or for another vector than
    the one written, is not taken: the row's list is looked up instead."""
    rng = np.random.default_rng(17)
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1100, 16, seed=17, name="test.bulk.bad")
        build_lists(conn, model_id, order=False)
        more = new_scans(conn, 20)
        written = near(vectors[:20], rng)
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS symcat_new_vectors (scan_id uuid, "
                          "model_id int, vector halfvec, list_id int) ON COMMIT DELETE ROWS"))
        conn.execute(text("INSERT INTO symcat_new_vectors VALUES (:s, :m, :v, :l)"),
                     [{"s": s, "m": model_id, "l": 999_999 if i < 10 else 0,
                       "v": str((v if i < 10 else -v).tolist())}
                      for i, (s, v) in enumerate(zip(more, written, strict=True))])
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) VALUES "
                          "(:s, :m, :v)"), [{"s": s, "m": model_id, "v": str(v.tolist())}
                                            for s, v in zip(more, written, strict=True)])
        lists = stored_lists(conn, model_id)
        assert {s: lists[s] for s in more} == by_lookup(conn, more, model_id)
        assert broken(conn) == (0, 0)


def test_unlisted_codes_are_read_by_the_listed_pass_then_swept(catalog: Catalog) -> None:
    """Codes without a list (here: their list taken away by hand) are read by every
    listed pass, even where the summaries rule out every list, and the sweep at the
    index check gives them their nearest lists and widens the zone maps."""
    rng = np.random.default_rng(14)
    dim = 32
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 3000, dim, seed=14, name="test.bulk.null")
        build_lists(conn, model_id)
        query = vectors[7]
        strays = new_scans(conn, 10, site="unlisted-lab")
        store_vectors(conn, model_id, strays, near(np.tile(query, (10, 1)), rng, 0.05))
        conn.execute(text("UPDATE search_codes SET list_id = NULL WHERE scan_id = ANY(:s)"),
                     {"s": strays})
        conn.execute(text("UPDATE search_lists l SET sites = array_remove(sites, "
                          "'unlisted-lab') WHERE model_id = :m"), {"m": model_id})
        # and rows the writer assigned in bulk
        bulk = new_scans(conn, 40)
        store_vectors(conn, model_id, bulk, near(vectors[100:140], rng))
        lists = stored_lists(conn, model_id)
        assert {lists[s] for s in strays} == {None}
        assert None not in {lists[s] for s in bulk}
        conn.execute(text("ANALYZE search_codes"))
    with catalog.engine.connect() as conn:
        model = find_model(conn, "test.bulk.null")
        for filters in ({}, {"site": "unlisted-lab"}, {"site": ["unlisted-lab", "lab1"]},
                        {"drive_frequency_hz": (5e5, None)}, {"site": "new-lab"}):
            truth, _ = knn(conn, model, query, 10, filters, plan="exact")
            found, plan = knn(conn, model, query, 10, filters, plan="listed")
            assert plan.method == "listed", plan
            assert [f[0] for f in found] == [t[0] for t in truth], (filters, plan.reason)
        found, plan = knn(conn, model, query, 10, {"site": "unlisted-lab"}, plan="listed")
        assert {f[0] for f in found} == set(strays)
        assert "read 0 of 0 not ruled out" in plan.reason  # every list ruled out
        conn.rollback()
    # the sweep, as the end of a `symcat embed` run does it (ensure_index)
    with catalog.engine.begin() as conn:
        conn.execute(text(hnsw_index_ddl(model_id, dim)))
    assert ensure_index(catalog.engine, model_id, dim) is False  # index there: no rebuild
    with catalog.engine.begin() as conn:
        lists = stored_lists(conn, model_id)
        assert None not in lists.values()
        assert lists == from_scratch(conn, model_id)
        assert int(conn.execute(text(OUTSIDE)).scalar_one()) == 0
        zone_maps_cover_passing_rows(conn, model_id)
        assert assign_unlisted(conn, model_id) == 0  # nothing left
    with catalog.engine.connect() as conn:
        for filters in ({}, {"site": "unlisted-lab"}):
            truth, _ = knn(conn, model, query, 10, filters, plan="exact")
            found, plan = knn(conn, model, query, 10, filters, plan="listed")
            assert [f[0] for f in found] == [t[0] for t in truth], (filters, plan.reason)


def test_a_rebuild_waits_for_a_writer_holding_the_lists(catalog: Catalog) -> None:
    """The writer's list ids stay those of the lists it read: a rebuild cannot commit
    between its reading the centroids and its commit."""
    rng = np.random.default_rng(15)
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1100, 16, seed=15, name="test.bulk.lock")
        build_lists(conn, model_id, order=False)
        more = new_scans(conn, 20)
    writer = catalog.engine.connect()
    try:
        writer.begin()
        store_vectors(writer, model_id, more, near(vectors[:20], rng))
        with catalog.engine.connect() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                build_lists(other, model_id, order=False)
            other.rollback()
        writer.commit()
    finally:
        writer.close()
    with catalog.engine.begin() as conn:
        build_lists(conn, model_id, order=False)  # now it may
        assert stored_lists(conn, model_id) == from_scratch(conn, model_id)


def test_migration_0014_keeps_existing_lists_and_downgrades(fresh_database_url: str
                                                            ) -> None:
    engine: Engine = get_engine(Settings(database_url=fresh_database_url), upgrade=False)
    migrate.upgrade(engine, "0013")
    rng = np.random.default_rng(16)
    with engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1100, 8, seed=16, name="old")
        build_lists(conn, model_id, order=False)
        before = stored_lists(conn, model_id)
        more = new_scans(conn, 40)
    migrate.upgrade(engine, "0014")
    with engine.begin() as conn:
        assert {s: v for s, v in stored_lists(conn, model_id).items() if s in before} \
            == before  # the migration moves no row
        store_vectors(conn, model_id, more[:20], near(vectors[:20], rng))
        assert stored_lists(conn, model_id) == from_scratch(conn, model_id)
        assert broken(conn) == (0, 0)
    migrate.downgrade(engine, "0013")
    with engine.begin() as conn:  # 0013's trigger ignores the hand-over: per-row lookup
        store_vectors(conn, model_id, more[20:], near(vectors[20:40], rng))
        lists = stored_lists(conn, model_id)
        assert {s: lists[s] for s in more[20:]} == by_lookup(conn, more[20:], model_id)
        assert broken(conn) == (0, 0) and disagreeing(conn) == 0
    engine.dispose()
