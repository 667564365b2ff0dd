"""Labels on a real catalog: they survive re-ingest and re-embedding, predictions never
replace them, filters see both, a bad CSV is refused line by line and imports nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from labels_harness import CLASSES, MODEL, Labelled, add_vectors
from sqlalchemy import text

from symcat.labels.csv_import import LabelImportError
from symcat.labels.store import LabelError
from symcat.query.filters import FilterError


def _two_per_class(data: Labelled, n: int = 2) -> dict[uuid.UUID, str]:
    chosen: dict[uuid.UUID, str] = {}
    for cls in CLASSES:
        for scan_id in [i for i, c in data.truth.items() if c == cls][:n]:  # file order
            chosen[scan_id] = cls
    return chosen


def _label(data: Labelled, chosen: dict[uuid.UUID, str]) -> None:
    for cls in CLASSES:
        data.catalog.labels.label("domain_type", cls, [i for i, c in chosen.items() if c == cls],
                                  by="tester")


def test_labels_survive_reingest_and_reembedding(labelled: Labelled, fixtures_root) -> None:
    cat = labelled.catalog
    outcome = cat.labels.label("domain_type", "stripe", where="mode = dart_pfm and kind = image",
                               by="alice")
    assert outcome.n_scans == cat.count("mode = dart_pfm and kind = image") > 10
    before = cat.labels.frame("domain_type", predictions=False)
    assert set(before["labelled_by"]) == {"alice"} and set(before["label_source"]) == {"client"}

    summary = cat.ingest([fixtures_root, labelled.folder])
    assert summary.new == 0  # nothing re-catalogued, ids unchanged
    add_vectors(cat.engine, labelled.truth, seed=9)  # new vectors for every scan
    with cat.engine.begin() as conn:  # and a model's vectors dropped and made again
        conn.execute(text("DELETE FROM embeddings WHERE model_id = "
                          "(SELECT id FROM embedding_models WHERE name = :m)"), {"m": MODEL})
    add_vectors(cat.engine, labelled.truth, seed=10)
    after = cat.labels.frame("domain_type", predictions=False)
    assert after.equals(before)


def test_predictions_never_replace_human_labels(labelled: Labelled) -> None:
    cat, truth = labelled.catalog, labelled.truth
    # Three labels a class: with two, the one wrong label below made a third of its
    # cluster's labels and Poisson learning gave the cluster to the wrong class in about
    # 4 of 10 draws of the scans' random ids (the test was flaky, not the code changed).
    chosen = _two_per_class(labelled, 3)
    # One deliberately "wrong" human label: the propagation must not overrule it.
    odd = next(i for i, c in truth.items() if c == "stripe" and i not in chosen)
    chosen[odd] = "bubble"
    _label(labelled, chosen)
    result = cat.labels.propagate("domain_type", model=MODEL, where="kind = image")
    assert result.n_labels == 10 and result.n_predicted == result.n_scans - 10

    frame = cat.labels.frame("domain_type")
    human = frame[frame["label"].notna()]
    assert dict(zip(human["scan_id"], human["label"], strict=True)) == chosen
    assert human["predicted"].isna().all()  # labelled scans get no prediction row
    assert cat.count(f"id = '{odd}' and label.domain_type = bubble") == 1
    predicted = frame[frame["predicted"].notna()]
    right = sum(truth.get(s) == p for s, p in zip(predicted["scan_id"], predicted["predicted"],
                                                   strict=True) if s in truth)
    # Mostly right despite the wrong label (chance is a third). The draw is now fixed (scans
    # and vectors in file order; in id order, random, this failed about once in 30 runs of
    # the suite): all 20 are right, and 0.8 leaves room for a changed solver.
    assert right >= 0.8 * sum(s in truth for s in predicted["scan_id"])
    assert predicted["predicted_p"].between(0, 1).all() and set(predicted["model"]) == {MODEL}

    # Relabelling and propagating again still leaves every human label as it was.
    cat.labels.label("domain_type", "stripe", [odd], by="bob")
    cat.labels.propagate("domain_type", model=MODEL, method="laplace")
    again = cat.labels.frame("domain_type")
    assert again.loc[again["scan_id"] == odd, "label"].item() == "stripe"
    assert again.loc[again["scan_id"] == odd, "labelled_by"].item() == "bob"
    assert again[again["label"].notna()]["predicted"].isna().all()
    with cat.engine.connect() as conn:
        run = conn.execute(text("SELECT method, label_snapshot, graph FROM propagation_runs "
                                "ORDER BY created_at DESC LIMIT 1")).one()
    assert run.method == "laplace" and run.label_snapshot["n_labels"] == 10
    assert run.label_snapshot["counts"]["stripe"] == 4 and run.graph["k"] == 10


def test_filters_on_labels_and_predictions(labelled: Labelled) -> None:
    cat, truth = labelled.catalog, labelled.truth
    _label(labelled, _two_per_class(labelled))
    assert cat.count("label.domain_type = stripe") == 2
    assert cat.count("label.domain_type in (stripe, bubble)") == 4
    assert cat.count("label.domain_type is not null") == 6
    cat.labels.propagate("domain_type", model=MODEL)
    bubbles = cat.scans("predicted.domain_type = bubble and predicted_p >= 0.4", limit=None)
    assert len(bubbles) >= 6 and all(truth[i] == "bubble" for i in bubbles["id"])
    assert cat.count("predicted_p.domain_type >= 0") == 24
    unlabelled = cat.count("label.domain_type is null and predicted.domain_type is not null")
    assert unlabelled == 24
    wide = cat.scans("kind = image", limit=None, with_labels=True)
    assert {"label.domain_type", "predicted.domain_type", "predicted_p.domain_type"} <= set(wide)
    assert wide["label.domain_type"].notna().sum() == 6
    queue = cat.labels.next("domain_type", 5)
    assert len(queue) == 5 and queue["uncertainty"].is_monotonic_decreasing
    assert not set(queue["id"]) & {i for i in truth if cat.count(
        f"id = '{i}' and label.domain_type is not null")}
    with pytest.raises(FilterError, match="predicted_p needs its label set"):
        cat.count("predicted_p >= 0.9")


def test_new_scans_predicted_from_neighbours(labelled: Labelled) -> None:
    cat, truth = labelled.catalog, labelled.truth
    _label(labelled, _two_per_class(labelled))
    cat.labels.propagate("domain_type", model=MODEL)
    newcomers = [i for i in truth if cat.count(
        f"id = '{i}' and label.domain_type is null")][:3]
    with cat.engine.begin() as conn:  # as if these three had just been embedded
        conn.execute(text("DELETE FROM predictions WHERE scan_id = ANY(:ids)"),
                     {"ids": newcomers})
    result = cat.labels.propagate("domain_type", model=MODEL, new_only=True)
    assert result.n_predicted == 3
    frame = cat.labels.frame("domain_type").set_index("scan_id")
    for scan_id in newcomers:
        assert frame.loc[scan_id, "predicted_how"] == "neighbours"
        assert frame.loc[scan_id, "predicted"] == truth[scan_id]


def test_csv_import_reports_bad_lines_and_imports_nothing(labelled: Labelled, tmp_path) -> None:
    cat = labelled.catalog
    frame = cat.scans("kind = image", limit=None)
    ids = list(frame["id"].astype(str))
    bad = tmp_path / "bad.csv"
    bad.write_text("scan_id,label\n"
                   f"{ids[0]},stripe\n"
                   f"{uuid.uuid4()},stripe\n"
                   f"{ids[1]},circle\n"
                   f"{ids[2]}\n"
                   "\n"
                   f"{ids[3]},bubble\n"
                   f"{ids[0]},bubble\n")
    with pytest.raises(LabelImportError) as caught:
        cat.labels.import_csv("domain_type", bad)
    assert [e.split(":")[0] for e in caught.value.errors] == ["line 3", "line 4", "line 5",
                                                              "line 8"]
    assert "not a class" in caught.value.errors[1] and "line 2" in caught.value.errors[3]
    assert cat.count("label.domain_type is not null") == 0  # nothing half-imported

    synthetic = frame[frame["id"].isin(labelled.truth)]
    twice = synthetic[synthetic["file_name"].duplicated()]["file_name"].iloc[0]
    ambiguous = tmp_path / "names.csv"
    ambiguous.write_text(f"file_name,label\n{twice},bubble\n")
    with pytest.raises(LabelImportError, match="line 2: 2 scans have file name"):
        cat.labels.import_csv("domain_type", ambiguous)

    good = tmp_path / "good.csv"
    shas = synthetic["file_sha256"].head(4)
    good.write_text("file_sha256,label\n" + "".join(f"{n.upper()},bubble\n" for n in shas))
    outcome = cat.labels.import_csv("domain_type", good, by="importer")
    assert outcome.n_rows == 4 and cat.count("label.domain_type = bubble") == 4
    assert set(cat.labels.frame("domain_type")["label_source"]) == {"csv"}


def test_bad_requests_say_what_is_wrong(labelled: Labelled) -> None:
    cat = labelled.catalog
    with pytest.raises(LabelError, match="unknown label set 'colour'.*known: domain_type"):
        cat.labels.label("colour", "red", where="kind = image")
    with pytest.raises(LabelError, match="1 scan\\(s\\) not in the catalog"):
        cat.labels.label("domain_type", "stripe", [str(uuid.uuid4())])
    with pytest.raises(LabelError, match="'spiral' is not a class"):
        cat.labels.label("domain_type", "spiral", where="kind = image")
    cat.labels.label("domain_type", "stripe", list(labelled.truth)[:1])
    with pytest.raises(LabelError, match="too few labels.*stripe 1, bubble 0"):
        cat.labels.propagate("domain_type", model=MODEL)
    assert cat.count("predicted.domain_type is not null") == 0


def _symcat(data: Labelled, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYMCAT_DATABASE_URL": data.catalog.settings.database_url or "",
           "SYMCAT_USER": "cli-user"}
    return subprocess.run([sys.executable, "-m", "symcat.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_tags_a_filter_and_refuses_bad_input_in_one_line(labelled: Labelled,
                                                            tmp_path) -> None:
    tagged = _symcat(labelled, "labels", "tag", "domain_type", "stripe", "-w",
                     "mode = dart_pfm and kind = image")
    assert tagged.returncode == 0, tagged.stderr
    n = labelled.catalog.count("mode = dart_pfm and kind = image")
    assert f"{n} scan(s), {n} changed" in tagged.stdout
    frame = labelled.catalog.labels.frame("domain_type")
    assert set(frame["labelled_by"]) == {"cli-user"} and set(frame["label_source"]) == {"cli"}

    unknown = _symcat(labelled, "labels", "tag", "colour", "red", "-w", "kind = image")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip().count("\n") == 0
    assert "unknown label set 'colour'" in unknown.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("scan_id,label\nnot-a-scan,stripe\n")
    refused = _symcat(labelled, "labels", "import", "domain_type", str(bad))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "line 2: no scan with id 'not-a-scan'" in refused.stderr
