"""Write a folder of labelled domain images for `symcat evaluate` (labels.csv: file,label).

The images are symcat's synthetic ferroelectric domain classes (`symcat.ingest.synth`)
with random scan size, rotation, period and noise, saved the ways labs share them: 8-bit
grey PNG, 16-bit TIFF, colour JPEG (a colour map) of the phase channel, and a quarter as
Asylum DART-PFM `.ibw` files with all channels. Two unreadable files are added on purpose
(a truncated PNG and a text file named .tif) to show that they are skipped and listed.

    python benchmarks/labeled_folder.py /tmp/labelled --n 60 --seed 0
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from symcat.ingest.synth.dataset import generate_dataset
from symcat.ingest.synth.domains import random_scene, render

# Four classes of which two (stripe, labyrinth) share wall density and period scale:
# separable by a good fingerprint, not by image statistics alone.
DEFAULT_CLASSES = ("stripe", "labyrinth", "bubble", "checkerboard")


def _scaled(array: np.ndarray, top: int) -> np.ndarray:
    lo, hi = np.percentile(array, [1, 99])
    return (np.clip((array - lo) / max(hi - lo, 1e-12), 0, 1) * top).round()


def _colour(grey: np.ndarray) -> np.ndarray:
    """A simple blue-white-red map, as exported by analysis software."""
    t = grey / 255.0
    return np.stack([255 * np.clip(2 * t, 0, 1), 255 * (1 - np.abs(2 * t - 1)),
                     255 * np.clip(2 - 2 * t, 0, 1)], axis=-1).astype(np.uint8)


def write_folder(out: Path, n: int, *, seed: int = 0, classes: tuple[str, ...] = DEFAULT_CLASSES,
                 points: int = 128, broken: bool = True) -> list[tuple[str, str]]:
    """n images (about a quarter .ibw), labels.csv, and two unreadable files."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str]] = []
    n_ibw = n // 4
    with tempfile.TemporaryDirectory() as tmp:
        for i, made in enumerate(generate_dataset(tmp, n_ibw, seed=seed, classes=classes,
                                                  points=points)):
            name = f"ibw_{i:04d}_{made.cls}.ibw"
            shutil.copy(made.path, out / name)
            rows.append((name, made.cls))
    for i in range(n - n_ibw):
        cls = classes[i % len(classes)]
        scene = random_scene(cls, rng, points=points)
        phase = render(scene, rng).phase1
        kind = i % 3
        if kind == 0:
            name = f"img_{i:04d}.png"
            Image.fromarray(_scaled(phase, 255).astype(np.uint8)).save(out / name)
        elif kind == 1:
            name = f"img_{i:04d}.tif"
            Image.fromarray(_scaled(phase, 65535).astype(np.uint16)).save(out / name)
        else:
            name = f"img_{i:04d}.jpg"
            Image.fromarray(_colour(_scaled(phase, 255))).save(out / name, quality=90)
        rows.append((name, cls))
    rng.shuffle(rows)
    if broken:
        png = (out / rows[0][0]).read_bytes() if rows[0][0].endswith(".png") else b"\x89PNG"
        (out / "broken_truncated.png").write_bytes(png[:40])
        (out / "notes_not_an_image.tif").write_text("this is a text file\n")
        rows += [("broken_truncated.png", classes[0]), ("notes_not_an_image.tif", classes[1])]
    with open(out / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label"])
        writer.writerows(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=128)
    parser.add_argument("--classes", default=",".join(DEFAULT_CLASSES))
    args = parser.parse_args()
    rows = write_folder(args.out, args.n, seed=args.seed, points=args.points,
                        classes=tuple(args.classes.split(",")))
    print(f"{len(rows)} files listed in {args.out / 'labels.csv'}")


if __name__ == "__main__":
    main()
