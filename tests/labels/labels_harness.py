"""A real catalog for label tests: the real .ibw fixtures plus synthetic DART-PFM files of
three domain classes, ingested; the synthetic scans get vectors of a test model drawn
around one centre per class (clearly separable, so propagation results can be checked)."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text

from symcat.client import Catalog
from symcat.embed.extractors import center_normalize
from symcat.ingest.synth.dataset import generate_dataset

CLASSES = ("stripe", "bubble", "checkerboard")
MODEL = "test.labels"
DIM = 32


@dataclass
class Labelled:
    catalog: Catalog
    folder: Path
    truth: dict[uuid.UUID, str]  # synthetic scans and their true class, in file order


def add_vectors(engine: Engine, truth: dict[uuid.UUID, str], *, seed: int = 0,
                model: str = MODEL) -> None:
    """Vectors around one centre per class, drawn in the order of `truth` (the fixture's:
    by file path), so that a scan gets the same vector in every run: scan ids are random,
    and drawing in id order made the propagation tests depend on the draw."""
    rng = np.random.default_rng(seed)
    centres = {c: rng.standard_normal(DIM) * 3 for c in CLASSES}
    with engine.begin() as conn:
        model_id = conn.execute(text(
            "INSERT INTO embedding_models (name, family, dim, config) VALUES (:n, :n, :d, '{}') "
            "ON CONFLICT (name) DO UPDATE SET dim = EXCLUDED.dim RETURNING id"),
            {"n": model, "d": DIM}).scalar_one()
        ids = list(truth)
        vectors = center_normalize(np.stack(
            [centres[truth[i]] + rng.standard_normal(DIM) for i in ids])).astype(np.float32)
        conn.execute(text(
            "INSERT INTO embeddings (scan_id, model_id, vector) VALUES (:s, :m, :v) "
            "ON CONFLICT (scan_id, model_id) DO UPDATE SET vector = EXCLUDED.vector"),
            [{"s": i, "m": model_id, "v": str(v.tolist())} for i, v in zip(ids, vectors,
                                                                           strict=True)])


@pytest.fixture(scope="session")
def synth_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("labels-synth")
    generate_dataset(folder, 30, seed=3, classes=CLASSES, points=64)
    return folder


@pytest.fixture()
def labelled(catalog: Catalog, synth_folder: Path, fixtures_root: Path) -> Labelled:
    with catalog.engine.begin() as conn:
        conn.execute(text("TRUNCATE label_sets CASCADE"))
    catalog.ingest([fixtures_root, synth_folder])
    by_path = {}
    with open(synth_folder / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            by_path[str((synth_folder / row["path"]).resolve())] = row["class"]
    frame = catalog.scans(limit=None).sort_values("source_path")
    truth = {row.id: by_path[row.source_path] for row in frame.itertuples()
             if row.source_path in by_path}  # in file order: the same scans every run
    assert len(truth) == 30
    add_vectors(catalog.engine, truth)
    catalog.labels.create_set("domain_type", CLASSES)
    return Labelled(catalog, synth_folder, truth)
