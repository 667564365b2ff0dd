"""Replay a model's cell check with other settings, without running the network again.

The cell check (`symcat.embed.symmetry.cell_symmetry.CellCheck`) acts after the network:
it takes the network's probabilities and what the scan's averaged cell obeys. ``dump``
runs a model once on the evaluation's images (`benchmarks/symmetry_eval.py`'s sets and
seeds: glyph, plane waves, blobs, atoms, non-periodic domains) and stores, per image,
the labels, the logits, the lattice, the views seen and the measured `CellSymmetry`.
``replay`` decides every stored image again under changed `CellCheck` settings (or under
another version of the same network: ``--model``) and
prints, by family, what changed against the model's answers under its settings now (a
dump stores the answers of the settings it was taken under, which for a model still
being tuned are not its final ones). Only settings that act on the verdict can be
replayed (``min_support``, ``min_r2``, ``glides``, ``rescue``, ``agreement_min``, ...),
not those that change which cell is measured (`MEASURING`). A setting worth shipping is
then a new version, measured with `symmetry_eval.py`.

    python -m training.symmetry.cell_check_replay dump --model v19 --seeds 17 19 \\
        --out /tmp/replay --device cuda --workers 16
    python -m training.symmetry.cell_check_replay replay /tmp/replay/*.pkl \\
        --set agreement_min=0.97 agreement_min_r2=0.8
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import symmetry_eval as evaluation  # noqa: E402

from symcat.embed.symmetry.extract import (  # noqa: E402
    WEIGHTS_DIR,
    SymmetryExtractor,
    SymmetryResult,
)
from symcat.embed.symmetry.lattice import Lattice  # noqa: E402

GE8 = ("8-16", "16-50")


def images(seeds: list[int], glyphs: int, motifs: int, atoms: int, domains: int,
           workers: int) -> dict[int, list[tuple[dict, np.ndarray]]]:
    """(labels, image) of every set, drawn as `symmetry_eval.py --seed seed` draws them.
    The held-out families of every seed come first: their workers are forked, and a fork
    hangs once this process has run torch (the atoms generator, the network)."""
    out: dict[int, list[tuple[dict, np.ndarray]]] = {seed: [] for seed in seeds}
    for seed in seeds:
        for family, (items, imgs) in evaluation.heldout_sets(seed, glyphs, motifs,
                                                             workers).items():
            out[seed] += [({"family": family, **it}, im)
                          for it, im in zip(items, imgs, strict=True)]
    for seed in seeds:
        for group, im in evaluation.atoms_images(atoms, seed + 1) if atoms else []:
            out[seed].append(({"family": "atoms", "group": group, "bin": "4-12.8"}, im))
        for cls, im in evaluation.domain_images(domains, seed + 2) if domains else []:
            out[seed].append(({"family": "domains", "group": "none", "class": cls}, im))
    return out


def dump(a: argparse.Namespace) -> None:
    Path(a.out).mkdir(parents=True, exist_ok=True)
    t = time.time()
    sets = images(a.seeds, a.glyphs, a.motifs, a.atoms, a.domains, a.workers)
    print(f"images of {len(sets)} seeds in {time.time() - t:.0f} s", flush=True)
    ex = SymmetryExtractor(WEIGHTS_DIR.parent / f"weights_{a.model}", device=a.device)
    for seed, data in sets.items():
        t = time.time()
        results = ex.analyse([im for _, im in data], workers=a.workers)
        rows = [{**labels, "seed": seed, "symmetry": r.symmetry, "p": r.p, "reason": r.reason,
                 "seen": r.seen, "lattice": r.lattice, "z": r.logits, "found": r.cell_symmetry}
                for (labels, _), r in zip(data, results, strict=True)]
        path = Path(a.out) / f"{a.model}_{seed}.pkl"
        path.write_bytes(pickle.dumps({"model": a.model, "rows": rows,
                                       "cell_check": dataclasses.asdict(ex.cell_check)}))
        right = np.mean([r["symmetry"] == r["group"] for r in rows])
        print(f"{path}: {len(rows)} images, {right:.1%} right, {time.time() - t:.0f} s",
              flush=True)


def _setting(text: str) -> tuple[str, float | bool | None]:
    key, value = text.split("=", 1)
    if value in ("true", "false"):
        return key, value == "true"
    return key, None if value == "none" else float(value)


def _support(ex: SymmetryExtractor, row: dict, group: str) -> float:
    """How well the weakest operation ``group`` needs holds in the stored cell."""
    if row["found"] is None or group == "none":
        return float("nan")
    check = ex.cell_check
    return row["found"].support(group, check.centring, check.glides, check.square_edges)


def _edge(lattice: Lattice) -> float:
    """A stored cell's shortest vector where it was dumped without one: the lattice's
    (the views' lattice; the band's cell and the refit one are near it)."""
    return min(lattice.periods) if lattice.found else float("nan")


def decide_again(ex: SymmetryExtractor, row: dict) -> SymmetryResult:
    """A dumped image's answer under ``ex``'s settings, from its stored logits, lattice,
    views and cell (the network is not run again; the features are left out)."""
    t = ex.temperature
    if row["seen"].startswith("native") and ex.native.temperature is not None:
        t = ex.native.temperature
    found = row["found"]
    if found is not None and np.isnan(found.edge_px):  # dumped before edge_px
        found = dataclasses.replace(found, edge_px=_edge(row["lattice"]))
    return ex._decide(row["lattice"], np.zeros((1, ex.dim), np.float32),
                      (row["z"] * t)[None], True, row["seen"], found)


# settings that change which cell is measured, or how (not only what is decided from it):
# a replay of stored cells cannot show them; run the model again (`symmetry_eval.py`)
MEASURING = ("tol", "supercells", "refit", "band_min_r2", "band_gain", "band_tol")


def replay(a: argparse.Namespace) -> None:
    changes = dict(_setting(s) for s in a.set)
    if measuring := sorted(set(changes) & set(MEASURING)):
        raise SystemExit(f"cannot replay {', '.join(measuring)}: they change the cell that is "
                         "measured, not only the decision; run symmetry_eval.py instead")
    extractors: dict[str, tuple[SymmetryExtractor, SymmetryExtractor]] = {}
    tally: Counter = Counter()
    stale = 0
    for path in a.dumps:
        stored = pickle.loads(Path(path).read_bytes())
        model = stored["model"]
        if model not in extractors:
            base = SymmetryExtractor(WEIGHTS_DIR.parent / f"weights_{model}", verify=False)
            ex = SymmetryExtractor(WEIGHTS_DIR.parent / f"weights_{a.model or model}",
                                   verify=False)
            ex.cell_check = dataclasses.replace(ex.cell_check, **changes)
            extractors[model] = base, ex
        base, ex = extractors[model]
        for r in stored["rows"]:
            if r["seen"] == "":
                continue  # refused before the network: nothing for the check to do
            # against the model's settings now, not the stored answer: a dump taken while
            # a setting was being chosen stored answers of other settings
            now = decide_again(base, r).symmetry
            stale += now != r["symmetry"]
            again = decide_again(ex, r)
            family = r["family"] + (" >= 8" if r.get("bin") in GE8 else "")
            before, after = now == r["group"], again.symmetry == r["group"]
            tally[family, "n"] += 1
            tally[family, "before"] += before
            tally[family, "after"] += after
            if again.symmetry != now:
                tally[family, "changed"] += 1
                print(f"  {Path(path).stem} {family:14s} {r['group']:5s} {now:5s} -> "
                      f"{again.symmetry:5s} {'+' if after else '-' if before else '='} "
                      f"r2 {r['found'].r2 if r['found'] else float('nan'):.3f} "
                      f"agreement {r['found'].agreement if r['found'] else float('nan'):.3f} "
                      f"{r['seen']}; support {r['group']} {_support(ex, r, r['group']):.2f}, "
                      f"{now} {_support(ex, r, now):.2f}")
    print(f"\nsettings {changes}")
    if stale:
        print(f"{stale} stored answers are not the model's under its settings now (dumped "
              "under others); compared with the model's settings now")
    for family in sorted({f for f, _ in tally}):
        n = tally[family, "n"]
        print(f"{family:16s} {n:5d} images: right {tally[family, 'before']} -> "
              f"{tally[family, 'after']}, {tally[family, 'changed']} changed")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="run a model once and store what the check needs")
    d.add_argument("--model", default="v19", help="vN: catalog/embed/symmetry/weights_vN")
    d.add_argument("--seeds", type=int, nargs="+", required=True)
    d.add_argument("--glyphs", type=int, default=102, help="glyph images per cells bin")
    d.add_argument("--motifs", type=int, default=34, help="plane waves and blobs per bin")
    d.add_argument("--atoms", type=int, default=170)
    d.add_argument("--domains", type=int, default=200)
    d.add_argument("--device", default="cpu")
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--out", required=True, help="folder for one pickle per seed")
    r = sub.add_parser("replay", help="decide the stored images again with other settings")
    r.add_argument("dumps", nargs="+")
    r.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="CellCheck settings to change (numbers, true/false, none)")
    r.add_argument("--model", default=None,
                   help="vN: decide with this version's settings instead of the dump's (a "
                        "version of the same network, e.g. a v31 dump as v32)")
    a = p.parse_args()
    dump(a) if a.command == "dump" else replay(a)


if __name__ == "__main__":
    main()
