"""Plane-group accuracy, calibration and abstention of the symmetry models (issue 12).

Whole images as a user passes them (no centre crops by the benchmark): a held-out
"glyph" generator written apart from training's (benchmarks/heldout_wallpaper.py; a
motif family and seed training never saw), 192-512 px, 2 to 50 cells across, half
with distortions; training's held-out "atoms" family; and non-periodic PFM domain
images (symcat.ingest.synth.domains), which should get "none". v1 as shipped (whole
image -> 224, no abstention), v2 (lattice -> views -> calibrated, with "none") and v3
(v2's network; lattices over 3:1 refused; temperature from 600+ validation images) and v4
(v3 plus native views enlarged 2-4x where cells are under 12 px or no lattice is found).
Also by cell edge in pixels as scanned, where small cells stop carrying their motif.

    python benchmarks/symmetry_eval.py --n-per-bin 34 --domains 40           # CPU, small
    python benchmarks/symmetry_eval.py --n-per-bin 102 --domains 200 --atoms 170 \
        --device cuda --workers 16                                             # GPU
    python benchmarks/symmetry_eval.py --n-per-bin 0 --domains 0 --atoms 0 --motifs 34 \
        --models v10,v12 --workers 2                        # the other motif families only
    python benchmarks/symmetry_eval.py ... --models v31,v32 --pixel-aspect 0.5,2
                                  # every image scanned with non-square pixels (v32 reads them)
    python benchmarks/symmetry_eval.py ... --models v33,v34 --tilt 20 --bow 2
                                  # every image on a scan's tilt and bow (v34 levels them)

top-1 counts an abstention as a miss; "answered" is the share not abstaining; ECE
(15 bins) compares the calibrated probability of the top plane group with its accuracy.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing as mp
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout_wallpaper as heldout  # noqa: E402

from symcat.embed.symmetry.extract import (  # noqa: E402
    WEIGHTS_DIR,
    WEIGHTS_V2_DIR,
    WEIGHTS_V3_DIR,
    WEIGHTS_V4_DIR,
    WEIGHTS_V5_DIR,
    SymmetryExtractor,
)
from symcat.embed.symmetry.groups import GROUPS  # noqa: E402
from symcat.labels.plane_group_score import ece  # noqa: E402  (the one users score with)

BINS = ((2, 4), (4, 8), (8, 16), (16, 50))
NON_PERIODIC = ("bubble", "labyrinth", "written_box", "featureless", "stripe")
EDGE_BINS = ((0, 6), (6, 10), (10, 20), (20, 40), (40, 1000))  # cell edge in px, as scanned


def domain_images(n: int, seed: int) -> list[tuple[str, np.ndarray]]:
    from symcat.ingest.synth.domains import random_scene, render

    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        cls = NON_PERIODIC[k % len(NON_PERIODIC)]
        points = int(rng.choice([128, 256, 512]))
        img = render(random_scene(cls, rng, points=points), rng)
        out.append((cls, img.phase1 if k % 2 else img.amplitude1))
    return out


def atoms_images(n: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """Training's held-out "atoms" family, 256 px, 4 to 12.8 cells (needs training/)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from training.symmetry.generate import generate

    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(GROUPS)
    imgs = generate(labels, "atoms", g).images[:, 0].numpy()
    return [(GROUPS[int(y)], imgs[i]) for i, y in enumerate(labels)]


def family_seed(seed: int, motif: str) -> int:
    """The seed a run of seed ``seed`` draws held-out family ``motif`` with: glyphs ``seed``,
    the other families ``seed`` + 3, + 4, ... in `heldout.MOTIFS` order."""
    if motif == "glyph":
        return seed
    return seed + 3 + [m for m in heldout.MOTIFS if m != "glyph"].index(motif)


def heldout_sets(seed: int, n_per_bin: int, motifs: int, workers: int,
                 families: tuple[str, ...] | None = None,
                 ) -> dict[str, tuple[list[dict], list[np.ndarray]]]:
    """The held-out generator's items and images of seed ``seed``: "glyph" (``n_per_bin``
    a cells bin, seed ``seed``) and, with ``motifs``, each other motif family (seed
    ``seed`` + 3, + 4, ...; only ``families`` where given). Draw them before torch runs
    in this process: their workers are forked, and the plane waves' purity check runs
    torch there, which hangs (OpenMP) once this process has run torch's thread pool."""
    items = heldout.dataset(n_per_bin, family_seed(seed, "glyph"), BINS)
    sets = {"glyph": (items, make_all(items, workers))}
    for motif in (m for m in heldout.MOTIFS if m != "glyph"):
        if motifs and (families is None or motif in families):
            more = heldout.dataset(motifs, family_seed(seed, motif), BINS, motif=motif)
            sets[motif] = (more, make_all(more, workers))
    return sets


def make_all(items: list[dict], workers: int) -> list[np.ndarray]:
    """The held-out generator's images of `items`, in `workers` processes."""
    if not workers:
        return [heldout.make(it) for it in items]
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(heldout.make, items, chunksize=4)


def summarise(rows: list[dict]) -> dict:
    if not rows:
        return {}
    ok1 = np.array([r["symmetry"] == r["group"] for r in rows])
    top_ok = np.array([r["top_group"] == r["group"] for r in rows])
    ok3 = np.array([r["group"] in r["top3"] and r["symmetry"] != "none" for r in rows])
    conf = np.array([r["p"] for r in rows])
    return {"n": len(rows), "top1": float(ok1.mean()), "top3": float(ok3.mean()),
            "top1_if_answered": float(top_ok[~np.array([r["abstained"] for r in rows])].mean())
            if not all(r["abstained"] for r in rows) else float("nan"),
            "answered": float(1 - np.mean([r["abstained"] for r in rows])),
            "ece": ece(conf, top_ok), "mean_p": float(conf.mean())}


def run_model(ex: SymmetryExtractor, images: list[np.ndarray], workers: int,
              aspects: list[float] | None = None) -> list[dict]:
    res = ex.analyse(images, workers=workers, pixel_aspects=aspects)
    return [{"symmetry": r.symmetry, "top_group": r.top_group, "p": r.p,
             "top3": [g for g, _ in r.top3], "abstained": r.abstained,
             "reason": r.reason, "periods": sorted(r.lattice.periods) if r.lattice.found
             else None} for r in res]


def table(title: str, groups: dict[str, dict[str, dict]], models: list[str]) -> str:
    lines = [f"\n**{title}**\n", "| | " + " | ".join(
        f"{m} top-1 | {m} top-3 | {m} ECE | {m} answered" for m in models) + " | n |",
        "|---|" + "---|" * (4 * len(models) + 1)]
    for key, per in groups.items():
        cells = []
        for m in models:
            s = per.get(m, {})
            cells += [f"{s.get('top1', float('nan')):.1%}", f"{s.get('top3', float('nan')):.1%}",
                      f"{s.get('ece', float('nan')):.3f}", f"{s.get('answered', float('nan')):.0%}"]
        n = next(iter(per.values())).get("n", 0)
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {n} |")
    return "\n".join(lines)


def scanned_with(images: list[np.ndarray], lo: float, hi: float, seed: int,
                 ) -> tuple[list[np.ndarray], list[float]]:
    """``images`` as scanned with non-square pixels: each a pixel aspect (height over
    width) drawn log-uniformly from [lo, hi], its rows resampled to 1/aspect as many (a
    scan of 512 points and 256 lines over a square area has aspect 2), and the aspects,
    which the scan's metadata would give."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    aspects = [float(np.exp(rng.uniform(np.log(lo), np.log(hi)))) for _ in images]
    return [ndimage.zoom(np.asarray(im, np.float32), (1 / a,) + (1,) * (np.ndim(im) - 1),
                         order=1, mode="nearest", grid_mode=True)
            for im, a in zip(images, aspects, strict=True)], aspects


def enlarged(images: list[np.ndarray], factor: int) -> list[np.ndarray]:
    """Every image with each pixel repeated ``factor`` times along both axes (a picture
    enlarged for show by nearest-neighbour scaling)."""
    return [np.repeat(np.repeat(np.asarray(im), factor, axis=0), factor, axis=1)
            for im in images]


def resized(images: list[np.ndarray], factor: float) -> list[np.ndarray]:
    """Every image enlarged ``factor`` times by bilinear interpolation (Pillow, per
    channel; a picture exported or shown at a larger size, or a generator's output resized
    to a fixed one): cells ``factor`` times wider, blurred between the old pixels, and the
    interpolation's images of the pattern's finest harmonics in the spectrum beside it."""
    from PIL import Image

    out = []
    for im in images:
        a = np.asarray(im, np.float32)
        size = (round(a.shape[1] * factor), round(a.shape[0] * factor))
        planes = [a] if a.ndim == 2 else [a[..., c] for c in range(a.shape[-1])]
        big = [np.asarray(Image.fromarray(np.ascontiguousarray(x), mode="F").resize(
            size, Image.BILINEAR), np.float32) for x in planes]
        out.append(big[0] if a.ndim == 2 else np.stack(big, axis=-1))
    return out


def framed(images: list[np.ndarray], frac: float) -> list[np.ndarray]:
    """``images`` inside a flat margin ``frac`` of each side wide on every side, at the
    image's brightest value (a figure saved with its white surround, a pattern padded to
    a square): what a picture from another program may hold around the pattern."""
    out = []
    for im in images:
        im = np.asarray(im)
        ph, pw = int(round(im.shape[0] * frac)), int(round(im.shape[1] * frac))
        pad = ((ph, ph), (pw, pw)) + ((0, 0),) * (im.ndim - 2)
        out.append(np.pad(im, pad, mode="constant", constant_values=im.max()))
    return out


def stopped(images: list[np.ndarray], frac: float) -> list[np.ndarray]:
    """``images`` whose last ``frac`` of rows are NaN: scans stopped early, their
    unscanned lines left empty (the rows scanned keep their size)."""
    out = []
    for im in images:
        im = np.array(im, dtype=np.float32)
        im[im.shape[0] - int(round(im.shape[0] * frac)):] = np.nan
        out.append(im)
    return out


def _grey_and_range(image: np.ndarray) -> tuple[np.ndarray, float]:
    """``image`` as float64 grey values (a colour picture's mean) and their range."""
    from symcat.embed.symmetry.lattice import as_grey

    grey = as_grey(image) if np.ndim(image) == 3 else np.asarray(image, dtype=np.float64)
    return grey, float(np.nanmax(grey) - np.nanmin(grey))


def tilted(images: list[np.ndarray], frac: float, bow: float = 0.0, seed: int = 0,
           ) -> list[np.ndarray]:
    """``images`` on a background, as a probe's raw heights have one: a plane rising
    ``frac`` times the image's range across its longer side, in a direction drawn at
    random, plus a bow (a paraboloid about the centre) rising ``bow`` times the range from
    the centre to the middle of each side (colour pictures: their grey values)."""
    rng = np.random.default_rng(seed)
    out = []
    for im in images:
        grey, spread = _grey_and_range(im)
        h, w = grey.shape
        y, x = (np.mgrid[0:h, 0:w] - np.array([(h - 1) / 2, (w - 1) / 2])[:, None, None]) \
            / max(h - 1, w - 1, 1)
        angle = rng.uniform(0, 2 * np.pi)
        out.append((grey + spread * (frac * (np.cos(angle) * x + np.sin(angle) * y)
                                     + bow * 4 * (x**2 + y**2))).astype(np.float32))
    return out


def offset_lines(images: list[np.ndarray], sigma: float, seed: int = 0) -> list[np.ndarray]:
    """``images`` whose every row is offset by a normal draw of ``sigma`` times the
    image's range, as a probe's scan lines are where the feedback drifts between them
    (colour pictures: their grey values)."""
    rng = np.random.default_rng(seed)
    out = []
    for im in images:
        grey, spread = _grey_and_range(im)
        out.append((grey + rng.normal(0, sigma * spread, (grey.shape[0], 1)))
                   .astype(np.float32))
    return out


def noisy(images: list[np.ndarray], sigma: float, seed: int = 0) -> list[np.ndarray]:
    """``images`` with white noise added, a normal draw of ``sigma`` times the image's
    range at every pixel, as a probe's detector adds it (colour pictures: their grey
    values)."""
    rng = np.random.default_rng(seed)
    out = []
    for im in images:
        grey, spread = _grey_and_range(im)
        out.append((grey + rng.normal(0, sigma * spread, grey.shape)).astype(np.float32))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-per-bin", type=int, default=34, help="glyph images per cells bin")
    p.add_argument("--domains", type=int, default=40, help="non-periodic domain images")
    p.add_argument("--atoms", type=int, default=68, help="training's held-out atoms images")
    p.add_argument("--motifs", type=int, default=0, metavar="N",
                   help="also N images per cells bin of each other held-out motif family "
                        "(fourier, gaussian, tiled, styled: heldout_wallpaper.MOTIFS), "
                        "reported apart")
    p.add_argument("--families", help="with --motifs, only these families (comma-separated)")
    p.add_argument("--seed", type=int, default=20261130)
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=0, help="processes for images and lattices")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--v1", default=str(WEIGHTS_DIR))
    p.add_argument("--v2", default=str(WEIGHTS_V2_DIR))
    p.add_argument("--v3", default=str(WEIGHTS_V3_DIR))
    p.add_argument("--v4", default=str(WEIGHTS_V4_DIR))
    p.add_argument("--v5", default=str(WEIGHTS_V5_DIR))
    p.add_argument("--v6", default=str(WEIGHTS_V5_DIR.parent / "weights_v6"),
                   help="a version exported by device_finetune.sh (not shipped)")
    p.add_argument("--models", default="v1,v2,v3,v4",
                   help="which of v1 to v6 to run (vN beyond: catalog/embed/symmetry/"
                        "weights_vN, as device_finetune.sh exports it)")
    p.add_argument("--extra", nargs="*", default=[], metavar="NAME=FOLDER",
                   help="more configurations to compare (a folder with a config.json)")
    p.add_argument("--pixel-aspect", metavar="LO,HI",
                   help="scan every image with non-square pixels: an aspect (height over "
                        "width) drawn from [LO, HI] each, its rows resampled, the aspect "
                        "handed to the model as a scan's metadata would (v32 reads it)")
    p.add_argument("--enlarge", type=int, default=0, metavar="K",
                   help="repeat every pixel K times along both axes (a picture enlarged "
                        "for show; before every other change)")
    p.add_argument("--resize", type=float, default=0.0, metavar="K",
                   help="enlarge every image K times by bilinear interpolation (a picture "
                        "exported at a larger size; after --enlarge)")
    p.add_argument("--margin", type=float, metavar="FRAC",
                   help="frame every image in a flat margin FRAC of its side wide, at its "
                        "brightest value (a figure's white surround)")
    p.add_argument("--stopped", type=float, metavar="FRAC",
                   help="make the last FRAC of every image's rows NaN (a scan stopped "
                        "early; after --margin)")
    p.add_argument("--tilt", type=float, default=0.0, metavar="FRAC",
                   help="put every image on a plane rising FRAC times its range across it, "
                        "in a random direction (a scan's tilt; after --margin)")
    p.add_argument("--bow", type=float, default=0.0, metavar="FRAC",
                   help="and on a bow rising FRAC times its range from the centre to each "
                        "side's middle (a scanner's arc)")
    p.add_argument("--line-offsets", type=float, default=0.0, metavar="SIGMA",
                   help="offset every image's rows by normal draws of SIGMA times its range "
                        "(scan lines out of step; after --tilt)")
    p.add_argument("--noise", type=float, default=0.0, metavar="SIGMA",
                   help="add white noise of SIGMA times each image's range to every pixel "
                        "(a detector's noise; after --line-offsets)")
    p.add_argument("--json", help="also write every figure here")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    load0 = os.getloadavg()
    t0 = time.time()
    if a.resize < 0:
        p.error(f"--resize {a.resize:g}: the factor must be positive (2 doubles each side)")
    families = tuple(a.families.split(",")) if a.families else None
    unknown = set(families or ()) - set(heldout.MOTIFS)
    if unknown:
        p.error(f"unknown families {', '.join(sorted(unknown))}; known: "
                f"{', '.join(m for m in heldout.MOTIFS if m != 'glyph')}")
    others = heldout_sets(a.seed, a.n_per_bin, a.motifs, a.workers, families)  # before atoms
    items, glyphs = others.pop("glyph")
    atoms = atoms_images(a.atoms, a.seed + 1) if a.atoms else []
    domains = domain_images(a.domains, a.seed + 2)
    g_asp: list[float] | None = None
    a_asp: list[float] | None = None
    d_asp: list[float] | None = None
    o_asp: dict[str, list[float] | None] = dict.fromkeys(others)
    if a.pixel_aspect:
        lo, hi = (float(x) for x in a.pixel_aspect.split(","))
        glyphs, g_asp = scanned_with(glyphs, lo, hi, a.seed + 5)
        scanned, a_asp = scanned_with([im for _, im in atoms], lo, hi, a.seed + 6)
        atoms = [(g, im) for (g, _), im in zip(atoms, scanned, strict=True)]
        scanned, d_asp = scanned_with([im for _, im in domains], lo, hi, a.seed + 7)
        domains = [(c, im) for (c, _), im in zip(domains, scanned, strict=True)]
        for i, (motif, (more, imgs)) in enumerate(others.items()):
            imgs, o_asp[motif] = scanned_with(imgs, lo, hi, a.seed + 8 + i)
            others[motif] = (more, imgs)
    changes = ((functools.partial(enlarged, factor=a.enlarge), a.enlarge > 1),
               (functools.partial(resized, factor=a.resize), a.resize and a.resize != 1),
               (functools.partial(framed, frac=a.margin), a.margin),
               (functools.partial(tilted, frac=a.tilt, bow=a.bow, seed=a.seed + 9),
                a.tilt or a.bow),
               (functools.partial(offset_lines, sigma=a.line_offsets, seed=a.seed + 10),
                a.line_offsets),
               (functools.partial(noisy, sigma=a.noise, seed=a.seed + 11), a.noise),
               (functools.partial(stopped, frac=a.stopped), a.stopped))
    for each, wanted in changes:
        if wanted:
            glyphs = each(glyphs)
            atoms = list(zip([g for g, _ in atoms], each([im for _, im in atoms]), strict=True))
            domains = list(zip([c for c, _ in domains], each([im for _, im in domains]),
                               strict=True))
            others = {m: (more, each(imgs)) for m, (more, imgs) in others.items()}
    print(f"data: {len(glyphs)} glyph, {len(atoms)} atoms, {len(domains)} domain images"
          + "".join(f", {len(v[0])} {m}" for m, v in others.items())
          + f" in {time.time() - t0:.0f} s", flush=True)
    folders = {"v1": a.v1, "v2": a.v2, "v3": a.v3, "v4": a.v4, "v5": a.v5, "v6": a.v6}
    folders.update(e.split("=", 1) for e in a.extra)
    names_ = [*a.models.split(","), *(e.split("=", 1)[0] for e in a.extra)]
    models = {m: SymmetryExtractor(folders.get(m, str(WEIGHTS_V5_DIR.parent / f"weights_{m}")),
                                   device=a.device) for m in names_}
    by: dict[str, dict[str, dict[str, list]]] = defaultdict(lambda: defaultdict(dict))
    out: dict = {"load_before": load0, "device": a.device, "args": vars(a)}
    for name, ex in models.items():
        t = time.time()
        rows = run_model(ex, glyphs, a.workers, g_asp)
        for r, it in zip(rows, items, strict=True):
            r.update(group=it["group"], bin=it["bin"], distort=it["distort"],
                     edge=it["size"] / it["cells"])
        arows = run_model(ex, [im for _, im in atoms], a.workers, a_asp)
        for r, (g, _) in zip(arows, atoms, strict=True):
            r.update(group=g)
        drows = run_model(ex, [im for _, im in domains], a.workers, d_asp)
        orows: dict[str, list[dict]] = {}
        for motif, (more, imgs) in others.items():
            orows[motif] = run_model(ex, imgs, a.workers, o_asp[motif])
            for r, it in zip(orows[motif], more, strict=True):
                r.update(group=it["group"], bin=it["bin"], distort=it["distort"],
                         edge=it["size"] / it["cells"])
        secs = time.time() - t
        res = {"overall glyph": summarise(rows)}
        for lo, hi in BINS:
            res[f"cells {lo}-{hi}"] = summarise([r for r in rows if r["bin"] == f"{lo}-{hi}"])
        res[">= 8 cells"] = summarise([r for r in rows if r["bin"] in ("8-16", "16-50")])
        for lo, hi in EDGE_BINS:
            res[f"cell edge {lo}-{hi} px"] = summarise([r for r in rows if lo <= r["edge"] < hi])
            res[f">= 8 cells, edge {lo}-{hi} px"] = summarise(
                [r for r in rows if lo <= r["edge"] < hi and r["bin"] in ("8-16", "16-50")])
        res["distorted"] = summarise([r for r in rows if r["distort"]])
        res["clean"] = summarise([r for r in rows if not r["distort"]])
        res["family glyph (independent)"] = res["overall glyph"]
        res["family atoms (training's held-out)"] = summarise(arows)
        # the "ECE <= 0.05 overall": every periodic test image, both families
        res["all periodic (glyph + atoms)"] = summarise(rows + arows)
        for g in GROUPS:
            res[f"group {g}"] = summarise([r for r in rows if r["group"] == g])
        for motif, mrows in orows.items():
            res[f"{motif}: all"] = summarise(mrows)
            for lo, hi in BINS:
                res[f"{motif}: cells {lo}-{hi}"] = summarise(
                    [r for r in mrows if r["bin"] == f"{lo}-{hi}"])
            res[f"{motif}: >= 8 cells"] = summarise(
                [r for r in mrows if r["bin"] in ("8-16", "16-50")])
            res[f"{motif}: distorted"] = summarise([r for r in mrows if r["distort"]])
        abst = {cls: float(np.mean([r["abstained"] for r, (c, _) in zip(drows, domains,
                                                                         strict=True)
                                    if c == cls])) for cls in NON_PERIODIC} if drows else {}
        if drows:
            abst["all non-periodic"] = float(np.mean([r["abstained"] for r in drows]))
        out[name] = {"results": res, "abstain_non_periodic": abst, "seconds": secs,
                     "model": ex.name, "rows": {"glyph": rows, "atoms": arows, **orows,
                                                "domains": [r | {"class": c} for r, (c, _) in
                                                            zip(drows, domains, strict=True)]}}
        for key, s in res.items():
            by[key][name] = s
        print(f"{name} ({ex.name}): {secs:.0f} s", flush=True)
    names = list(models)
    main_keys = ["overall glyph", *[f"cells {lo}-{hi}" for lo, hi in BINS], ">= 8 cells",
                 "clean", "distorted", "family glyph (independent)",
                 "family atoms (training's held-out)", "all periodic (glyph + atoms)"]
    if items or atoms:  # (--n-per-bin 0 --atoms 0: the other families only)
        print(table("Held-out glyph generator, whole images; by cells across, distortion, family",
                    {k: by[k] for k in main_keys}, names))
        print(table("By cell edge in pixels as scanned (glyph, all bins; then >= 8 cells only)",
                    {k: by[k] for lo, hi in EDGE_BINS for k in (f"cell edge {lo}-{hi} px",
                                                                f">= 8 cells, edge {lo}-{hi} px")
                     if by[k] and next(iter(by[k].values()))}, names))
        print(table("By plane group (glyph, all bins)", {f"group {g}": by[f"group {g}"]
                                                         for g in GROUPS}, names))
    for motif in others:
        print(table(f"Held-out {motif} motifs (heldout_wallpaper), whole images",
                    {k: by[k] for k in by if k.startswith(f"{motif}: ")}, names))
    if domains:
        print("\n**Non-periodic domain images: share answered 'none'**\n")
        print("| class | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
        for cls in (*NON_PERIODIC, "all non-periodic"):
            print(f"| {cls} | " + " | ".join(f"{out[m]['abstain_non_periodic'][cls]:.0%}"
                                             for m in names) + " |")
    out["load_after"] = os.getloadavg()
    busy = " (busy)" if max(load0[0], out["load_after"][0]) > 1.5 else ""
    print(f"\nmachine {platform.node()} {platform.machine()}, device {a.device}, "
          f"load average before {load0[0]:.2f}, after {out['load_after'][0]:.2f}{busy}; "
          f"total {time.time() - t0:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
