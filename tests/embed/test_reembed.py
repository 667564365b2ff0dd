"""Moving a catalog to the new default model: `symcat embed` killed mid-run continues where
it stopped, and kNN uses the newest default model unless told otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.embed.registry import available, default_extractor
from symcat.query.knn import UnknownModel
from symcat.store.models import Embedding, EmbeddingModel

NATIVE = "effnet_lite0_4tap_native.in1k"
pytestmark = pytest.mark.skipif(not available(NATIVE), reason="EfficientNet weights absent")


@pytest.fixture()
def mixed(catalog: Catalog, tmp_path: Path) -> Catalog:
    """Ten scans of two sizes (64 and 96 px): two shapes in each batch."""
    from symcat.ingest.synth.dataset import generate_dataset

    generate_dataset(tmp_path / "a", 6, seed=5, points=64)
    generate_dataset(tmp_path / "b", 4, seed=6, points=96)
    catalog.ingest([tmp_path / "a", tmp_path / "b"], jobs=1)
    return catalog


KILLED = "symcat-test-killed-embed"


def _wait_for_backends_to_end(catalog: Catalog, name: str, seconds: float = 30) -> None:
    """Until the server has no session left named ``name``: a client killed between
    sending COMMIT and reading the answer leaves its server side to finish the commit
    (the run stored one more vector than counted right after the kill: 7 new, not 8)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _sessions(catalog, name):
            return
        time.sleep(0.1)
    raise AssertionError(f"the killed run's sessions ({name}) did not end in {seconds} s")


def _sessions(catalog: Catalog, name: str) -> int:
    with catalog.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE application_name = :n"), {"n": name}).scalar_one()


def _stored(catalog: Catalog, family: str) -> int:
    with catalog.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Embedding).join(EmbeddingModel)
            .where(EmbeddingModel.family == family)).scalar_one()


def test_killed_embed_continues_where_it_stopped(mixed: Catalog, settings: Settings) -> None:
    # the killed run's connections carry this name, to wait for its server side to end
    env = {**os.environ, "SYMCAT_DATABASE_URL": settings.database_url or "",
           "PGAPPNAME": KILLED}
    command = [sys.executable, "-m", "symcat.cli", "embed", "--model", NATIVE, "--jobs", "0",
               "--batch-size", "1", "--no-progress"]
    total = len(mixed.scans())
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    # until two vectors are stored and the run's sessions were seen carrying the name (else
    # the wait below waits for nothing); its pooled connection stays open while it runs, but
    # on a fast machine it may store two vectors within one poll of connecting (CI did)
    named = 0
    while process.poll() is None and time.monotonic() < deadline:
        named = max(named, _sessions(mixed, KILLED))
        if named and _stored(mixed, NATIVE) >= 2:
            break
        time.sleep(0.05)
    assert named > 0, process.stderr.read().decode() if process.poll() is not None else ""
    process.send_signal(signal.SIGKILL)  # no clean-up at all: a crash, a power cut
    process.wait(timeout=30)
    _wait_for_backends_to_end(mixed, KILLED)  # a COMMIT sent just before the kill lands
    first = _stored(mixed, NATIVE)
    assert 2 <= first < total, "the run should have been stopped part-way"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{total - first} new vectors" in done.stdout
    assert f"of {total - first} scans without one" in done.stdout
    assert _stored(mixed, NATIVE) == total


def test_knn_uses_the_newest_default_unless_told(mixed: Catalog) -> None:
    default = default_extractor()
    assert default in ("symcat_combined.v2", NATIVE)
    old = mixed.embed("effnet_lite0_4tap.in1k", workers=0)
    target = mixed.scans().id[0]
    with pytest.raises(UnknownModel, match=f"run `symcat embed --model {default}`"):
        mixed.neighbors(target, k=3)  # not re-embedded yet: says what to do
    assert len(mixed.neighbors(target, k=3, model="effnet_lite0_4tap.in1k")) == 3
    new = mixed.embed(workers=0)  # `symcat embed` with no model: the new default
    assert new.embedded == len(mixed.scans()) and new.model.startswith(default + "@")
    hits = mixed.neighbors(target, k=3)
    assert hits.attrs["model"] == new.model != old.model
