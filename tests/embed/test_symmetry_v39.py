"""symcat_symmetry.v39: v38, except that where the first reading abstains, the reading
resampled onto a more symmetric lattice answers only at p 0.9 or more
(``rectify.answer_min_p``); elsewhere it reads as v38 reads.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.embed.readings import assert_read_alike
from tests.embed.test_symmetry_v38 import DISTORTED, _distorted

ROOT = Path(__file__).resolve().parents[2]
SYMMETRY = ROOT / "catalog" / "embed" / "symmetry"
V38 = json.loads((SYMMETRY / "weights_v38" / "config.json").read_text())
V39 = json.loads((SYMMETRY / "weights_v39" / "config.json").read_text())
# the demo's c/a twin checkerboards (`symcat demo`: seed 0, 48 files) whose cells are
# found 1.15-1.19 times longer than wide: v37 abstains, v38 squares them and reads p4m
CHECKERBOARDS = ("PPLN-637_pol0002.ibw", "PPLN-637_pol0012.ibw")


def test_v39_is_v38_with_an_answer_bar() -> None:
    assert V39["rectify"] == {**V38["rectify"], "answer_min_p": 0.9}
    same = {k: v for k, v in V39.items()
            if k not in ("name", "input", "recipe_from", "rectify")}
    assert same == {k: v for k, v in V38.items()
                    if k not in ("name", "input", "recipe_from", "rectify")}


def test_distorted_scans_read_as_by_v38(stock_readings) -> None:
    """v38's gains on distorted scans (the first reading answered, wrongly) are kept.
    (v38's readings are its own tests' too: each version reads the scans once a
    session.)"""
    scans = _distorted()
    for item, old, new in zip(DISTORTED, stock_readings("v38", scans),
                              stock_readings("v39", scans), strict=True):
        assert new.symmetry == item[0]["group"]
        assert_read_alike(new, old)


@pytest.fixture(scope="module")
def checkerboards(tmp_path_factory) -> list:
    """The demo's two checkerboards, written as the demo writes them and read as
    `symcat symmetry` reads them."""
    from symcat.embed.plane_groups import pixels_of, read_inputs
    from symcat.ingest.synth.dataset import make_file, plan

    folder = tmp_path_factory.mktemp("demo")
    jobs = [job for job in plan(48, seed=0) if job.relpath.endswith(CHECKERBOARDS)]
    assert len(jobs) == 2
    for job in jobs:
        make_file(job, folder)
    paths = [(job.relpath, folder / job.relpath) for job in jobs]
    return [(pixels_of(image)[0], image.pixel_aspect) for image in read_inputs(paths)]


def test_an_unsure_second_reading_leaves_an_abstention(symmetry_extractor,
                                                       checkerboards) -> None:
    pictures = [picture for picture, _ in checkerboards]
    aspects = [pixel_aspect for _, pixel_aspect in checkerboards]
    v37, v38, v39 = (symmetry_extractor(v).analyse(pictures, pixel_aspects=aspects, workers=2)
                     for v in ("v37", "v38", "v39"))
    for first, squared, kept in zip(v37, v38, v39, strict=True):
        assert first.abstained
        assert squared.symmetry == "p4m" and squared.p < 0.9, (squared.symmetry, squared.p)
        assert kept.abstained and "rectified" not in kept.seen
        assert_read_alike(kept, first)


def test_the_bar_applies_only_where_the_first_reading_abstains(stock_readings) -> None:
    """`extract._surer` on real readings: an abstention is answered by a second reading at
    the bar or over it, not under it; an answer is replaced by a surer one whatever the
    bar (v38's rule). (The readings: v39's of the first two distorted scans.)"""
    from symcat.embed.symmetry.extract import _surer

    sure, unsure, *_ = stock_readings("v39", _distorted())
    assert not sure.abstained and not unsure.abstained and unsure.p < sure.p
    abstained = replace(unsure, symmetry="none", reason="low confidence (test)")
    assert _surer(abstained, sure, answer_min_p=sure.p) is sure
    assert _surer(abstained, sure, answer_min_p=sure.p + 1e-6) is abstained
    assert _surer(abstained, abstained, answer_min_p=0.0) is abstained
    assert _surer(unsure, sure, answer_min_p=1.1) is sure
    assert _surer(sure, unsure, answer_min_p=0.0) is sure
