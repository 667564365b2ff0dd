"""Plane groups of images that are not in the catalog (`symcat symmetry`,
`Catalog.plane_groups`): the answers are the model's own on the same pixels, labels score
them, bad files and bad labels get one-line reasons, and a catalogued scan gets the answer
`symcat embed` stored for it."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import symcat.cli.symmetry  # noqa: F401  (registers the command)
from symcat.cli import cli
from symcat.client import Catalog
from symcat.embed.registry import available
from symcat.embed.symmetry_store import SYMMETRY_MODEL

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

pytestmark = pytest.mark.skipif(not available(SYMMETRY_MODEL),
                                reason="symmetry weights are not installed")

# folder (a full or short symbol), group, file; the held-out generator's glyph motif
IMAGES = (("p4mm", "p4m", "a.png"), ("pgg", "pgg", "b.tif"), ("p6", "p6", "c.npy"),
          ("c1m1", "cm", "d.npy"))


def _labelled_folder(root: Path) -> dict[str, np.ndarray]:
    """Four generated patterns, one per folder named for its group, in three formats, and
    one broken picture; returns the arrays as written."""
    import heldout_wallpaper as heldout

    written = {}
    for k, (folder, group, name) in enumerate(IMAGES):
        image = heldout.make({"group": group, "cells": 10.0, "size": 192, "distort": False,
                              "seed": 100 + k, "motif": "glyph"})
        (root / folder).mkdir(parents=True)
        path = root / folder / name
        if name.endswith(".png"):
            array = (np.clip(image, 0, 1) * 255).astype(np.uint8)
            Image.fromarray(array).save(path)
        elif name.endswith(".tif"):
            array = (np.clip(image, 0, 1) * 65535).astype(np.uint16)
            Image.fromarray(array).save(path)
        else:
            array = image.astype(np.float32)
            np.save(path, array)
        written[f"{folder}/{name}"] = array.astype(np.float32)
    (root / "p1").mkdir()
    (root / "p1" / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    return written


def test_answers_are_the_models_own_and_are_scored(tmp_path: Path) -> None:
    from symcat.embed.registry import get_cfg
    from symcat.embed.symmetry.extract import SymmetryExtractor

    written = _labelled_folder(tmp_path / "set")
    out = tmp_path / "answers.csv"
    result = CliRunner().invoke(cli, ["symmetry", str(tmp_path / "set"), "--folder-labels",
                                      "--out", str(out), "--no-progress", "-j", "0",
                                      "--explain"])
    assert result.exit_code == 0, result.output
    with out.open() as answers:
        rows = {r["file"]: r for r in csv.DictReader(answers)}
    assert set(rows) == {*written, "p1/junk.png"}
    assert rows["p1/junk.png"]["error"].startswith("cannot read the picture") or \
        rows["p1/junk.png"]["error"].startswith("cannot read:")
    direct = SymmetryExtractor(get_cfg(SYMMETRY_MODEL).details["weights_dir"]).analyse(
        list(written.values()), workers=2)
    for (name, _), r in zip(written.items(), direct, strict=True):
        assert rows[name]["symmetry"] == r.symmetry and \
            float(rows[name]["p"]) == pytest.approx(r.p, abs=1e-4), name
        cell = r.cell_symmetry  # the evidence shown is what the model's check measured
        assert float(rows[name]["cell_r2"]) == pytest.approx(cell.r2, abs=1e-3)
        assert rows[name]["operations"].startswith(f"2-fold {cell.rotations[2]:.2f}")
    labels = {f"{folder}/{name}": group for folder, group, name in IMAGES}
    assert all(rows[f]["label"] == g for f, g in labels.items())
    right = np.mean([rows[f]["symmetry"] == g for f, g in labels.items()])
    assert right == 1.0  # clear patterns of 10 cells: the model reads them all
    scores = json.loads(out.with_name("answers.csv.scores.json").read_text())
    assert scores["model"] == SYMMETRY_MODEL and scores["unread"] == ["p1/junk.png"]
    assert scores["periodic"]["n"] == 4 and scores["periodic"]["top1"] == right
    assert f"top-1 {right:.1%}" in result.output
    assert "p4mm/a.png" in result.output and "could not be read" in result.output
    assert result.output.count("cell explains") == 4


def test_help_names_the_default_the_store_uses() -> None:
    """The help is written from the constant the store and `classify` default to, so a new
    default cannot leave the help naming the old one (as it once said "the newest")."""
    from symcat.embed.plane_groups import symmetry_model

    text = " ".join(CliRunner().invoke(cli, ["symmetry", "--help"]).output.split())
    version = SYMMETRY_MODEL.removeprefix("symcat_symmetry.")
    assert f"Default: {version}." in text and symmetry_model(None) == SYMMETRY_MODEL


def test_bad_requests_get_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "set").mkdir()
    np.save(tmp_path / "set" / "x.npy", np.zeros((40, 40)))
    (tmp_path / "set" / "labels.csv").write_text("file,label\nx.npy,p4mm\nx.npy,p7\n")
    (tmp_path / "empty").mkdir()
    cases = [(["symmetry", str(tmp_path / "set")], "labels.csv line 3: 'p7' is not a plane group"),
             (["symmetry", str(tmp_path / "nowhere")], "no such file or folder"),
             (["symmetry", str(tmp_path / "empty")], "no image files found"),
             (["symmetry", str(tmp_path / "set" / "x.npy"), "-m", "v1"],
              "'v1' is not a plane-group model; valid: v2,"),
             (["symmetry", str(tmp_path / "set" / "x.npy"), "--out", "a.txt"],
              "give a .csv or .json file")]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code in (1, 2) and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    constant = runner.invoke(cli, ["symmetry", str(tmp_path / "set" / "x.npy"),
                                   "--format", "json", "--no-progress"])
    assert constant.exit_code == 0
    row = json.loads(constant.output)[0]
    assert row["symmetry"] == "none" and row["reason"] == "constant image"


def test_a_folders_labels_csv_of_other_labels_is_not_used(tmp_path: Path) -> None:
    """A data folder's own labels.csv may hold other labels (`symcat demo`'s holds the
    generator's domain classes): the folder is answered without scores, with a note,
    not refused over its first row."""
    (tmp_path / "set").mkdir()
    np.save(tmp_path / "set" / "x.npy", np.zeros((40, 40)))
    (tmp_path / "set" / "labels.csv").write_text("path,class\nx.npy,stripe\n")
    result = CliRunner().invoke(cli, ["symmetry", str(tmp_path / "set"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "labels.csv not used" in result.output and "'class'" in result.output
    assert "constant image" in result.output and "top-1" not in result.output
    assert "left out" not in result.output  # labels.csv is no image left out
    for name in ("a.sxm", "b.sxm", "notes.txt", ".hidden.png~"):  # other instruments' files
        (tmp_path / "set" / name).write_bytes(b"")
    others = CliRunner().invoke(cli, ["symmetry", str(tmp_path / "set"), "--no-progress"])
    assert others.exit_code == 0 and \
        "left out: 3 files of other types (.sxm 2, .txt 1)" in others.output
    insisted = CliRunner().invoke(cli, ["symmetry", str(tmp_path / "set"), "--labels",
                                        str(tmp_path / "set" / "labels.csv")])
    assert insisted.exit_code == 1 and "line 1: 'class' is not a plane group" in insisted.output


def test_a_catalogued_scan_gets_the_answer_embed_stored(catalog: Catalog,
                                                        fixtures_root: Path,
                                                        tmp_path: Path) -> None:
    from sqlalchemy import select

    from symcat.embed.symmetry_store import predict_catalog
    from symcat.store.models import SymmetryPrediction

    source = fixtures_root / "dart_pfm" / "mfp3d_dart_scan_0001.ibw"
    catalog.ingest([source])
    assert predict_catalog(catalog.engine, workers=0) == 1
    with catalog.engine.connect() as conn:
        stored = conn.execute(select(SymmetryPrediction.scan_id, SymmetryPrediction.symmetry,
                                     SymmetryPrediction.probability)).one()
    scan = {"id": [stored.scan_id], "symmetry": [stored.symmetry],
            "symmetry_p": [stored.probability]}
    pattern = np.tile(np.kron(np.eye(2), np.ones((6, 6))), (12, 12))  # p4m checkerboard
    frame = catalog.plane_groups([str(scan["id"][0]), pattern, tmp_path / "missing.png",
                                  source])
    assert list(frame["file"]) == [str(scan["id"][0]), "image 1",
                                   str(tmp_path / "missing.png"), str(source)]
    assert frame["symmetry"][0] == scan["symmetry"][0]
    assert frame["p"][0] == pytest.approx(scan["symmetry_p"][0], abs=1e-4)
    # a checkerboard of 6 px squares repeats on a square of 6 sqrt 2 px along the diagonals
    assert frame["symmetry"][1] == "p4m" and frame["gamma_deg"][1] == pytest.approx(90, abs=1)
    assert frame["period_a_px"][1] == pytest.approx(6 * 2**0.5, abs=0.05)
    assert frame["error"][2] == "cannot read: no such file or folder"
    assert frame["channel"][3] == frame["channel"][0] and not isinstance(frame["error"][3], str)
    assert frame.attrs["model"] == SYMMETRY_MODEL
    # the command line answers catalogued scans too, chosen by a filter
    url = catalog.settings.database_url
    chosen = CliRunner().invoke(cli, ["--database-url", url, "symmetry", "-w",
                                      "mode = dart_pfm", "--format", "json", "--no-progress"])
    assert chosen.exit_code == 0, chosen.output
    row = json.loads(chosen.output)[0]
    assert (row["file"], row["symmetry"]) == (str(scan["id"][0]), scan["symmetry"][0])
    assert row["channel"] == frame["channel"][0]
    nothing = CliRunner().invoke(cli, ["--database-url", url, "symmetry", "-w", "mode = ac"])
    assert nothing.exit_code == 1 and "no catalogued image scans match mode = ac" in \
        nothing.output
    for number in (np.float32(3.0), 7):  # one number, not a list of images: a row, no raise
        odd = catalog.plane_groups(number)
        assert odd["error"][0] == f"cannot read a {type(number).__name__}; give a file, an " \
            "array or a scan id"


def test_objects_that_are_no_image_get_reasons_not_exceptions() -> None:
    from symcat.embed.plane_groups import ImageInput, classify

    volume = np.zeros((2, 3, 40, 40))
    stack = np.zeros((5, 40, 40))  # five images, not one: not averaged into one
    rows = list(classify([ImageInput("volume", volume), ImageInput("stack", stack),
                          ImageInput("words", np.array([["x"] * 20] * 20)),
                          ImageInput("unread", error="cannot read: junk"),
                          ImageInput("trace", {"Height": np.zeros(30)})], workers=0))
    reasons = {r["file"]: r["error"] for r in rows}
    assert reasons == {"volume": "an array of shape (2, 3, 40, 40) is not one image "
                                 "(H x W, or colour H x W x 3)",
                       "stack": "an array of shape (5, 40, 40) is not one image "
                                "(H x W, or colour H x W x 3)",
                       "words": "an array of <U1, not numbers",
                       "unread": "cannot read: junk", "trace": "no 2-D channel to embed"}
    assert all(r["symmetry"] is None for r in rows)
