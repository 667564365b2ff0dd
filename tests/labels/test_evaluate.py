"""`symcat evaluate`'s parts: a labelled folder is read with unreadable files listed, the
scores separate a good embedding from a useless one, and the catalog's labels can be
scored from stored vectors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from labels_harness import CLASSES, MODEL, Labelled

from symcat.labels.evaluate import EvaluationError, catalog_vectors, format_table, score
from symcat.labels.folder import FolderError, read_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_folder_reads_every_format_and_lists_unreadable_files(tmp_path: Path) -> None:
    from labeled_folder import write_folder

    write_folder(tmp_path, 12, seed=1, points=64)
    (tmp_path / "labels.csv").write_text((tmp_path / "labels.csv").read_text()
                                         + "missing.png,stripe\nsheet.xlsx,bubble\n")
    data = read_folder(tmp_path)
    suffixes = {Path(i.file).suffix for i in data.images}
    assert suffixes == {".png", ".tif", ".jpg", ".ibw"} and len(data.images) == 12
    assert all(a.ndim == 2 for i in data.images for a in i.channels.values())
    ibw = next(i for i in data.images if i.file.endswith(".ibw"))
    assert ibw.mode == "dart_pfm" and len(ibw.channels) > 3
    reasons = dict(data.skipped)
    assert set(reasons) == {"broken_truncated.png", "notes_not_an_image.tif", "missing.png",
                            "sheet.xlsx"}
    assert reasons["missing.png"] == "not found" and "unsupported" in reasons["sheet.xlsx"]
    with pytest.raises(FolderError, match="is not a folder"):
        read_folder(tmp_path / "nothing-here")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FolderError, match="has no labels.csv"):
        read_folder(tmp_path / "empty")


def test_scores_tell_a_good_embedding_from_noise() -> None:
    rng = np.random.default_rng(0)
    labels = [c for c in CLASSES for _ in range(30)]
    y = np.array([CLASSES.index(c) for c in labels])
    centres = rng.standard_normal((3, 24)) * 2
    good = score(centres[y] + rng.standard_normal((90, 24)), labels, "good", draws=3)
    noise = score(rng.standard_normal((90, 24)), labels, "noise", draws=3)
    assert good.svm_accuracy > 0.9 and good.precision_at_k > 0.9 and good.kmeans_ari > 0.8
    assert good.poisson["1%"]["accuracy"] > 0.9 and good.poisson["10%"]["labels"] == 9
    assert noise.svm_accuracy < 0.6 and noise.kmeans_ari < 0.2
    assert noise.poisson["10%"]["accuracy"] < 0.6
    table = format_table([good, noise])
    assert table.splitlines()[0].split()[:4] == ["model", "images", "classes", "svm_10fold"]
    with pytest.raises(EvaluationError, match="at least 2 images per class"):
        score(rng.standard_normal((3, 4)), ["a", "a", "b"], "x")


def test_catalog_labels_are_scored_from_stored_vectors(labelled: Labelled) -> None:
    cat, truth = labelled.catalog, labelled.truth
    for cls in CLASSES:
        cat.labels.label("domain_type", cls, [i for i, c in truth.items() if c == cls])
    vectors, labels, model = catalog_vectors(cat.engine, "domain_type", MODEL)
    assert len(vectors) == 30 and model == MODEL and sorted(set(labels)) == sorted(CLASSES)
    result = score(vectors, labels, model, draws=2)
    assert result.svm_accuracy > 0.9
    assert result.class_counts == {c: list(truth.values()).count(c) for c in CLASSES}
    with pytest.raises(EvaluationError, match="no scan with a 'domain_type' label"):
        catalog_vectors(cat.engine, "domain_type", MODEL, "mode = pfm")
