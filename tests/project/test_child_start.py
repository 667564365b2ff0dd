"""A re-projected selection starts from its points' places on the parent map
(init="parent"): stored so that it reproduces, as trustworthy as a fresh PCA start."""

from __future__ import annotations

import numpy as np
import pytest
from project_data import MODEL, Clustered, add_scans

from symcat.client import Catalog
from symcat.project.layout import CHILD_EPOCHS, DEFAULT_EPOCHS, ProjectionError, ProjectParams
from symcat.project.projection import project_catalog

TRUST_FLOOR = 0.9  # k=10; a PCA-start child of the same selection scores ~0.95 here


def _trust(made: Clustered, proj: object) -> float:
    from sklearn.manifold import trustworthiness

    order = {i: k for k, i in enumerate(made.ids)}
    vectors = made.vectors[[order[i] for i in proj["id"]]]  # type: ignore[index]
    return float(trustworthiness(vectors, proj.xy, n_neighbors=10,  # type: ignore[attr-defined]
                                 metric="cosine"))


def test_child_starts_from_the_parent_and_reproduces(clustered: Clustered) -> None:
    root = clustered.catalog.project(model=MODEL)  # seed and epochs chosen, as the dashboard
    assert root.params["init"] == "pca" and root.params["n_epochs"] == DEFAULT_EPOCHS
    child = root.select(root["x"] < np.median(root["x"])).project()
    assert child.params["init"] == "parent" and child.params["n_epochs"] == CHILD_EPOCHS
    assert child.params["requested"]["init"] == "parent"
    assert isinstance(child.params["random_state"], int)
    # from the stored parameters and the parent's stored map, in a new catalog object
    again = Catalog(settings=clustered.catalog.settings).projection(str(child.id))
    np.testing.assert_allclose(again.reproduce(), child.xy, atol=1e-5)
    # two levels down: the start is the level-1 map
    grandchild = child.select(child["y"] < np.median(child["y"])).project()
    assert grandchild.params["init"] == "parent" and grandchild.parent_id == child.id
    np.testing.assert_allclose(grandchild.reproduce(), grandchild.xy, atol=1e-5)


def test_an_asked_start_is_kept_and_a_root_has_no_parent(clustered: Clustered) -> None:
    root = clustered.catalog.project(model=MODEL, random_state=3)
    chosen = root.select(root["x"] < np.median(root["x"])).project(init="pca")
    assert chosen.params["init"] == "pca" and chosen.params["n_epochs"] == DEFAULT_EPOCHS
    with pytest.raises(ProjectionError, match="re-projecting a selection"):
        project_catalog(clustered.catalog.engine, None, {}, model=MODEL,
                        params=ProjectParams(init="parent"))
    assert ProjectParams(init="parent").resolved(5000).n_epochs == CHILD_EPOCHS
    assert ProjectParams(init="parent", n_epochs=80).resolved(5000).n_epochs == 80


def test_child_map_keeps_neighbourhoods(catalog: Catalog) -> None:
    made = add_scans(catalog, 1200, dim=64, clusters=10, seed=11)
    root = catalog.project(model=MODEL, random_state=0)
    mask = root["x"] < np.quantile(root["x"], 0.6)
    child = root.select(mask).project()
    fresh = root.select(mask).project(init="pca")
    assert child.params["init"] == "parent" and fresh.params["init"] == "pca"
    trust, baseline = _trust(made, child), _trust(made, fresh)
    assert trust >= TRUST_FLOOR, trust
    assert trust >= baseline - 0.01, (trust, baseline)
