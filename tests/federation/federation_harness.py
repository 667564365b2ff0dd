"""Two labs and a hub: three real embedded PostgreSQL servers on localhost TCP ports.

One data folder is initialised and migrated once, then copied for each server (initdb
and the migrations run once instead of three times); each copy gets its own port.
Labs ingest synthetic .ibw files (symcat.ingest.synth) from a `public` and a `private`
folder; the hub subscribes to both. Replication is awaited by polling, never by sleeping
a fixed time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text

from symcat.client import Catalog
from symcat.config import Settings
from symcat.federation import lab as lab_mod
from symcat.federation import rules
from symcat.ingest.synth.dataset import generate_dataset
from symcat.pipeline import ingest_paths
from symcat.store import network as net
from symcat.store.engine import get_engine, stop_embedded

MODEL = "test.federation"
DIM = 16
WAIT_S = 60.0


@dataclass
class Member:
    """One embedded catalog of the federation."""

    name: str
    settings: Settings
    folder: Path
    url: str = ""  # a lab's URL for the hub (with its password)

    @property
    def engine(self) -> Engine:
        return get_engine(self.settings)

    @property
    def catalog(self) -> Catalog:
        return Catalog(settings=self.settings)

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def execute(self, sql: str, **params: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Poll until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def add_vectors(member: Member, seed: int) -> None:
    """A vector for every image scan of the lab under MODEL (written like `symcat embed`)."""
    rng = np.random.default_rng(seed)
    with member.engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": MODEL, "d": DIM}).scalar_one()
        ids = conn.execute(text("SELECT id FROM scans WHERE id NOT IN (SELECT scan_id FROM "
                                "embeddings) ORDER BY id")).scalars().all()
        for scan_id in ids:
            v = rng.standard_normal(DIM)
            v /= np.linalg.norm(v)
            conn.execute(text("INSERT INTO embeddings (scan_id, model_id, vector) "
                              "VALUES (:s, :m, :v)"),
                         {"s": scan_id, "m": model_id, "v": str(v.tolist())})


@pytest.fixture(scope="session")
def federation_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="symcat-fed-test-"))
    yield root
    if not os.environ.get("SYMCAT_KEEP_TEST_FOLDERS"):  # set it to read the servers' logs
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template(federation_root: Path) -> Path:
    """A migrated, stopped embedded catalog to copy."""
    folder = federation_root / "template"
    get_engine(Settings(data_dir=folder))
    stop_embedded(folder)
    return folder


def _member(root: Path, template: Path, name: str, site: str) -> Member:
    folder = root / name
    shutil.copytree(template, folder, symlinks=True)
    _same_owners(template, folder)
    for leftover in ("postmaster.pid", ".handle_pids.json"):
        (folder / "pgdata" / leftover).unlink(missing_ok=True)
    net.enable(folder / "pgdata")  # a free localhost port, logical WAL, scram on TCP
    return Member(name, Settings(data_dir=folder, site=site, instrument=f"{name}-pc"), folder)


def _same_owners(source: Path, copy: Path) -> None:
    """copytree keeps modes, not owners; postgres runs as the data folder's owner."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    for path in [copy, *copy.rglob("*")]:
        stat = (source / path.relative_to(copy)).lstat()
        os.lchown(path, stat.st_uid, stat.st_gid)


@dataclass
class Federation:
    lab_a: Member
    lab_b: Member
    hub: Member
    files: Path  # synthetic files: <lab>/public/..., <lab>/private/..., shared/...


@pytest.fixture(scope="session")
def federation(federation_root: Path, template: Path) -> Iterator[Federation]:
    """Two labs (sites north, south) with rules sharing their `public` folder (with pixels
    vectors and originals at north, vectors only at south), one file in both labs, and a hub."""
    files = federation_root / "files"
    for lab, seed in (("north", 1), ("south", 2)):
        generate_dataset(files / lab / "public", 4, seed=seed, points=32)
        generate_dataset(files / lab / "private", 3, seed=seed + 10, points=32)
    generate_dataset(files / "both" / "public", 1, seed=99, points=32)
    members = [_member(federation_root, template, name, site)
               for name, site in (("north", "north"), ("south", "south"), ("hub", "hub"))]
    lab_a, lab_b, hub = members
    rules.set_rule(lab_a.engine, "public", "source_path ~ public",
                   share=["pixels", "embeddings", "originals"])
    rules.set_rule(lab_b.engine, "public", "source_path ~ public", share=["embeddings"])
    for member in (lab_a, lab_b):
        ingest_paths(member.settings, [files / member.name, files / "both"])
        add_vectors(member, seed=len(member.name))
        member.url = lab_mod.prepare_lab(member.settings).url
    yield Federation(lab_a, lab_b, hub, files)
    for member in members:
        stop_embedded(member.folder)


@pytest.fixture(scope="session")
def hub_with_labs(federation: Federation) -> Federation:
    """The hub subscribed to both labs, with their initial copies done."""
    from symcat.federation import hub as hub_mod

    engine = lab_mod.prepare_server(federation.hub.settings)[0]
    for lab in (federation.lab_a, federation.lab_b):
        hub_mod.add_lab(engine, lab.url, name=lab.name)
    expected = {lab.name: lab.scalar("SELECT count(*) FROM scans WHERE shared")
                for lab in (federation.lab_a, federation.lab_b)}
    wait_for(lambda: all(federation.hub.scalar("SELECT count(*) FROM scans WHERE site = :s",
                                               s=name) == n for name, n in expected.items()),
             "the initial copy of both labs")
    wait_for(lambda: federation.hub.scalar("SELECT count(*) FROM pg_subscription_rel "
                                           "WHERE srsubstate <> 'r'") == 0,
             "every table's initial copy to finish")
    return federation


def new_id() -> str:
    return str(uuid.uuid4())
