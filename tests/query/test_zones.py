"""The zone maps held in memory (issue 16): they keep exactly the lists PostgreSQL's
summaries keep, and a write that widens a summary is seen by the next query."""

from __future__ import annotations

import numpy as np
from sqlalchemy import and_, select, text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.query.expr import scan_conditions
from symcat.query.zones import zones
from symcat.store.engine import get_engine
from symcat.store.models import SearchList
from symcat.store.models.embedding import vector_array
from symcat.store.search_lists import build_lists
from tests.query.test_compact import add_scans
from tests.query.test_lists import ZONE_FILTERS
from tests.query.zone_oracle import zone_clause


def test_zones_in_memory_agree_with_the_summaries_and_follow_writes(catalog: Catalog) -> None:
    with catalog.engine.begin() as conn:
        model_id, ids, vectors, _ = add_scans(conn, 1500, 16, seed=9, name="test.memzones")
        build_lists(conn, model_id, order=False)
    with catalog.engine.connect() as conn:
        held = zones(conn, model_id)
        assert len(held.ids) == 39 and held.centroids.shape == (39, 16)
        for filters, where in [*ZONE_FILTERS, ({"site": ["lab1", "lab0"]}, None),
                               ({}, "acquired_at < 2020-01-01")]:
            clauses = scan_conditions(where, filters)
            kept = set(conn.execute(select(SearchList.list_id).where(
                SearchList.model_id == model_id,
                and_(*(zone_clause(c) for c in clauses)))).scalars())
            possible = {i for i, ok in zip(held.ids, held.possible(clauses), strict=True) if ok}
            assert possible == kept, (filters, where)
        assert zones(conn, model_id) is held  # unchanged: from memory
        far = scan_conditions(None, {"drive_frequency_hz": (500.0, 600.0)})
        assert not held.possible(far).any()
    with catalog.engine.begin() as conn:  # a scan moved far out widens its list's summary
        conn.execute(text("UPDATE scans SET drive_frequency_hz = 555 WHERE id = :i"),
                     {"i": ids[0]})
    with catalog.engine.connect() as conn:
        again = zones(conn, model_id)
        assert again is not held and int(np.sum(again.possible(far))) == 1
        assert again.centroids is held.centroids  # same build: only summaries read again
    with catalog.engine.begin() as conn:  # and a rebuild
        build_lists(conn, model_id, order=False, seed=1)
    with catalog.engine.connect() as conn:
        rebuilt = zones(conn, model_id)
        assert rebuilt.version != again.version
        fresh = conn.execute(select(SearchList.centroid).where(
            SearchList.model_id == model_id).order_by(SearchList.list_id)).scalars().all()
        assert rebuilt.centroids is not again.centroids
        assert np.allclose(rebuilt.centroids, np.stack([vector_array(c) for c in fresh]))


def test_two_catalogs_keep_their_own_zones(catalog: Catalog, fresh_database_url: str) -> None:
    """Models of the same id in two databases (a lab and a hub) are held apart: each
    keeps its own lists, and switching between them reads neither again."""
    get_engine(Settings(database_url=fresh_database_url), upgrade=True)  # migrated
    other = Catalog(fresh_database_url)
    held = {}
    for cat, n, seed in ((catalog, 1500, 9), (other, 900, 4)):
        with cat.engine.begin() as conn:
            model_id, *_ = add_scans(conn, n, 16, seed=seed, name="test.twozones")
            build_lists(conn, model_id, order=False)
        with cat.engine.connect() as conn:
            held[cat] = (model_id, zones(conn, model_id))
    assert held[catalog][0] == held[other][0]  # same id in both: the case that collided
    assert len(held[catalog][1].ids) != len(held[other][1].ids)
    for cat in (catalog, other, catalog):
        model_id, first = held[cat]
        with cat.engine.connect() as conn:
            assert zones(conn, model_id) is first  # from memory, its own database's
