"""Write the held-out symmetry sets as a folder of files, for `symcat symmetry`.

`symmetry_eval.py` hands the model arrays; a user hands it files. This writes the same
images (`symmetry_eval.heldout_sets`, same seed, same families; its non-periodic domain
images too) the ways other generators and labs save them, one folder per label
(`p4m/`, ..., `none/`), so that

    python benchmarks/pattern_folder.py /tmp/patterns --seed 83 --n-per-bin 34
    symcat symmetry /tmp/patterns --folder-labels --out /tmp/patterns.csv

measures what a user gets from files, to set beside `symmetry_eval.py --seed 83`'s
figures from arrays. Grey images become 8-bit PNG (scaled to 0-255), every fourth
16-bit TIFF; colour images (the "styled" family's RGB) stay 8-bit RGB PNG. ``--jpeg Q``
saves every image as a JPEG of quality Q instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import symmetry_eval as evaluation  # noqa: E402


def write(image: np.ndarray, path: Path, k: int, jpeg: int | None = None) -> Path:
    """``image`` saved as a user would find it: RGB as PNG; grey as 8-bit PNG or, every
    fourth, 16-bit TIFF (min to max); with ``jpeg``, every image as a JPEG of that
    quality (grey or RGB; its 8 x 8 blocks and ringing are what the model must see
    through)."""
    if jpeg is not None:
        out = path.with_suffix(".jpg")
        if image.ndim == 3:
            Image.fromarray(image.astype(np.uint8)).save(out, quality=jpeg)
            return out
        lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
        scaled = (np.nan_to_num(image, nan=lo) - lo) / max(hi - lo, 1e-12)
        Image.fromarray((scaled * 255).round().astype(np.uint8)).save(out, quality=jpeg)
        return out
    if image.ndim == 3:
        out = path.with_suffix(".png")
        Image.fromarray(image.astype(np.uint8)).save(out)
        return out
    lo, hi = float(np.nanmin(image)), float(np.nanmax(image))
    scaled = (np.nan_to_num(image, nan=lo) - lo) / max(hi - lo, 1e-12)
    if k % 4 == 3:
        out = path.with_suffix(".tif")
        Image.fromarray((scaled * 65535).round().astype(np.uint16)).save(out)
    else:
        out = path.with_suffix(".png")
        Image.fromarray((scaled * 255).round().astype(np.uint8)).save(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--n-per-bin", type=int, default=34, help="glyph images per cells bin")
    ap.add_argument("--motifs", type=int, default=0,
                    help="images per cells bin of each other held-out family")
    ap.add_argument("--families", default=None,
                    help="comma-separated other families (default: all, where --motifs)")
    ap.add_argument("--domains", type=int, default=40, help="non-periodic domain images")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--jpeg", type=int, default=None, metavar="QUALITY",
                    help="save every image as a JPEG of this quality (1-95) instead")
    a = ap.parse_args()
    families = tuple(a.families.split(",")) if a.families else None
    sets = evaluation.heldout_sets(a.seed, a.n_per_bin, a.motifs, a.workers, families)
    count = 0
    for family, (items, images) in sets.items():
        for k, (item, image) in enumerate(zip(items, images, strict=True)):
            folder = a.out / item["group"]
            folder.mkdir(parents=True, exist_ok=True)
            write(image, folder / f"{family}_{item['bin']}_{k:04d}", k, a.jpeg)
            count += 1
    for k, (cls, image) in enumerate(evaluation.domain_images(a.domains, a.seed + 2)):
        folder = a.out / "none"
        folder.mkdir(parents=True, exist_ok=True)
        write(image, folder / f"domains_{cls}_{k:04d}", k, a.jpeg)
        count += 1
    print(f"{count} images in {a.out} (seed {a.seed}); score them with: symcat symmetry "
          f"{a.out} --folder-labels")


if __name__ == "__main__":
    main()
