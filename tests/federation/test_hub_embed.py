"""A hub embeds what labs shared as pixels only, and a lab's own vectors later replace
the hub's without stopping replication (migration 0011)."""

from __future__ import annotations

import numpy as np
from federation_harness import Federation, wait_for
from sqlalchemy import text

from symcat.embed.run import embed_catalog
from symcat.federation import hub as hub_mod

NATURAL = "effnet_lite0_4tap.in1k"  # a model no lab computed; small and fast on a CPU


def _errors(fed: Federation) -> int:
    return sum(entry.errors for entry in hub_mod.status(fed.hub.engine))


def test_the_hub_embeds_shared_pixels_and_a_labs_vectors_win(hub_with_labs: Federation
                                                              ) -> None:
    fed = hub_with_labs
    hub, north = fed.hub, fed.lab_a  # north shares pixels; south shares vectors only
    errors_before = _errors(fed)
    with_pixels = hub.scalar(
        "SELECT count(DISTINCT s.id) FROM scans s JOIN channels c ON c.scan_id = s.id "
        "WHERE s.site = 'north' AND s.record_kind = 'image'")
    assert with_pixels and with_pixels > 0
    assert hub.scalar("SELECT count(*) FROM channels c JOIN scans s ON s.id = c.scan_id "
                      "WHERE s.site = 'south'") == 0  # south sent no pixels: nothing to embed

    summary = embed_catalog(hub.engine, NATURAL, where="site = north", workers=0)
    assert summary.embedded == with_pixels
    model_id, model_name, dim = hub.engine.connect().execute(text(
        "SELECT id, name, dim FROM embedding_models WHERE name LIKE :n"),
        {"n": f"{NATURAL}%"}).one()
    assert hub.scalar("SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id "
                      "WHERE e.model_id = :m AND s.site = 'north'", m=model_id) == with_pixels

    scan_id = str(hub.scalar("SELECT e.scan_id FROM embeddings e WHERE e.model_id = :m "
                             "ORDER BY e.scan_id LIMIT 1", m=model_id))
    found = hub.catalog.neighbors(scan_id, k=3, model=NATURAL)
    assert len(found) == min(3, with_pixels - 1) and set(found["site"]) == {"north"}

    # North now computes the same model itself and shares that vector: its INSERT meets
    # the hub's own row. The lab's vector replaces the hub's; replication goes on.
    config = hub.scalar("SELECT config::text FROM embedding_models WHERE id = :m", m=model_id)
    lab_vector = np.zeros(dim, dtype=np.float32)
    lab_vector[0] = 1.0
    with north.engine.begin() as conn:
        conn.execute(text("INSERT INTO embedding_models (name, family, dim, config) "
                          "VALUES (:n, :f, :d, CAST(:c AS jsonb)) ON CONFLICT (name) DO NOTHING"),
                     {"n": model_name, "f": NATURAL, "d": dim, "c": config})
        assert conn.execute(text("SELECT id FROM embedding_models WHERE name = :n"),
                            {"n": model_name}).scalar_one() == model_id  # ids from names
        conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                          "VALUES (:s, :m, :v)"),
                     {"s": scan_id, "m": model_id, "v": str(lab_vector.tolist())})
    first = ("SELECT subvector(vector, 1, 1)::text FROM embeddings "
             "WHERE scan_id = :s AND model_id = :m")
    wait_for(lambda: hub.scalar(first, s=scan_id, m=model_id) == "[1]",
             "the lab's vector to replace the hub's")
    assert hub.scalar("SELECT count(*) FROM embeddings WHERE model_id = :m",
                      m=model_id) == with_pixels  # replaced, not doubled
    assert _errors(fed) == errors_before

    # A later change at the lab still arrives: replication did not stop.
    north.execute("DELETE FROM embeddings WHERE scan_id = :s AND model_id = :m",
                  s=scan_id, m=model_id)
    wait_for(lambda: hub.scalar("SELECT count(*) FROM embeddings WHERE model_id = :m",
                                m=model_id) == with_pixels - 1, "the lab's delete")
    hub.execute("DELETE FROM embeddings WHERE model_id = :m", m=model_id)  # leave no trace
    assert _errors(fed) == errors_before
