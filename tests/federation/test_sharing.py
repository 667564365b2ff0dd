"""What reaches the hub: shared scans with the parts their rules carry, nothing private."""

from __future__ import annotations

from conftest import MODEL, Federation, wait_for
from sqlalchemy import text

from symcat.federation import rules

HUB_TABLES = ("scans", "channels", "embeddings", "original_files")


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
            # Nothing the lab keeps to itself: refusals, projections, rules.
            for table in ("refusals", "projections", "sharing_rules"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_parts_follow_the_rules(hub_with_labs: Federation) -> None:
    """north shares pixels, vectors and originals; south metadata only."""
    hub = hub_with_labs.hub
    # south's only original at the hub is the file both labs hold, which north shares.
    for site, parts, expected_originals in (("north", 1, 5), ("south", 0, 1)):
        scans = hub.scalar("SELECT count(*) FROM scans WHERE site = :s", s=site)
        assert scans == 5  # 4 public files + the file both labs hold
        channels = hub.scalar("SELECT count(*) FROM channels c JOIN scans s ON s.id = c.scan_id "
                              "WHERE s.site = :s AND c.thumbnail_png IS NOT NULL "
                              "AND length(c.pixels_u16) > 0", s=site)
        vectors = hub.scalar("SELECT count(*) FROM embeddings e JOIN scans s ON s.id = "
                             "e.scan_id WHERE s.site = :s", s=site)
        originals = hub.scalar("SELECT count(*) FROM original_files o JOIN scans s ON "
                               "s.file_sha256 = o.file_sha256 AND s.site = :s", s=site)
        assert (channels > 0, vectors, originals) == (bool(parts), 5 * parts, expected_originals)
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
    change = rules.set_rule(south.engine, "private-too", "source_path ~ private",
                            share=["embeddings"])
    assert change.changed["scans"] == 3
    wait_for(lambda: hub.scalar("SELECT count(*) FROM scans WHERE site = 'south'")
             == before + 3, "newly shared scans at the hub")
    wait_for(lambda: hub.scalar("SELECT count(*) FROM embeddings e JOIN scans s ON s.id = "
                                "e.scan_id WHERE s.site = 'south'") == 3,
             "their vectors at the hub")
    rules.remove_rule(south.engine, "private-too")
    wait_for(lambda: hub.scalar("SELECT count(*) FROM scans WHERE site = 'south'") == before,
             "the scans to leave the hub again")
    assert hub.scalar("SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id "
                      "WHERE s.site = 'south'") == 0
    stats = hub.scalar("SELECT sum(apply_error_count + sync_error_count) FROM "
                       "pg_stat_subscription_stats")
    assert stats == 0
