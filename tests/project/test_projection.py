"""Projections on a real catalog: filtered subsets, recursion with lineage, the cache,
small subsets, injection attempts, and neighbourhood preservation."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from project_data import MODEL, Clustered, add_scans
from sqlalchemy import inspect, select

from symcat.client import Catalog
from symcat.project.layout import DEFAULT_EPOCHS, GPU_EPOCHS, ProjectionError, ProjectParams
from symcat.query.filters import FilterError
from symcat.store.models import Projection as ProjectionRow

FAST = {"model": MODEL, "n_epochs": 60, "random_state": 7}


def test_projection_holds_exactly_the_filtered_scans(clustered: Clustered) -> None:
    catalog = clustered.catalog
    add_scans(catalog, 20, seed=5, with_vectors=False)  # match the filter, but no vectors
    proj = catalog.project("sample = PZT* and scan_size_x_m <= 2.5um", **FAST)
    expected = {i for i, s, label in zip(clustered.ids, clustered.samples, clustered.labels,
                                         strict=True) if s.startswith("PZT") and label <= 1}
    assert set(proj["id"]) == expected
    assert len(proj) == len(expected) and np.isfinite(proj.xy).all()
    assert set(proj["sample_name"]) == {"PZT-a", "PZT-b"}
    assert proj.timings["missing_vectors"] > 0
    assert proj.params["random_state"] == 7 and proj.params["n_neighbors"] == 5
    # keyword filters combine with the expression, as in Catalog.scans
    keyword = catalog.project("scan_size_x_m <= 2.5um", sample_name="BFO-c", **FAST)
    assert set(keyword["sample_name"]) == {"BFO-c"}
    assert set(keyword["id"]) == set(catalog.scans("sample = BFO-c and scan_size_x_m <= 2.5um")
                                     .id) & set(clustered.ids)


def test_recursion_three_levels_with_lineage(clustered: Clustered) -> None:
    catalog = clustered.catalog
    root = catalog.project(**FAST)
    assert len(root) == 600 and root.parent_id is None
    x0, x1 = np.quantile(root.xy[:, 0], [0.0, 0.7])
    level1 = root.select(box=(x0, root.xy[:, 1].min(), x1, root.xy[:, 1].max())).project()
    # a polygon (a triangle with a vertical right edge) around the left half of the map,
    # whatever the layout looks like
    (xmin, ymin), ymax = level1.xy.min(axis=0), level1.xy[:, 1].max()
    xmid, height = float(np.median(level1.xy[:, 0])), ymax - ymin
    triangle = [(xmid, ymin - 2 * height), (xmid, ymax + 2 * height),
                (xmin - 4 * (xmid - xmin) - 1, (ymin + ymax) / 2)]
    level2 = level1.select(polygon=triangle).project(min_dist=0.1)
    level3 = level2.select(ids=list(level2["id"][: len(level2) // 2])).project(n_neighbors=4)
    sizes = [len(p) for p in (root, level1, level2, level3)]
    assert sizes[0] > sizes[1] > sizes[2] > sizes[3] >= 6, sizes
    for parent, child in [(root, level1), (level1, level2), (level2, level3)]:
        assert child.parent_id == parent.id
        assert set(child["id"]) <= set(parent["id"])
    chain = level3.lineage()
    assert list(chain["id"]) == [root.id, level1.id, level2.id, level3.id]
    assert [s and s["kind"] for s in chain["selection"]] == [None, "box", "polygon", "ids"]
    assert level3.depth() == 3
    assert level2.params["min_dist"] == 0.1 and level3.params["n_neighbors"] == 4
    assert level3.params["min_dist"] == 0.1  # inherited from its parent's request
    # shareable by id: another catalog object (another process) loads the same map
    again = Catalog(settings=catalog.settings).projection(str(level3.id))
    assert again.id == level3.id and list(again["id"]) == list(level3["id"])
    np.testing.assert_array_equal(again.xy, level3.xy)
    assert again.parent().id == level2.id


def test_identical_request_is_served_from_the_cache(clustered: Clustered) -> None:
    catalog = clustered.catalog
    first = catalog.project("sample = PZT-a", model=MODEL, n_epochs=60)  # random seed
    second = catalog.project("sample = PZT-a", model=MODEL, n_epochs=60)
    assert not first.cached and second.cached
    assert second.id == first.id
    np.testing.assert_array_equal(second.xy, first.xy)
    child = first.select(first["x"] > np.median(first["x"])).project()
    again = first.select(first["x"] > np.median(first["x"])).project()
    assert again.cached and again.id == child.id
    other = catalog.project("sample = PZT-a", model=MODEL, n_epochs=61)
    assert other.id != first.id and not other.cached
    # a changed catalog is a different subset: not a cache hit
    add_scans(catalog, 3, seed=9)
    grown = catalog.project("sample = PZT-a", model=MODEL, n_epochs=60)
    assert grown.id != first.id and len(grown) == len(first) + 1
    with catalog.engine.connect() as conn:
        keys = conn.execute(select(ProjectionRow.cache_key)).scalars().all()
    assert len(keys) == len(set(keys))


def test_stored_parameters_reproduce_the_map(clustered: Clustered) -> None:
    proj = clustered.catalog.project("sample = BFO-c", model=MODEL, n_epochs=60)
    seed = proj.params["random_state"]
    assert isinstance(seed, int) and proj.params["requested"]["random_state"] is None
    np.testing.assert_allclose(proj.reproduce(), proj.xy, atol=1e-5)


def test_small_subsets_fall_back_to_pca_and_empty_ones_fail(catalog: Catalog) -> None:
    add_scans(catalog, 6, seed=1)
    few = catalog.project(**FAST)  # 6 points < n_neighbors + 2
    assert len(few) == 6 and few.timings["layout"] == "pca"
    assert "n_neighbors + 2" in few.timings["reason"]
    assert np.isfinite(few.xy).all() and np.ptp(few.xy[:, 0]) > 0
    one = few.select(ids=[few["id"][0]]).project()
    assert len(one) == 1 and one.timings["layout"] == "pca"
    with pytest.raises(ProjectionError, match="no scans with vectors"):
        catalog.project("sample = nothing-like-this", **FAST)
    with pytest.raises(ProjectionError, match="selection is empty"):
        few.select(box=(1e6, 1e6, 2e6, 2e6)).project()
    with pytest.raises(ProjectionError, match="not points of projection"):
        few.select(ids=[uuid.uuid4()])


@pytest.mark.parametrize("bad", [
    {"n_neighbors": 1}, {"min_dist": 2.0}, {"metric": "manhattan"}, {"n_epochs": 0},
])
def test_bad_parameters_name_the_parameter(catalog: Catalog, bad: dict) -> None:
    add_scans(catalog, 10, seed=2)
    with pytest.raises(ProjectionError, match=next(iter(bad))):
        catalog.project(**{**FAST, **bad})


@pytest.mark.parametrize("attack", [
    "sample = 'x'; DROP TABLE scans; --",
    "sample = x) or (1 = 1",
    "id = '' or 1=1 --",
    "scans.id is not null",
    "sample = x union select id from scans",
    "pg_sleep(1) is null",
])
def test_injection_attempts_are_rejected(clustered: Clustered, attack: str) -> None:
    catalog = clustered.catalog
    with pytest.raises(FilterError):
        catalog.project(attack, **FAST)
    assert "scans" in inspect(catalog.engine).get_table_names()
    assert catalog.count() == 600


def test_injection_in_values_is_only_a_value(clustered: Clustered) -> None:
    catalog = clustered.catalog
    for value in ["x' OR '1'='1", "PZT-a'; DELETE FROM scans; --"]:
        with pytest.raises(ProjectionError, match="no scans with vectors"):
            catalog.project(f"sample = {value!r}".replace("\\'", "''"), **FAST)
        with pytest.raises(ProjectionError, match="no scans with vectors"):
            catalog.project(sample_name=value, **FAST)
    assert catalog.count() == 600


def test_neighbourhoods_are_preserved(catalog: Catalog) -> None:
    from sklearn.manifold import trustworthiness

    made = add_scans(catalog, 800, dim=64, clusters=8, seed=4)
    proj = catalog.project(model=MODEL, random_state=0)  # default epochs
    order = {i: k for k, i in enumerate(made.ids)}
    vectors = made.vectors[[order[i] for i in proj["id"]]]
    score = trustworthiness(vectors, proj.xy, n_neighbors=10, metric="cosine")
    assert score >= 0.9, score
    labels = made.labels[[order[i] for i in proj["id"]]]
    # clusters stay together: a point's nearest map neighbour shares its cluster
    d = ((proj.xy[:, None, :] - proj.xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(axis=1)] == labels).mean() >= 0.95


def test_epochs_follow_the_layout_device_unless_asked() -> None:
    """The batched GPU layout needs more epochs than umap's sequential one (0.88 against
    0.986 trustworthiness at 2^19 points with 50 and 200); a requested count is kept."""
    assert ProjectParams().resolved(5000).n_epochs == DEFAULT_EPOCHS
    assert ProjectParams().resolved(5000, "cpu").n_epochs == DEFAULT_EPOCHS
    assert ProjectParams().resolved(5000, "cuda").n_epochs == GPU_EPOCHS > DEFAULT_EPOCHS
    assert ProjectParams(n_epochs=7).resolved(5000, "cuda").n_epochs == 7
