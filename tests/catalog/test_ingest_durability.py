"""Pipelined ingest under SIGKILL: a file reported done is in the catalog whole; nothing is
half-written; a second run finishes the rest and stores nothing twice (issue 17).

`symcat ingest` stores file n on a second thread while it parses file n+1, in each worker
process; these tests kill the whole process group with SIGKILL mid-run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from symcat.config import Settings
from symcat.ingest.synth.dataset import generate_dataset
from symcat.pipeline import ingest_paths
from symcat.store.engine import get_engine
from symcat.store.models import Channel, OriginalFile, Scan

INGEST_AND_ACKNOWLEDGE = """
import os, sys
from symcat.config import Settings
from symcat.pipeline import ingest_paths

url, acks, folder = sys.argv[1:4]
with open(acks, "a", encoding="utf-8") as out:
    def acknowledge(outcome):
        out.write(f"{outcome.status} {outcome.file_sha256}\\n")
        out.flush()
        os.fsync(out.fileno())
    ingest_paths(Settings(database_url=url, site="test-site", instrument="test-pc"),
                 [folder], jobs=2, on_outcome=acknowledge)
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kill9")
    generate_dataset(out, 30, seed=5, points=128)
    return out


def _acknowledged(acks: Path) -> list[tuple[str, str]]:
    if not acks.exists():
        return []
    lines = acks.read_text(encoding="utf-8").splitlines()
    return [(status, sha) for status, sha in (line.split() for line in lines)]


def _kill_after(url: str, acks: Path, folder: Path, count: int) -> None:
    """Start an ingest and SIGKILL it (parent and workers) once `count` more files are
    acknowledged."""
    before = len(_acknowledged(acks))
    process = subprocess.Popen([sys.executable, "-c", INGEST_AND_ACKNOWLEDGE, url, str(acks),
                                str(folder)], start_new_session=True)
    deadline = time.monotonic() + 120
    while len(_acknowledged(acks)) < before + count and process.poll() is None:
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.005)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_kill_9_mid_run_loses_no_acknowledged_file_and_leaves_none_half_written(
    settings: Settings, folder: Path, tmp_path: Path
) -> None:
    url = settings.database_url
    assert url is not None
    acks = tmp_path / "acknowledged.txt"
    files = sorted(folder.rglob("*.ibw"))
    _kill_after(url, acks, folder, 1)
    _kill_after(url, acks, folder, 5)
    acknowledged = _acknowledged(acks)
    assert acknowledged, "nothing was acknowledged before the kills"

    engine = get_engine(settings)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Scan.file_sha256, Scan.channel_names)).all())
        channels = dict(conn.execute(select(Channel.scan_id, func.count())
                                     .group_by(Channel.scan_id)).all())
        by_sha = dict(conn.execute(select(Scan.file_sha256, Scan.id)).all())
        originals = dict(conn.execute(select(OriginalFile.file_sha256,
                                             OriginalFile.size_bytes)).all())
    for status, sha in acknowledged:  # every acknowledged file is there, whole
        assert status in ("new", "present") and sha in stored, sha
    sizes = {hashlib.sha256(p.read_bytes()).hexdigest(): p.stat().st_size for p in files}
    for sha, names in stored.items():  # no scan without its channels or its original
        assert channels.get(by_sha[sha], 0) == len(names) > 0, sha
        assert originals[sha] == sizes[sha]
    assert set(originals) == set(stored)  # no original without its scan
    assert len(stored) < len(files), "the kills came too late to interrupt anything"

    summary = ingest_paths(settings, [folder], jobs=2)  # the rest, nothing twice
    assert summary.new + summary.present == len(files) and summary.present == len(stored)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Scan)).scalar_one() == len(files)
        assert conn.execute(select(func.count()).select_from(Channel)).scalar_one() == sum(
            len(names) for names in conn.execute(select(Scan.channel_names)).scalars())
