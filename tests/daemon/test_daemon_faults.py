"""Fault tests of the ingestion daemon: real subprocesses, a real PostgreSQL server, no mocks.

Each test drops synthetic .ibw files into watched folders and then checks the
catalog itself: every file arrived, once, complete.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

from daemon_harness import (
    DaemonProcess,
    PgServer,
    drop,
    make_files,
    query,
    scan_shas,
    sha256,
    wait_for,
)

from symcat.ingest.outbox import Outbox
from symcat.ingest.synth.dataset import generate_dataset


def _outbox(data_dir: Path) -> Outbox:
    return Outbox(data_dir / "daemon" / "outbox.sqlite3")


def test_slowly_written_file_is_ingested_once_and_complete(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """(3) A file written in chunks over ~3 s: one scan, with the final file's sha256."""
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    generate_dataset(staging, 1, seed=3, points=256)
    content = next(staging.rglob("*.ibw")).read_bytes()
    # Pauses between chunks shorter than the stability period, as Igor writing a big file.
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url,
                      extra=["--stable-seconds", "1.0"]).start()
    daemons.append(d)
    target = watched / "slow.ibw"
    chunks = 15
    step = -(-len(content) // chunks)
    with open(target, "wb") as f:
        for i in range(chunks):
            f.write(content[i * step:(i + 1) * step])
            f.flush()
            os.fsync(f.fileno())
            time.sleep(0.2)

    wait_for(lambda: len(scan_shas(catalog_url)) == 1, "the slow file to be catalogued")
    assert d.terminate() == 0
    assert scan_shas(catalog_url) == [sha256(target)]
    assert query(catalog_url, "SELECT count(*) FROM refusals") == [(0,)]
    stored = query(catalog_url, "SELECT size_bytes FROM original_files")
    assert stored == [(len(content),)]
    entries = _outbox(d.data_dir).entries()
    assert [(e.state, e.size) for e in entries] == [("done", len(content))]


def test_corrupt_files_do_not_stop_the_others(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """(5) Garbage and a truncated file in a stream of 30: 30 scans, 2 refusals, once each."""
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    good = make_files(staging, 30, seed=5)
    bad_dir = staging / "bad"
    bad_dir.mkdir()
    (bad_dir / "garbage.ibw").write_bytes(random.Random(5).randbytes(5000))
    (bad_dir / "truncated.ibw").write_bytes(good[7].read_bytes()[:3000])
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(d)
    # The bad files land in the middle of the stream.
    moved = drop(good[:15], staging, watched)
    bad = drop(sorted(bad_dir.iterdir()), staging, watched)
    moved += drop(good[15:], staging, watched)

    def finished() -> bool:
        return (len(scan_shas(catalog_url)) == 30
                and query(catalog_url, "SELECT count(*) FROM refusals") == [(2,)])

    wait_for(finished, "30 scans and 2 refusals", alive=[d])
    wait_for(lambda: d.status()["backlog"] == 0, "the outbox to drain")
    status = d.status()
    assert d.terminate() == 0

    assert sorted(scan_shas(catalog_url)) == sorted(sha256(p) for p in moved)
    refusals = dict(query(catalog_url, "SELECT source_path, reason FROM refusals"))
    assert set(refusals) == {str(p) for p in bad}
    assert all(reason for reason in refusals.values())
    entries = _outbox(d.data_dir).entries()
    refused = [e for e in entries if e.state == "refused"]
    assert sorted(e.path for e in refused) == sorted(str(p) for p in bad)
    assert all(e.attempts == 1 and e.last_error for e in refused)  # terminal, not retried
    assert status["refused"] == 2 and status["done"] == 30 and status["running"]
    events = [e["event"] for e in d.events()]
    assert events.count("file.refused") == 2 and events[-1] == "daemon.stop"


def _exactly_once(url: str, files: list[Path]) -> None:
    """The catalog holds exactly these files: each once, none missing, nothing else."""
    shas = scan_shas(url)
    assert len(shas) == len(set(shas))
    assert sorted(shas) == sorted(sha256(p) for p in files)
    assert query(url, "SELECT count(*) FROM original_files") == [(len(files),)]
    assert query(url, "SELECT count(*) FROM refusals") == [(0,)]


def test_kill_9_at_random_moments_loses_and_doubles_nothing(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """(1) 200 files; the daemon is killed with SIGKILL 10 times mid-work, then finishes."""
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    files = make_files(staging, 200, seed=1)
    expected = [watched / f.relative_to(staging) for f in files]
    # Files keep landing during the first kills, so both finding and ingesting are hit.
    batches = [files[i:i + 50] for i in range(0, 200, 50)]

    def land() -> None:
        for batch in batches:
            drop(batch, staging, watched)
            time.sleep(1.5)

    lander = threading.Thread(target=land)
    lander.start()
    rng = random.Random(1)
    progress = []
    for _ in range(10):
        d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
        daemons.append(d)
        time.sleep(rng.uniform(0.6, 2.0))
        d.kill9()
        progress.append(len(scan_shas(catalog_url)))
    lander.join()
    print("scans after each kill:", progress)

    final = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(final)
    wait_for(lambda: len(scan_shas(catalog_url)) >= 200, "all 200 files", alive=[final])
    wait_for(lambda: final.status()["backlog"] == 0, "the outbox to drain")
    assert final.terminate() == 0
    _exactly_once(catalog_url, expected)
    entries = _outbox(final.data_dir).entries()
    done = [e for e in entries if e.state == "done"]
    assert sorted(e.path for e in done) == sorted(str(p) for p in expected)  # one per file
    assert {e.state for e in entries} <= {"done"}


def test_catalog_outage_during_a_drop_loses_nothing(
    tmp_path: Path, pg: PgServer, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """(2) The database server stops while 100 files land, and starts again later."""
    staging, watched = tmp_path / "staging", tmp_path / "watched"
    watched.mkdir()
    files = make_files(staging, 100, seed=2)
    d = DaemonProcess(tmp_path / "pc", [watched], catalog_url).start()
    daemons.append(d)
    moved = drop(files[:20], staging, watched)
    wait_for(lambda: len(scan_shas(catalog_url)) >= 1, "the first files to arrive")
    pg.stop()
    try:
        for i in range(20, 100, 20):
            moved += drop(files[i:i + 20], staging, watched)
            time.sleep(0.3)
        # While the catalog is away, every file is still found and journaled.
        wait_for(lambda: len(_outbox(d.data_dir).entries()) == 100, "100 journaled files",
                 alive=[d])
        wait_for(lambda: d.status()["last_error"], "the outage to be noticed", alive=[d])
        assert d.status()["backlog"] > 0
    finally:
        pg.start()
    wait_for(lambda: len(scan_shas(catalog_url)) == 100, "all 100 files after the outage",
             alive=[d])
    wait_for(lambda: d.status()["backlog"] == 0, "the outbox to drain")
    assert d.terminate() == 0
    _exactly_once(catalog_url, moved)
    events = [e["event"] for e in d.events()]
    assert "catalog.unavailable" in events and "catalog.back" in events
    # The backlog drained in the order the files were found.
    done = [e for e in _outbox(d.data_dir).entries() if e.state == "done"]
    finished = query(catalog_url, "SELECT file_sha256 FROM original_files ORDER BY stored_at")
    assert [e.sha256 for e in done] == [row[0] for row in finished]


def test_two_daemons_on_overlapping_folders_store_each_file_once(
    tmp_path: Path, catalog_url: str, daemons: list[DaemonProcess]
) -> None:
    """(4) Two PCs' daemons share a watched folder and write into one catalog."""
    staging, root = tmp_path / "staging", tmp_path / "share"
    for name in ("a", "shared", "b"):
        (root / name).mkdir(parents=True)
    d1 = DaemonProcess(tmp_path / "pc1", [root / "a", root / "shared"], catalog_url,
                       instrument="pc-1").start()
    d2 = DaemonProcess(tmp_path / "pc2", [root / "shared", root / "b"], catalog_url,
                       instrument="pc-2").start()
    daemons.extend([d1, d2])
    moved: list[Path] = []
    for seed, name in enumerate(("a", "shared", "b")):
        files = make_files(staging / name, 40, seed=40 + seed)
        moved += drop(files, staging / name, root / name)
    wait_for(lambda: len(scan_shas(catalog_url)) == 120, "120 scans")
    wait_for(lambda: d1.status()["backlog"] == 0 and d2.status()["backlog"] == 0,
             "both outboxes to drain")
    assert d1.terminate() == 0 and d2.terminate() == 0
    _exactly_once(catalog_url, moved)
    entries = _outbox(d1.data_dir).entries() + _outbox(d2.data_dir).entries()
    assert all(e.state == "done" and e.last_error is None for e in entries), [
        (e.path, e.state, e.last_error) for e in entries if e.state != "done" or e.last_error]
    new = [e for e in entries if e.outcome == "new"]
    assert len(new) == 120  # each file was stored by exactly one of the two
    shared = [e for e in entries if "/shared/" in e.path]
    assert len(shared) == 80  # both daemons saw every shared file

