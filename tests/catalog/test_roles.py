"""The least-privilege roles, statement by statement, as the roles themselves.

symcat_ingest does the whole ingest path (store, refuse, resolve a refusal,
link a version) and fails on every statement that would change or remove
what is stored; symcat_reader reads and fails on every write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from symcat.config import Settings
from symcat.ingest.synth.dataset import generate_dataset
from symcat.pipeline import ingest_file, site_config
from symcat.store import roles
from symcat.store.engine import get_engine
from symcat.store.versions import link_previous_version

TABLES = ("original_files", "scans", "channels", "refusals", "path_versions")


def _as_role(url: str, role: str) -> Engine:
    return create_engine(make_url(url).set(username=role, password=None))


@pytest.fixture()
def role_engines(settings: Settings) -> Iterator[tuple[Engine, Engine, Engine]]:
    admin = get_engine(settings)
    with admin.begin() as conn:  # the roles may log in (trust on the test server's socket)
        roles.apply(conn, passwords={roles.INGEST_ROLE: "x", roles.READER_ROLE: "y"})
    url = settings.database_url
    assert url is not None
    ingest, reader = _as_role(url, roles.INGEST_ROLE), _as_role(url, roles.READER_ROLE)
    yield admin, ingest, reader
    ingest.dispose()
    reader.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _fails(engine: Engine, statement: str) -> str:
    with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(statement))
    return str(caught.value.orig)


def test_ingest_role_appends_and_cannot_change_or_remove(
    settings: Settings, role_engines: tuple[Engine, Engine, Engine], tmp_path: Path
) -> None:
    admin, ingest, _ = role_engines
    generate_dataset(tmp_path / "files", 2, seed=21, points=64)
    first, second = sorted((tmp_path / "files").rglob("*.ibw"))
    site = site_config(settings)
    # The whole ingest path, as symcat_ingest.
    assert ingest_file(ingest, first, site).status == "new"
    later = tmp_path / "later.ibw"
    later.write_bytes(b"half a file")  # refused...
    assert ingest_file(ingest, later, site).status == "refused"
    os.mkfifo(tmp_path / "pipe.ibw")
    for _ in range(2):  # refused twice: one refusal, seen twice (an UPDATE)
        assert ingest_file(ingest, tmp_path / "pipe.ibw", site).status == "refused"
    later.write_bytes(second.read_bytes())  # ...then complete: new, refusal resolved
    outcome = ingest_file(ingest, later, site)
    assert outcome.status == "new" and outcome.scan_id is not None
    with ingest.begin() as conn:
        link_previous_version(conn, outcome.scan_id)
    with admin.connect() as conn:
        resolved = conn.execute(text(
            "SELECT source_path, resolved_scan_id = :id FROM refusals WHERE resolved_at IS NOT "
            "NULL"), {"id": outcome.scan_id}).all()
        seen = conn.execute(text("SELECT times_seen FROM refusals WHERE resolved_at IS NULL"))
        assert [tuple(r) for r in resolved] == [(str(later), True)]
        assert [r[0] for r in seen] == [2]
    before = _counts(admin)
    with admin.connect() as conn:
        original = conn.execute(text("SELECT content FROM original_files LIMIT 1")).scalar_one()

    forbidden = [
        "UPDATE original_files SET content = '\\x00'::bytea",
        "UPDATE original_files SET file_sha256 = repeat('0', 64)",
        "UPDATE scans SET file_sha256 = repeat('0', 64)",
        "UPDATE scans SET sample_name = 'x'",
        "UPDATE scans SET document = '{}'::jsonb",
        "UPDATE scans SET source_path = 'elsewhere'",
        "UPDATE channels SET pixels_u16 = '\\x00'::bytea",
        "UPDATE channels SET min = 0",
        "UPDATE refusals SET file_sha256 = repeat('1', 64)",
        "UPDATE refusals SET site = 'x'",
        "UPDATE path_versions SET source_path = 'x'",
        *(f"DELETE FROM {t}" for t in TABLES),
        *(f"TRUNCATE {t} CASCADE" for t in TABLES),
        "DROP TABLE refusals",
        "CREATE TABLE intruder (x int)",
        "ALTER TABLE scans DISABLE TRIGGER ALL",
    ]
    for statement in forbidden:
        reason = _fails(ingest, statement)
        assert "permission denied" in reason or "must be owner" in reason, (statement, reason)
    # Marking cannot hide a refusal: only a scan of the same file or path resolves one.
    with admin.connect() as conn:
        other = conn.execute(text("SELECT id FROM scans WHERE source_path <> :p"),
                             {"p": str(later)}).scalar_one()
    for statement in (
        "UPDATE refusals SET resolved_at = now() WHERE resolved_at IS NULL",
        f"UPDATE refusals SET resolved_at = now(), resolved_scan_id = '{other}' "
        "WHERE resolved_at IS NULL",
        "UPDATE refusals SET resolved_at = NULL, resolved_scan_id = NULL",  # un-resolve
    ):
        reason = _fails(ingest, statement)
        assert "resolved" in reason, (statement, reason)
    assert _counts(admin) == before
    with admin.connect() as conn:
        assert conn.execute(text("SELECT content FROM original_files LIMIT 1")).scalar_one() \
            == original
        assert conn.execute(text("SELECT count(*) FROM refusals WHERE resolved_at IS NULL")) \
            .scalar_one() == 1


def test_reader_role_reads_only(
    settings: Settings, role_engines: tuple[Engine, Engine, Engine], tmp_path: Path
) -> None:
    admin, _, reader = role_engines
    generate_dataset(tmp_path / "files", 1, seed=22, points=64)
    ingest_file(admin, next((tmp_path / "files").rglob("*.ibw")), site_config(settings))
    before = _counts(admin)
    assert _counts(reader) == before  # every table readable
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scan_summary")).scalar_one() == 1
    forbidden = [
        *(f"DELETE FROM {t}" for t in TABLES),
        *(f"TRUNCATE {t} CASCADE" for t in TABLES),
        "UPDATE scans SET sample_name = 'x'",
        "UPDATE refusals SET times_seen = 0",
        "UPDATE original_files SET content = '\\x00'::bytea",
        "INSERT INTO refusals (id, source_path, reason, parser_version, site, instrument) "
        "VALUES (gen_random_uuid(), 'p', 'r', 'v', 's', 'i')",
        "INSERT INTO original_files (file_sha256, size_bytes, content) "
        "VALUES (repeat('2', 64), 1, '\\x00'::bytea)",
        "CREATE TABLE intruder (x int)",
    ]
    for statement in forbidden:
        reason = _fails(reader, statement)
        assert "permission denied" in reason or "must be owner" in reason, (statement, reason)
    assert _counts(admin) == before
