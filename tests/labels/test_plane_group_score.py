"""Plane-group answers scored against labels (`symcat.labels.plane_group_score`): labels
in short or full symbols, and the figures of `benchmarks/symmetry_eval.py` on answers
whose right figures are known."""

from __future__ import annotations

import numpy as np
import pytest

from symcat.labels.plane_group_score import LabelError, ece, format_score, plane_group, score


def test_labels_in_short_or_full_symbols() -> None:
    assert [plane_group(x) for x in ("p4m", "P4MM", " p2mm ", "c2mm", "p2gg", "p4gm",
                                     "p6mm", "P31M", "p3m1", "Non-periodic", "none")] == \
        ["p4m", "p4m", "pmm", "cmm", "pgg", "p4g", "p6m", "p31m", "p3m1", "none", "none"]
    for bad in ("p7", "hexagonal", ""):
        with pytest.raises(LabelError, match="is not a plane group"):
            plane_group(bad)


def _row(file: str, said: str, p: float, top3: list[str], top: str | None = None) -> dict:
    return {"file": file, "symmetry": said, "p": p, "top_group": top or top3[0],
            "top3": ", ".join(f"{g} 0.10" for g in top3), "error": None}


def test_scores_of_known_answers() -> None:
    rows = [_row("a", "p4m", 0.9, ["p4m", "p4g", "p4"]),        # right
            _row("b", "p4", 0.8, ["p4", "p4m", "p2"]),          # wrong, label in top 3
            _row("c", "none", 0.3, ["pmg", "pgg", "pmm"]),      # abstained; top group right
            _row("d", "p2", 0.95, ["p2", "p1", "pm"]),          # wrong, not in top 3
            _row("e", "none", 0.1, ["p1", "p2", "pm"]),         # non-periodic, abstained
            _row("f", "cm", 0.7, ["cm", "p1", "pm"]),           # non-periodic, answered
            {"file": "g", "error": "cannot read: junk"},        # labelled, unreadable
            _row("h", "p6", 0.99, ["p6", "p3", "p6m"])]         # no label
    labels = {"a": "p4m", "b": "p4m", "c": "pmg", "d": "pgg", "e": "none", "f": "none",
              "g": "p1"}
    out = score(rows, labels)
    assert out["scored"] == 6 and out["unread"] == ["g"] and out["unlabelled"] == 1
    s = out["periodic"]
    assert s["n"] == 4 and s["top1"] == 0.25 and s["answered"] == 0.75
    assert s["top1_if_answered"] == pytest.approx(1 / 3) and s["top3"] == 0.5
    conf, correct = np.array([0.9, 0.8, 0.3, 0.95]), np.array([1, 0, 1, 0])
    assert s["ece"] == pytest.approx(ece(conf, correct))
    assert out["non_periodic"] == {"n": 2, "none": 0.5}
    assert out["by_group"]["p4m"] == {"n": 2, "top1": 0.5, "answered": 1.0}
    assert {(m["label"], m["answer"]) for m in out["misses"]} == \
        {("p4m", "p4"), ("pmg", "none"), ("pgg", "p2")}
    text = format_score(out)
    assert "top-1 25.0%" in text and "answered 'none' 50.0%" in text and "pgg -> p2: 1" in text


def test_ece_measures_miscalibration() -> None:
    rng = np.random.default_rng(3)
    conf = rng.uniform(0.05, 1, 20000)
    calibrated = rng.uniform(0, 1, conf.size) < conf
    assert ece(conf, calibrated) < 0.02
    overconfident = rng.uniform(0, 1, conf.size) < conf - 0.2  # right 0.2 less often
    assert 0.17 < ece(conf, overconfident) < 0.21
    assert np.isnan(ece(np.array([]), np.array([])))
