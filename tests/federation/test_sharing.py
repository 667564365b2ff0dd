"""What reaches the hub: shared scans with the parts their rules carry, nothing private."""

from __future__ import annotations

import pytest
from federation_harness import MODEL, Federation, wait_for
from sqlalchemy import text

from symcat.federation import FederationError, rules
from symcat.federation import hub as hub_mod

HUB_TABLES = ("scans", "channels", "embeddings", "original_files")


def _at_hub(hub, site: str) -> int:
    return int(hub.scalar("SELECT count(*) FROM scans WHERE site = :s", s=site))


def _private_ids(lab) -> set[str]:
    with lab.engine.connect() as conn:
        return {str(i) for i in conn.execute(text("SELECT id FROM scans WHERE NOT shared"))
                .scalars()}


def test_private_scans_and_their_parts_never_reach_the_hub(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    hub = fed.hub
    for lab in (fed.lab_a, fed.lab_b):
        private = _private_ids(lab)
        assert len(private) == 3  # the `private` folder
        with hub.engine.connect() as conn:
            for table, column in (("scans", "id"), ("channels", "scan_id"),
                                  ("embeddings", "scan_id"), ("projection_points", "scan_id")):
                found = conn.execute(text(f"SELECT count(*) FROM {table} "
                                          f"WHERE {column}::text = ANY(:ids)"),
                                     {"ids": list(private)}).scalar()
                assert found == 0, f"{table} at the hub holds private rows of {lab.name}"
            private_files = lab.scalar("SELECT array_agg(file_sha256) FROM scans WHERE NOT "
                                       "shared")
            originals = conn.execute(text("SELECT count(*) FROM original_files WHERE "
                                          "file_sha256 = ANY(:s)"), {"s": private_files}).scalar()
            assert originals == 0
            # Nothing the lab keeps to itself: refusals, rules (projections are the hub's own).
            for table in ("refusals", "sharing_rules"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_parts_follow_the_rules(hub_with_labs: Federation) -> None:
    """north shares pixels, vectors and originals; south vectors only."""
    hub = hub_with_labs.hub
    # south's only original at the hub is the file both labs hold, which north shares.
    for lab, pixels, expected_originals in ((hub_with_labs.lab_a, True, 5),
                                            (hub_with_labs.lab_b, False, 1)):
        site = lab.name
        scans = hub.scalar("SELECT count(*) FROM scans WHERE site = :s", s=site)
        assert scans == lab.scalar("SELECT count(*) FROM scans WHERE shared")
        channels = hub.scalar("SELECT count(*) FROM channels c JOIN scans s ON s.id = c.scan_id "
                              "WHERE s.site = :s AND c.thumbnail_png IS NOT NULL "
                              "AND length(c.pixels_u16) > 0", s=site)
        vectors = hub.scalar("SELECT count(*) FROM embeddings e JOIN scans s ON s.id = "
                             "e.scan_id WHERE s.site = :s", s=site)
        originals = hub.scalar("SELECT count(*) FROM original_files o JOIN scans s ON "
                               "s.file_sha256 = o.file_sha256 AND s.site = :s", s=site)
        with_vectors = lab.scalar("SELECT count(*) FROM scans s JOIN embeddings e ON "
                                  "e.scan_id = s.id WHERE s.shared")
        assert (channels > 0, vectors, originals) == (pixels, with_vectors, expected_originals)
    # The vectors kept their model: one model row, named as at the labs.
    assert hub.scalar("SELECT count(*) FROM embedding_models WHERE name = :n", n=MODEL) == 1


def test_the_same_file_at_two_labs_arrives_from_both(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    sha = fed.lab_a.scalar("SELECT s.file_sha256 FROM scans s WHERE source_path LIKE "
                           "'%/both/%'")
    assert sha == fed.lab_b.scalar("SELECT file_sha256 FROM scans WHERE source_path LIKE "
                                   "'%/both/%'")
    rows = fed.hub.scalar("SELECT array_agg(site ORDER BY site) FROM scans "
                          "WHERE file_sha256 = :h", h=sha)
    assert rows == ["north", "south"]
    assert fed.hub.scalar("SELECT count(*) FROM original_files WHERE file_sha256 = :h",
                          h=sha) == 1


def test_changing_a_rule_adds_and_removes_rows_at_the_hub(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    south, hub = fed.lab_b, fed.hub
    before = hub.scalar("SELECT count(*) FROM scans WHERE site = 'south'")
    vectors = "SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id " \
              "WHERE s.site = 'south'"
    vectors_before = hub.scalar(vectors)
    # (apply errors also count a lab going away, test_hub's outage)
    errors = "SELECT sum(apply_error_count + sync_error_count) FROM pg_stat_subscription_stats"
    errors_before = hub.scalar(errors)
    change = rules.set_rule(south.engine, "private-too", "source_path ~ private",
                            share=["embeddings"])
    assert change.changed["scans"] == 3
    wait_for(lambda: hub.scalar("SELECT count(*) FROM scans WHERE site = 'south'")
             == before + 3, "newly shared scans at the hub")
    wait_for(lambda: hub.scalar(vectors) == vectors_before + 3, "their vectors at the hub")
    rules.remove_rule(south.engine, "private-too")
    wait_for(lambda: hub.scalar("SELECT count(*) FROM scans WHERE site = 'south'") == before,
             "the scans to leave the hub again")
    assert hub.scalar(vectors) == vectors_before
    conflicts = hub.scalar("SELECT sum(confl_insert_exists + confl_update_exists + "
                           "confl_update_missing + confl_delete_missing + "
                           "confl_multiple_unique_conflicts) FROM pg_stat_subscription_stats")
    assert conflicts == 0
    assert hub.scalar(errors) == errors_before


def test_remove_with_and_without_purge(hub_with_labs: Federation) -> None:
    """Last of the federation tests (test_hub.py runs before this file): it takes the labs
    away from the session's hub, then adds one back."""
    fed = hub_with_labs
    hub = fed.hub
    kept = _at_hub(hub, "north")
    hub_mod.remove_lab(hub.engine, "north")
    assert _at_hub(hub, "north") == kept  # the rows stay, replication stops
    assert hub.scalar("SELECT count(*) FROM pg_subscription WHERE subname LIKE "
                      "'%north'") == 0
    assert fed.lab_a.scalar("SELECT count(*) FROM pg_replication_slots") == 0
    removed = hub_mod.remove_lab(hub.engine, "south", purge=True)
    assert removed["purged"]["scans"] > 0 and _at_hub(hub, "south") == 0
    with hub.engine.connect() as conn:
        orphans = conn.execute(text("SELECT count(*) FROM channels c LEFT JOIN scans s ON "
                                    "s.id = c.scan_id WHERE s.id IS NULL")).scalar()
    assert orphans == 0
    # Added again over the rows it left: refused, unless they are replaced.
    with pytest.raises(FederationError, match="still holds"):
        hub_mod.add_lab(hub.engine, fed.lab_a.url, name="north")
    hub_mod.add_lab(hub.engine, fed.lab_a.url, name="north", replace=True)
    wait_for(lambda: hub.scalar("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate "
                                "<> 'r'") == 0, "the new copy")
    assert _at_hub(hub, "north") == kept
    assert hub.scalar("SELECT sum(sync_error_count) FROM pg_stat_subscription_stats") == 0
