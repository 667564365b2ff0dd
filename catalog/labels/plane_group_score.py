"""Plane-group answers scored against a scientist's labels (`symcat symmetry --labels`).

The figures are those of `benchmarks/symmetry_eval.py`, so a lab can measure a model on
its own images the way RESULTS.md measures it on generated ones: top-1 (an abstention
counts as wrong), top-1 where it answered, top-3, the expected calibration error of the
likeliest group's probability, and how often images labelled non-periodic ("none") are
answered "none". Labels may use the short plane-group symbols (p4m) or the full ones
(p4mm), in any case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from symcat.embed.symmetry.groups import GROUPS

NONE = "none"
FULL_SYMBOLS = {"p1m1": "pm", "p1g1": "pg", "c1m1": "cm", "p2mm": "pmm", "p2mg": "pmg",
                "p2gm": "pmg", "p2gg": "pgg", "c2mm": "cmm", "p4mm": "p4m", "p4gm": "p4g",
                "p6mm": "p6m", "p11m": "pm", "p11g": "pg"}
NONE_WORDS = {"none", "no lattice", "non-periodic", "nonperiodic", "aperiodic", "not periodic"}


class LabelError(ValueError):
    """A label that names no plane group."""


def plane_group(label: str) -> str:
    """A label as one of `GROUPS` or "none"; a clear error for anything else."""
    text = " ".join(label.strip().lower().split())
    if text in NONE_WORDS:
        return NONE
    text = text.replace(" ", "")
    text = FULL_SYMBOLS.get(text, text)
    if text in GROUPS:
        return text
    raise LabelError(f"{label!r} is not a plane group; use one of {', '.join(GROUPS)} "
                     f"(or full symbols such as p4mm), or 'none' for a non-periodic image")


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: bin-weighted |accuracy - confidence| (15 equal bins,
    as `benchmarks/symmetry_eval.py`)."""
    if len(conf) == 0:
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(total)


def _periodic(rows: list[dict[str, Any]], truth: list[str]) -> dict[str, Any]:
    said = np.array([r["symmetry"] for r in rows])
    top = np.array([r["top_group"] for r in rows])
    want = np.array(truth)
    answered = said != NONE
    top3 = np.array([t in [x.split()[0] for x in r["top3"].split(", ")] and a
                     for r, t, a in zip(rows, truth, answered, strict=True)])
    conf = np.array([float(r["p"]) for r in rows])
    return {"n": len(rows), "top1": float((said == want).mean()),
            "answered": float(answered.mean()),
            "top1_if_answered": float((said == want)[answered].mean()) if answered.any()
            else float("nan"),
            "top3": float(top3.mean()), "ece": ece(conf, top == want),
            "mean_p": float(conf.mean())}


def score(rows: Iterable[dict[str, Any]], labels: Mapping[str, str]) -> dict[str, Any]:
    """Scores of answered rows (`plane_groups.COLUMNS`) against ``labels`` (file -> plane
    group or "none", already `plane_group`-checked). Rows that could not be read, or whose
    file has no label, are counted apart, not scored."""
    rows = list(rows)
    scored = [r for r in rows if r.get("error") is None and r["file"] in labels]
    unread = [r["file"] for r in rows if r.get("error") is not None and r["file"] in labels]
    periodic = [r for r in scored if labels[r["file"]] != NONE]
    flat = [r for r in scored if labels[r["file"]] == NONE]
    out: dict[str, Any] = {"images": len(rows), "scored": len(scored), "unread": unread,
                           "unlabelled": sum(1 for r in rows if r["file"] not in labels)}
    if periodic:
        out["periodic"] = _periodic(periodic, [labels[r["file"]] for r in periodic])
        out["by_group"] = {}
        for group in GROUPS:
            mine = [r for r in periodic if labels[r["file"]] == group]
            if mine:
                out["by_group"][group] = {
                    "n": len(mine),
                    "top1": float(np.mean([r["symmetry"] == group for r in mine])),
                    "answered": float(np.mean([r["symmetry"] != NONE for r in mine]))}
        misses = Counter((labels[r["file"]], r["symmetry"]) for r in periodic
                         if r["symmetry"] != labels[r["file"]])
        out["misses"] = [{"label": a, "answer": b, "n": n} for (a, b), n in
                         misses.most_common()]
    if flat:
        out["non_periodic"] = {"n": len(flat), "none": float(np.mean(
            [r["symmetry"] == NONE for r in flat]))}
    return out


def format_score(result: dict[str, Any]) -> str:
    """The scores as a short text report."""
    lines = [f"scored {result['scored']} of {result['images']} images"
             + (f"; {len(result['unread'])} labelled but unreadable" if result["unread"] else "")
             + (f"; {result['unlabelled']} without a label" if result["unlabelled"] else "")]
    if "periodic" in result:
        s = result["periodic"]
        lines.append(f"periodic ({s['n']}): top-1 {s['top1']:.1%} (an abstention counts as "
                     f"wrong), answered {s['answered']:.1%}, top-1 where answered "
                     f"{s['top1_if_answered']:.1%}, top-3 {s['top3']:.1%}, "
                     f"ECE {s['ece']:.3f} (mean p {s['mean_p']:.2f})")
        groups = result["by_group"]
        lines.append("by group (top-1, n): " + ", ".join(
            f"{g} {v['top1']:.0%} ({v['n']})" for g, v in groups.items()))
        if result["misses"]:
            lines.append("misses (label -> answer: n): " + ", ".join(
                f"{m['label']} -> {m['answer']}: {m['n']}" for m in result["misses"][:12]))
    if "non_periodic" in result:
        s = result["non_periodic"]
        lines.append(f"non-periodic ({s['n']}): answered 'none' {s['none']:.1%}")
    return "\n".join(lines)
