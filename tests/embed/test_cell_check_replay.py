"""training/symmetry/cell_check_replay.py: a replayed answer is the extractor's own.

The replay decides dumped images again from their stored logits, lattice and cell; it is
only worth its tables if, under any settings, it answers as the extractor run afresh
with those settings does."""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import re
import sys
from pathlib import Path

import pytest

from training.symmetry import cell_check_replay as replay

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import heldout_wallpaper as heldout  # noqa: E402

# atoms scans (training's held-out family) and domain scans in the dump, besides a glyph
# and a motif of each family per cell bin (the suite's time: v19 reads them three times)
ATOMS, DOMAINS = 9, 3


@pytest.fixture(scope="module")
def dump_file(tmp_path_factory, symmetry_extractor):
    symmetry_extractor("v19")  # skips where the weights are not installed
    out = tmp_path_factory.mktemp("replay")
    replay.dump(argparse.Namespace(out=str(out), seeds=[5], glyphs=1, motifs=1, atoms=ATOMS,
                                   domains=DOMAINS, workers=0, model="v19", device="cpu"))
    return out / "v19_5.pkl"


@pytest.fixture(scope="module")
def dumped(dump_file) -> tuple[list[dict], list]:
    rows = pickle.loads(dump_file.read_bytes())["rows"]
    images = replay.images([5], 1, 1, ATOMS, DOMAINS, 0)[5]
    assert [labels["group"] for labels, _ in images] == [r["group"] for r in rows]
    return rows, [img for _, img in images]


@pytest.mark.parametrize("changes", [{}, {"min_support": None},
                                     {"agreement_min": None, "glides": False, "rescue": None}])
def test_replay_answers_as_the_extractor_does(dumped, symmetry_extractor, changes) -> None:
    """Under the dump's own settings the extractor's fresh answers are the dumped ones (the
    dump is that run), so only changed settings run the extractor again."""
    rows, images = dumped
    ex = symmetry_extractor("v19")
    ex.cell_check = dataclasses.replace(ex.cell_check, **changes)
    if changes:
        fresh = [(r.symmetry, r.reason, r.p, r.seen) for r in ex.analyse(images, workers=2)]
    else:
        fresh = [(r["symmetry"], r["reason"], r["p"], r["seen"]) for r in rows]
    others = len(heldout.MOTIFS) - 1  # the held-out families besides glyph
    assert len(rows) == len(fresh) == 1 * 4 + 1 * 4 * others + ATOMS + DOMAINS
    for row, (symmetry, reason, p, seen) in zip(rows, fresh, strict=True):
        if row["seen"] == "":
            assert seen == ""  # refused before the network, either way
            continue
        again = replay.decide_again(ex, row)
        assert (again.symmetry, again.reason) == (symmetry, reason)
        assert again.p == pytest.approx(p, abs=1e-5)


def test_replay_refuses_settings_that_change_the_measured_cell() -> None:
    with pytest.raises(SystemExit, match="cannot replay band_min_r2"):
        replay.replay(argparse.Namespace(dumps=[], set=["band_min_r2=0.8", "rescue=0.3"],
                                         model=None))


def test_replay_compares_with_the_settings_now_not_the_stored_answers(
        dumped, tmp_path, capsys) -> None:
    """A dump taken under other settings stores other answers; the replay's "before" is
    the model's answer under its settings now, so with nothing changed nothing changes."""
    rows, _ = dumped
    k = next(i for i, r in enumerate(rows) if r["seen"] and r["symmetry"] != "p3")
    stale = [dict(r) for r in rows]
    stale[k]["symmetry"] = "p3"  # as if dumped under other settings
    path = tmp_path / "v19_5.pkl"
    path.write_bytes(pickle.dumps({"model": "v19", "rows": stale}))
    replay.replay(argparse.Namespace(dumps=[str(path)], set=[], model=None))
    out = capsys.readouterr().out
    assert "1 stored answers are not the model's" in out
    assert " 1 changed" not in out and "0 changed" in out
    family = rows[k]["family"] + (" >= 8" if rows[k].get("bin") in replay.GE8 else "")
    right = sum(r["symmetry"] == r["group"] for r in rows if r["seen"] and
                r["family"] + (" >= 8" if r.get("bin") in replay.GE8 else "") == family)
    assert f"right {right} -> {right}," in out


def test_replay_as_another_version_decides_with_its_settings(
        dump_file, symmetry_extractor, capsys) -> None:
    """``--model v20`` decides a v19 dump (the same network) with v20's settings: the
    tallies are those of v20's own decisions on the stored rows."""
    rows = [r for r in pickle.loads(dump_file.read_bytes())["rows"] if r["seen"]]
    v19, v20 = symmetry_extractor("v19"), symmetry_extractor("v20")
    before = [replay.decide_again(v19, r).symmetry for r in rows]
    after = [replay.decide_again(v20, r).symmetry for r in rows]
    replay.replay(argparse.Namespace(dumps=[str(dump_file)], set=[], model="v20"))
    out = capsys.readouterr().out
    changed = sum(int(n) for n in re.findall(r"(\d+) changed", out))
    assert changed == sum(a != b for a, b in zip(before, after, strict=True))
    right = sum(int(n) for n in re.findall(r"right \d+ -> (\d+),", out))
    assert right == sum(a == r["group"] for a, r in zip(after, rows, strict=True))


def test_dump_records_the_check_settings_it_ran_under(dump_file, symmetry_extractor) -> None:
    stored = pickle.loads(dump_file.read_bytes())["cell_check"]
    assert stored == dataclasses.asdict(symmetry_extractor("v19").cell_check)
    assert stored["agreement_min"] == 0.97
