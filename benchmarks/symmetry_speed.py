"""Symmetry prediction speed: images/s of `SymmetryExtractor.analyse` (lattice, views,
network, cell check) for two model versions on the same images, interleaved, with the
load average. What a version's cell check costs: v18's band averages one more cell for
each scan whose whole-scan cell is untrusted; v19 compares the cell's bands of scan lines
and, where the autocorrelation sees stripes, fits single waves (issue 12).

    python benchmarks/symmetry_speed.py                      # v18 against v19, CPU
    python benchmarks/symmetry_speed.py --baseline v20 --candidate v21
    python benchmarks/symmetry_speed.py --baseline v14 --candidate v16 --repeats 3
    python benchmarks/symmetry_speed.py --baseline v37 --candidate v38 --sets "real .ibw channels"

Five sets, timed apart: the evaluation's held-out periodic images (glyphs and plane
waves, 2-50 cells, half of them distorted), its scans tiled from whole-pixel cells
(`heldout_wallpaper.tiled`, v20 and v21's target) and the same styled as other generators
style them (`heldout_wallpaper.styled`, v27's), its non-periodic domain images, and every
image channel of the real .ibw files in ../shared/fixtures/ibw (where present). Also
prints how many answers differ between the two versions on each set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import LoadWatch, describe, interleave  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "ibw"


def image_sets(per_bin: int, domains: int, seed: int) -> dict[str, list[np.ndarray]]:
    """The five sets (the periodic one: ``per_bin`` glyphs and plane waves a cells bin;
    the tiled and styled ones: ``per_bin`` pixel-tiled scans a cells bin; each family's
    seed as symmetry_eval.py draws it)."""
    import heldout_wallpaper as heldout
    import symmetry_eval as se

    def drawn(*motifs: str) -> list[np.ndarray]:
        return [heldout.make(it) for motif in motifs
                for it in heldout.dataset(per_bin, se.family_seed(seed, motif), se.BINS,
                                          motif=motif)]

    sets = {"held-out periodic": drawn("glyph", "fourier"), "held-out tiled": drawn("tiled"),
            "held-out styled": drawn("styled"),
            "non-periodic domains": [img for _, img in se.domain_images(domains, seed + 2)]}
    real = fixture_images()
    if real:
        sets["real .ibw channels"] = real
    return sets


def fixture_images() -> list[np.ndarray]:
    """Every image channel of the real fixture files (none where ../shared is absent)."""
    from symcat.ingest.pictures import read_ibw_image

    out = []
    for path in sorted(FIXTURES.rglob("*.ibw")):
        try:
            channels = read_ibw_image(path).channels
        except ValueError:
            continue  # curves, refused files: not images
        out += [np.asarray(a, dtype=np.float32) for a in channels.values() if a.ndim == 2]
    return out


def _answer(model, images: list[np.ndarray], workers: int, answers: dict[str, list[str]],
            name: str) -> None:
    answers[name] = [r.symmetry for r in model.analyse(images, workers=workers)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", default="v18", help="weights_vN folder of the baseline")
    p.add_argument("--candidate", default="v19")
    p.add_argument("--per-bin", type=int, default=17, help="glyphs and plane waves a bin")
    p.add_argument("--domains", type=int, default=40)
    p.add_argument("--seed", type=int, default=41)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="processes for the lattices")
    p.add_argument("--sets", default=None,
                   help="comma-separated set names to time (default: every set)")
    a = p.parse_args()

    import torch

    from symcat.embed.symmetry.extract import WEIGHTS_V5_DIR, SymmetryExtractor

    sets = image_sets(a.per_bin, a.domains, a.seed)  # before torch's threads (forks)
    if a.sets:
        wanted = [name.strip() for name in a.sets.split(",")]
        unknown = [name for name in wanted if name not in sets]
        if unknown:
            p.error(f"--sets: no set named {', '.join(map(repr, unknown))} "
                    f"(sets: {', '.join(sets)})")
        sets = {name: sets[name] for name in wanted}
    torch.set_num_threads(2)
    models = {m: SymmetryExtractor(WEIGHTS_V5_DIR.parent / f"weights_{m}")
              for m in (a.baseline, a.candidate)}
    print(f"{', '.join(f'{len(v)} {k}' for k, v in sets.items())}; workers {a.workers}")
    for name, images in sets.items():
        answers: dict[str, list[str]] = {}
        with LoadWatch() as load:
            times = interleave({m: (lambda m=m, images=images, answers=answers:
                                    _answer(models[m], images, a.workers, answers, m))
                                for m in models}, a.repeats, load)
        rates = {m: len(images) / min(t) for m, t in times.items()}
        differ = sum(x != y for x, y in zip(*answers.values(), strict=True))
        print(f"\n{name}: {len(images)} images; {a.candidate} time / {a.baseline} time "
              f"{min(times[a.candidate]) / min(times[a.baseline]):.2f} (min), images/s "
              + ", ".join(f"{m} {r:.1f}" for m, r in rates.items())
              + f"; answers differ on {differ}{load.mark()}")
        print(describe(times, baseline=a.baseline))
        print(load.line())


if __name__ == "__main__":
    main()
