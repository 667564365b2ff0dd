"""The daemon in operation: file versions, least-privilege roles, secrets kept out of logs,
the config file, status and clean shutdown. Real subprocesses and a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from daemon_harness import DaemonProcess, drop, make_files, query, scan_shas, sha256, wait_for
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from symcat.store import roles


def test_a_replaced_file_becomes_a_new_version_linked_to_the_old(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    first, second = make_files(staging, 2, seed=7)
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(d)
    target = watched / "sample" / "scan0001.ibw"
    target.parent.mkdir()
    shutil.copyfile(first, target)
    wait_for(lambda: len(scan_shas(catalog_url)) == 1, "the first version")
    os.utime(target, ns=(0, 10**18))  # touched, same content: nothing new
    wait_for(lambda: len(_finished(d)) == 2, "the touched file to be looked at", alive=[d])
    assert [e.outcome for e in _finished(d)] == ["new", "present"]
    shutil.copyfile(second, target)  # replaced by new content at the same path
    wait_for(lambda: len(scan_shas(catalog_url)) == 2, "the second version", alive=[d])
    assert d.terminate() == 0

    rows = query(catalog_url, "SELECT id, file_sha256, previous_version_id, source_path "
                              "FROM scans")
    by_sha = {row[1]: row for row in rows}
    old, new = by_sha[sha256(first)], by_sha[sha256(second)]
    assert old[2] is None and new[2] == old[0]
    assert old[3] == new[3] == str(target)


def _finished(d: DaemonProcess) -> list:
    from symcat.ingest.outbox import Outbox

    box = Outbox(d.data_dir / "daemon" / "outbox.sqlite3")
    try:
        return [e for e in box.entries() if e.state != "pending"]
    finally:
        box.close()


def _as(url: str, role: str, password: str = "") -> str:
    return make_url(url).set(username=role, password=password or None).render_as_string(
        hide_password=False)


def test_ingest_role_ingests_but_cannot_delete_and_reader_cannot_write(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    (tmp_path / "ingest-pw").write_text("pw-ingest\n")
    (tmp_path / "reader-pw").write_text("pw-reader\n")
    env = {**os.environ, "SYMCAT_DATABASE_URL": catalog_url}
    for _ in range(2):  # safe to repeat
        made = subprocess.run(
            [sys.executable, "-m", "symcat.cli", "db", "roles",
             "--ingest-password-file", str(tmp_path / "ingest-pw"),
             "--reader-password-file", str(tmp_path / "reader-pw")],
            env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        assert "pw-ingest" not in made.stdout + made.stderr
    printed = subprocess.run([sys.executable, "-m", "symcat.cli", "db", "roles", "--sql"],
                             env=env, capture_output=True, text=True, check=True).stdout
    assert "CREATE ROLE symcat_ingest NOLOGIN" in printed
    assert "GRANT INSERT ON public.original_files" in printed
    assert "GRANT UPDATE (previous_version_id) ON public.scans" in printed
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    files = drop(make_files(staging, 5, seed=9), staging, watched)
    corrupt = watched / "corrupt.ibw"
    corrupt.write_bytes(b"not an igor file" * 100)

    secret = "Sup3r-secret-pw"  # in the URL the daemon gets; must never be logged
    ingest_url = _as(catalog_url, roles.INGEST_ROLE, secret)
    d = DaemonProcess(tmp_path / "pc", [watched], ingest_url, extra=["-v"]).start()
    daemons.append(d)
    wait_for(lambda: len(scan_shas(catalog_url)) == 5 and
             query(catalog_url, "SELECT count(*) FROM refusals") == [(1,)],
             "5 scans and 1 refusal stored by symcat_ingest")
    assert d.terminate() == 0
    assert sorted(scan_shas(catalog_url)) == sorted(sha256(p) for p in files)

    ingest = create_engine(_as(catalog_url, roles.INGEST_ROLE))
    for statement in ("DELETE FROM scans", "DELETE FROM channels", "DELETE FROM original_files",
                      "TRUNCATE scans CASCADE", "DROP TABLE refusals",
                      "CREATE TABLE intruder (x int)"):
        with ingest.connect() as conn, pytest.raises(ProgrammingError, match="denied|owner"):
            conn.execute(text(statement))
    ingest.dispose()
    reader = create_engine(_as(catalog_url, roles.READER_ROLE))
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scan_summary")).scalar_one() == 5
    for statement in ("UPDATE scans SET sample_name = 'x'", "DELETE FROM refusals",
                      "INSERT INTO refusals (id, source_path, reason, parser_version, site, "
                      "instrument) VALUES (gen_random_uuid(), 'p', 'r', 'v', 's', 'i')"):
        with reader.connect() as conn, pytest.raises(ProgrammingError, match="denied"):
            conn.execute(text(statement))
    reader.dispose()
    assert query(catalog_url, "SELECT count(*) FROM scans") == [(5,)]

    logged = d.log_file.read_text() + d.output()
    assert "file.ingested" in logged and "symcat_ingest" in logged
    assert secret not in logged


def test_password_is_not_logged_when_the_catalog_is_unreachable(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    secret = "An0ther-secret-pw"
    password_file = tmp_path / "db-password"
    password_file.write_text(secret + "\n")
    nowhere = make_url(catalog_url).set(
        query={"host": str(tmp_path / "no-server-here")}).render_as_string(hide_password=False)
    watched = tmp_path / "watched"
    watched.mkdir()
    d = DaemonProcess(tmp_path / "pc", [watched], nowhere,
                      extra=["-vv", "--database-password-file", str(password_file)]).start()
    daemons.append(d)
    (watched / "a.ibw").write_bytes(b"x" * 100)
    wait_for(lambda: any(e["event"] == "catalog.unavailable" for e in d.events()),
             "the daemon to report the catalog unavailable")
    status = d.status()
    assert d.terminate() == 0
    assert status["backlog"] == 1 and status["last_error"]
    logged = d.log_file.read_text() + d.output() + str(status)
    assert secret not in logged


def test_config_file_status_and_clean_shutdown(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    config = tmp_path / "daemon.toml"
    config.write_text(
        "[daemon]\n"
        f"watch = [{str(watched)!r}]\n"
        'site = "from-file"\ninstrument = "cypher-2"\n'
        "stable_seconds = 0.3\npoll_seconds = 0.3\n"
    )
    data_dir = tmp_path / "pc"
    env = {**os.environ, "SYMCAT_DATABASE_URL": catalog_url}
    cmd = [sys.executable, "-m", "symcat.cli", "--data-dir", str(data_dir), "daemon"]
    before = subprocess.run([*cmd, "status"], env=env, capture_output=True, text=True)
    assert before.returncode == 0 and "not running" in before.stdout

    d = DaemonProcess(data_dir, [], catalog_url, extra=["--config", str(config)],
                      defaults=False).start()
    daemons.append(d)
    files = drop(make_files(tmp_path / "staging", 3, seed=11), tmp_path / "staging", watched)
    wait_for(lambda: len(scan_shas(catalog_url)) == 3, "3 scans", alive=[d])
    second = subprocess.run([*cmd, "--config", str(config)], env=env, capture_output=True,
                            text=True, timeout=60)
    assert second.returncode != 0 and "another symcat daemon" in second.stderr
    running = subprocess.run([*cmd, "status"], env=env, capture_output=True, text=True)
    assert "running (pid" in running.stdout and "catalogued:   3" in running.stdout
    assert d.terminate() == 0
    assert {row for row in query(catalog_url, "SELECT site, instrument FROM scans")} == {
        ("from-file", "cypher-2")}
    assert sorted(scan_shas(catalog_url)) == sorted(sha256(p) for p in files)
    assert d.events()[-1]["event"] == "daemon.stop"

    bad = tmp_path / "bad.toml"
    bad.write_text('watch = ["x"]\nstable_second = 1\n')
    wrong = subprocess.run([*cmd, "--config", str(bad)], env=env, capture_output=True,
                           text=True)
    assert wrong.returncode == 2 and "unknown keys ['stable_second']" in wrong.stderr
