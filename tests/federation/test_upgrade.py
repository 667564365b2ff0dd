"""Schema upgrades while replication runs, and a lab whose server lacks logical WAL.

A lab and a hub start one revision behind head ("0010": 0011 adds a trigger, nothing
published changes; older revisions lack columns today's sharing code writes) and
replicate; then they are upgraded in the order docs/federation.md gives (the hub, then
the lab, then `prepare --keep-password` at the lab) while the lab keeps ingesting. Both
are reached through a database URL, as servers are: an embedded catalog would be brought
to head the moment symcat opened it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from federation_harness import Member, _member, wait_for
from sqlalchemy import text

from symcat.config import Settings
from symcat.federation import FederationError, rules
from symcat.federation import hub as hub_mod
from symcat.federation import lab as lab_mod
from symcat.ingest.synth.dataset import generate_dataset
from symcat.pipeline import ingest_paths
from symcat.store import migrate
from symcat.store.engine import database_url, get_engine, restart_embedded, stop_embedded

OLD = "0010"


def _as_server(member: Member, revision: str) -> Member:
    """Start the member's embedded server, bring its schema to `revision`, and reach it by URL
    from now on (a catalog given by URL is upgraded only when asked)."""
    url = database_url(member.settings)
    settings = Settings(database_url=url, site=member.settings.site,
                        instrument=member.settings.instrument)
    migrate.downgrade(get_engine(settings), revision)
    return Member(member.name, settings, member.folder)


def _revision(member: Member) -> str:
    return str(member.scalar("SELECT version_num FROM alembic_version"))


def _shared_ids(member: Member) -> set[str]:
    with member.engine.connect() as conn:
        return {str(i) for i in conn.execute(text("SELECT id FROM scans WHERE shared")).scalars()}


def _hub_ids(hub: Member, site: str) -> list[str]:
    with hub.engine.connect() as conn:
        return [str(i) for i in conn.execute(
            text("SELECT id FROM scans WHERE site = :s"), {"s": site}).scalars()]


def _ingest(lab: Member, files: Path, name: str, seed: int) -> None:
    generate_dataset(files / name / "public", 2, seed=seed, points=32)
    generate_dataset(files / name / "private", 1, seed=seed + 50, points=32)
    ingest_paths(lab.settings, [files / name], jobs=1)


def _arrived(lab: Member, hub: Member) -> bool:
    return sorted(_hub_ids(hub, lab.name)) == sorted(_shared_ids(lab))


def test_upgrade_in_the_documented_order_while_replicating(
        federation_root: Path, template: Path) -> None:
    root = federation_root / "upgrade"
    root.mkdir()
    files = root / "files"
    lab = _as_server(_member(root, template, "east", "east"), OLD)
    hub = _as_server(_member(root, template, "hub", "hub"), OLD)
    try:
        assert _revision(lab) == _revision(hub) == OLD != migrate.head_revision()
        rules.set_rule(lab.engine, "public", "source_path ~ public", share=["pixels"])
        _ingest(lab, files, "first", seed=31)
        url = lab_mod.prepare_lab(lab.settings).url
        hub_mod.add_lab(hub.engine, url, name="east")
        wait_for(lambda: _arrived(lab, hub), f"the initial copy at revision {OLD}")

        # 1. The hub is upgraded while the lab ingests: the lab's changes keep arriving.
        ingesting = threading.Thread(target=_ingest, args=(lab, files, "during-hub", 32))
        ingesting.start()
        migrate.upgrade(hub.engine)
        ingesting.join()
        assert _revision(hub) == migrate.head_revision() and _revision(lab) == OLD
        _ingest(lab, files, "hub-ahead", seed=33)
        wait_for(lambda: _arrived(lab, hub), "the lab's scans while the hub is ahead")
        report = {s.name: s for s in hub_mod.status(hub.engine)}["east"]
        assert report.connected and report.errors == 0
        assert not report.schema_ok and "upgrade the lab" in (report.problem or "")

        # 2. Then the lab, and its publication refreshed (the hub's password kept).
        migrate.upgrade(lab.engine)
        again = lab_mod.prepare_lab(lab.settings, keep_password=True)
        assert "@" in again.url and ":" not in again.url.split("@")[0].split("//")[1]
        _ingest(lab, files, "after", seed=34)
        wait_for(lambda: _arrived(lab, hub), "the lab's scans after both upgrades")

        ids = _hub_ids(hub, "east")
        assert len(ids) == len(set(ids)) == len(_shared_ids(lab)) == 4 * 2  # none lost/doubled
        assert hub.scalar("SELECT count(*) FROM channels c JOIN scans s ON s.id = c.scan_id "
                          "WHERE s.site = 'east'") == lab.scalar(
            "SELECT count(*) FROM channels WHERE shared")
        report = {s.name: s for s in hub_mod.status(hub.engine)}["east"]
        assert report.lab_revision == report.hub_revision == migrate.head_revision()
        assert report.schema_ok and report.problem is None
        assert report.connected and report.errors == 0 and sum(report.conflicts.values()) == 0
        assert report.rows["scans"] == len(ids)
    finally:
        for member in (hub, lab):
            stop_embedded(member.folder)


def _alter_system(member: Member, statement: str) -> None:
    with member.engine.connect() as conn:  # ALTER SYSTEM refuses a transaction block
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))


def test_a_lab_without_logical_wal_is_refused_in_one_line(
        federation_root: Path, template: Path) -> None:
    root = federation_root / "replica-wal"
    root.mkdir()
    lab = _member(root, template, "west", "west")
    hub = _member(root, template, "hub", "hub")
    try:
        url = lab_mod.prepare_lab(lab.settings).url  # TCP, a password, a publication
        _alter_system(lab, "ALTER SYSTEM SET wal_level = replica")  # overrides symcat's
        restart_embedded(lab.folder)
        assert lab.scalar("SHOW wal_level") == "replica"
        hub_engine = lab_mod.prepare_server(hub.settings)[0]
        before = [hub.scalar(f"SELECT count(*) FROM {table}")
                  for table in ("pg_subscription", "federation_labs", "scans")]
        with pytest.raises(FederationError, match="wal_level=replica") as caught:
            hub_mod.add_lab(hub_engine, url, name="west")
        message = str(caught.value)
        assert "\n" not in message and "symcat federation prepare" in message
        assert url.split(":")[2].split("@")[0] not in message  # the password stays out
        assert before == [hub.scalar(f"SELECT count(*) FROM {table}")
                          for table in ("pg_subscription", "federation_labs", "scans")]
        # What the message says to do: `prepare` at an embedded lab restarts it with logical
        # WAL, unless ALTER SYSTEM overrides that; then it says so, in one line.
        with pytest.raises(FederationError, match="ALTER SYSTEM RESET wal_level") as caught:
            lab_mod.prepare_lab(lab.settings, keep_password=True)
        assert "\n" not in str(caught.value)
        _alter_system(lab, "ALTER SYSTEM RESET wal_level")  # doing what it says works
        lab_mod.prepare_lab(lab.settings, keep_password=True)
        hub_mod.add_lab(hub_engine, url, name="west")
        assert hub.scalar("SELECT count(*) FROM federation_labs WHERE name = 'west'") == 1
    finally:
        for member in (hub, lab):
            stop_embedded(member.folder)


def test_a_lab_upgraded_first_stops_the_hub_until_the_hub_catches_up(
        federation_root: Path, template: Path) -> None:
    """docs/federation.md, upgrade order 3: a lab upgraded first publishes a column the hub
    lacks; the hub's apply worker fails and retries, status says so, and once the hub has the
    column everything arrives, once. (A column added by hand stands for a future migration.)"""
    root = federation_root / "lab-first"
    root.mkdir()
    files = root / "files"
    lab = _member(root, template, "south", "south")
    hub = _member(root, template, "hub", "hub")
    future = "ALTER TABLE scans ADD COLUMN future_note text DEFAULT 'from a later revision'"
    try:
        rules.set_rule(lab.engine, "public", "source_path ~ public", share=[])
        _ingest(lab, files, "first", seed=41)
        hub_engine = lab_mod.prepare_server(hub.settings)[0]
        hub_mod.add_lab(hub_engine, lab_mod.prepare_lab(lab.settings).url, name="south")
        wait_for(lambda: _arrived(lab, hub), "the initial copy")
        held = sorted(_hub_ids(hub, "south"))

        lab.execute(future)
        lab.execute("UPDATE alembic_version SET version_num = '0099'")
        _ingest(lab, files, "lab-ahead", seed=42)

        def failing() -> bool:
            report = {s.name: s for s in hub_mod.status(hub.engine)}["south"]
            return report.errors > 0 and "upgrade the hub first" in (report.problem or "")

        wait_for(failing, "the hub's apply error and the mismatch in status")
        assert sorted(_hub_ids(hub, "south")) == held  # nothing half-applied

        hub.execute(future)  # the hub "upgraded": the retrying worker resumes by itself
        hub.execute("UPDATE alembic_version SET version_num = '0099'")
        wait_for(lambda: _arrived(lab, hub), "the lab's scans after the hub caught up")
        ids = _hub_ids(hub, "south")
        assert len(ids) == len(set(ids)) == 4
        assert hub.scalar("SELECT count(*) FROM scans WHERE site = 'south' AND "
                          "future_note = 'from a later revision'") == 4
        report = {s.name: s for s in hub_mod.status(hub.engine)}["south"]
        assert report.schema_ok and report.problem is None and report.connected
    finally:
        for member in (hub, lab):
            stop_embedded(member.folder)
