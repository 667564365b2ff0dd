"""The hub: queries across labs, status, outages, schema revisions and refused additions."""

from __future__ import annotations

import pytest
from federation_harness import MODEL, Federation, wait_for

from symcat.federation import FederationError
from symcat.federation import hub as hub_mod
from symcat.federation.password import scram_verifier
from symcat.ingest.synth.dataset import generate_dataset
from symcat.pipeline import ingest_paths
from symcat.store import network as net
from symcat.store.engine import get_engine, stop_embedded
from symcat.store.migrate import head_revision


def _shared(lab) -> int:
    return int(lab.scalar("SELECT count(*) FROM scans WHERE shared"))


def _at_hub(fed: Federation, site: str) -> int:
    return int(fed.hub.scalar("SELECT count(*) FROM scans WHERE site = :s", s=site))


def test_queries_across_labs_keep_each_rows_site(hub_with_labs: Federation) -> None:
    hub = hub_with_labs.hub.catalog
    both = hub.scans()
    assert set(both["site"]) == {"north", "south"}
    north = hub.scans(where="site = north")
    assert len(north) == 5 and set(north["site"]) == {"north"}
    # kNN over both labs' vectors of one model, through the index the hub builds for them:
    # neighbours from both labs, each with its site.
    assert hub.federation.index() == [MODEL]
    assert hub.federation.index() == []
    query = hub.scans(where="site = south", limit=1)["id"].iloc[0]
    found = hub.neighbors(query, k=6, model=MODEL)
    assert len(found) == 6 and set(found["site"]) == {"north", "south"}


def test_projection_at_the_hub_covers_both_labs(hub_with_labs: Federation) -> None:
    pytest.importorskip("umap")
    hub = hub_with_labs.hub.catalog
    projection = hub.project(model=MODEL, n_neighbors=3, random_state=0, n_epochs=20)
    assert "site" in projection.columns
    sites = set(projection["site"])
    assert sites == {"north", "south"}


def test_status_reports_each_lab(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    report = {s.name: s for s in hub_mod.status(fed.hub.engine)}
    assert set(report) == {"north", "south"}
    for lab in (fed.lab_a, fed.lab_b):
        entry = report[lab.name]
        assert entry.connected and not entry.copying and entry.problem is None
        assert entry.rows["scans"] == _shared(lab) == _at_hub(fed, lab.name)
        assert entry.rows["embeddings"] == fed.hub.scalar(
            "SELECT count(*) FROM embeddings e JOIN scans s ON s.id = e.scan_id "
            "WHERE s.site = :s", s=lab.name)
        assert entry.errors == 0 and sum(entry.conflicts.values()) == 0
        assert entry.lag_bytes is not None and entry.lag_bytes >= 0
        assert entry.wal_retained_bytes is not None and entry.wal_retained_bytes >= 0
        assert entry.wal_status in ("reserved", "extended")
        assert entry.lab_revision == entry.hub_revision == head_revision()
        assert entry.newest_scan_at is not None


def test_outages_catch_up_with_nothing_lost_or_doubled(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    south, hub = fed.lab_b, fed.hub
    # The lab goes away: the hub keeps serving what it has.
    held = _at_hub(fed, "south")
    stop_embedded(south.folder)
    assert hub.catalog.count(where="site = south") == held
    # The lab comes back and changes: the hub follows.
    get_engine(south.settings)
    generate_dataset(fed.files / "south-later" / "public", 2, seed=21, points=32)
    ingest_paths(south.settings, [fed.files / "south-later"])
    wait_for(lambda: _at_hub(fed, "south") == _shared(south), "the lab's new scans")
    # The hub goes away while the lab changes: it catches up when it returns.
    stop_embedded(hub.folder)
    generate_dataset(fed.files / "south-while-hub-away" / "public", 3, seed=22, points=32)
    ingest_paths(south.settings, [fed.files / "south-while-hub-away"])
    south.execute("UPDATE scans SET operator = 'changed while away' WHERE shared")
    get_engine(hub.settings)
    wait_for(lambda: _at_hub(fed, "south") == _shared(south), "catch-up after the outage")
    wait_for(lambda: hub.scalar("SELECT count(*) FROM scans WHERE site = 'south' AND "
                                "operator = 'changed while away'") == _shared(south),
             "the lab's updates")
    ids = hub.scalar("SELECT count(DISTINCT id) = count(*) FROM scans")
    assert ids is True
    lab_ids = set(map(str, south.catalog.scans(where="site = south")["id"]))
    hub_ids = set(map(str, hub.catalog.scans(where="site = south")["id"]))
    assert hub_ids <= lab_ids and len(hub_ids) == _shared(south)


def test_schema_mismatch_is_reported_before_replication_breaks(
        hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    north = fed.lab_a
    before = fed.hub.scalar("SELECT count(*) FROM scans")
    revision = north.scalar("SELECT version_num FROM alembic_version")
    north.execute("UPDATE alembic_version SET version_num = '0099'")  # as if upgraded first
    try:
        report = {s.name: s for s in hub_mod.status(fed.hub.engine)}
        assert not report["north"].schema_ok
        assert "schema mismatch" in (report["north"].problem or "")
        with pytest.raises(FederationError, match="schema mismatch.*upgrade the hub first"):
            hub_mod.add_lab(fed.hub.engine, north.url, name="north-again")
    finally:
        north.execute("UPDATE alembic_version SET version_num = :r", r=revision)
    assert fed.hub.scalar("SELECT count(*) FROM scans") == before


def test_bad_additions_are_refused_in_one_line(hub_with_labs: Federation) -> None:
    fed = hub_with_labs
    hub = fed.hub
    before = hub.scalar("SELECT count(*) FROM scans")
    subscriptions = hub.scalar("SELECT count(*) FROM pg_subscription")
    north_url = fed.lab_a.url
    password = north_url.split(":")[2].split("@")[0]
    verifier = scram_verifier("hub-secret").replace(":", r"\:")  # not binds for text()
    hub.execute(f"ALTER ROLE postgres PASSWORD '{verifier}'")
    hub_port = net.read(hub.folder / "pgdata").port  # type: ignore[union-attr]
    cases = {
        "not a database URL": "north.example:5432",
        "cannot reach the lab": f"postgresql://u:p@127.0.0.1:{net.free_port()}/postgres",
        "refused the password": north_url.replace(password, "wrong-password"),
        "already added": north_url,
        "this hub's own database": f"postgresql://postgres:hub-secret@localhost:{hub_port}/"
                                   "postgres",
    }
    for message, url in cases.items():
        with pytest.raises(FederationError, match=message) as caught:
            hub_mod.add_lab(hub.engine, url, name="another")
        assert "\n" not in str(caught.value)
        assert password not in str(caught.value) or message == "already added"
    assert hub.scalar("SELECT count(*) FROM scans") == before
    assert hub.scalar("SELECT count(*) FROM pg_subscription") == subscriptions
