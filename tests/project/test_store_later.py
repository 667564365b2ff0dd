"""A map answered before it is stored (`store_later`, the dashboard's re-projections):
the id handed out is stored, in full, with the parameters it was shown with."""

from __future__ import annotations

import uuid

import numpy as np
from project_data import MODEL, Clustered
from sqlalchemy import func, select

from symcat.client import Catalog
from symcat.project import writes
from symcat.project.layout import ProjectParams
from symcat.project.run import _store, load_projection
from symcat.store.models import Projection as ProjectionRow
from symcat.store.models import ProjectionPoint


def test_answered_map_is_stored_as_shown(clustered: Clustered) -> None:
    catalog = clustered.catalog
    root = catalog.project(model=MODEL, random_state=1)
    child = root.select(root["x"] < np.median(root["x"])).project(store_later=True)
    # readable at once through every reader of this process (they wait for the write)
    again = Catalog(settings=catalog.settings).projection(str(child.id))
    assert list(again["id"]) == list(child["id"])
    np.testing.assert_array_equal(again.xy, child.xy)
    assert again.params == child.params and again.selection == child.selection
    assert again.parent_id == root.id and list(again.lineage()["id"]) == [root.id, child.id]
    # a child of the unstored-yet map: its parent row exists when it is written
    grandchild = child.select(child["y"] < np.median(child["y"])).project(store_later=True)
    assert catalog.save_selection("later", list(grandchild["id"]),
                                  projection_id=grandchild.id) == len(grandchild)
    writes.wait()
    assert writes.pending() == 0
    with catalog.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ProjectionPoint).where(
            ProjectionPoint.projection_id == grandchild.id)).scalar_one()
    assert stored == len(grandchild)
    # the same request again is answered from the store
    same = child.select(child["y"] < np.median(child["y"])).project(store_later=True)
    assert same.cached and same.id == grandchild.id


def test_a_concurrent_identical_map_keeps_both(clustered: Clustered) -> None:
    """When another process stored the identical request first, the later write keeps
    its own row (the id it handed out) under a key no lookup matches."""
    catalog = clustered.catalog
    root = catalog.project(model=MODEL, random_state=2)
    stored = load_projection(catalog.engine, root.id)
    row = root.params
    params = ProjectParams(**{k: v for k, v in row.items() if k != "requested"})
    with catalog.engine.connect() as conn:
        key = conn.execute(select(ProjectionRow.cache_key)
                           .where(ProjectionRow.id == root.id)).scalar_one()
    mine = uuid.uuid4()
    got, inserted = _store(catalog.engine, key, stored.model, None, {}, None, None, params,
                           stored.params_repr, row["requested"], stored.ids, stored.xy,
                           {}, new_id=mine, keep_both=True)
    assert got == mine and inserted
    kept = load_projection(catalog.engine, mine)
    np.testing.assert_array_equal(kept.xy, stored.xy)
    with catalog.engine.connect() as conn:
        found = conn.execute(select(ProjectionRow.id)
                             .where(ProjectionRow.cache_key == key)).scalar_one()
    assert found == root.id  # lookups still find the first


def test_wait_returns_when_writes_are_done_or_at_the_timeout() -> None:
    import threading

    release = threading.Event()
    done: list[int] = []
    writes.submit(uuid.uuid4(), lambda: (release.wait(30), done.append(1)))
    assert writes.wait(timeout=0.05) is False and writes.pending() == 1
    release.set()
    assert writes.wait() is True and done == [1] and writes.pending() == 0
