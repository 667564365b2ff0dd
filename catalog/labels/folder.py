"""A folder of labelled images (`labels.csv`: file,label) read for evaluation.

Files are read by `symcat.ingest.pictures`: pictures (JPEG, PNG, TIFF; grey, RGB or
16-bit) and `.npy` arrays become one 2-D array, converted to grey the way a query image
would be given; `.ibw` files go through the ingest reader and keep their channels, units
and imaging mode. Anything unreadable is skipped and listed with the reason, never fatal.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from symcat.ingest.pictures import SUFFIXES, read_image, reason_of

LABELS_FILE = "labels.csv"


class FolderError(ValueError):
    """The folder or its labels.csv cannot be used at all."""


@dataclass(frozen=True)
class FolderImage:
    file: str
    label: str
    channels: dict[str, np.ndarray]
    mode: str | None = None
    units: dict[str, str | None] = field(default_factory=dict)


@dataclass
class LabelledFolder:
    images: list[FolderImage]
    skipped: list[tuple[str, str]]  # (file, reason)


def read_labels_csv(folder: Path, file: str = LABELS_FILE) -> list[tuple[int, str, str]]:
    """(line, file, label) of each row of ``folder``/``file`` (a header row file,label is
    skipped); a clear `FolderError` where it cannot be used."""
    path = folder / file
    if not folder.is_dir():
        raise FolderError(f"{folder} is not a folder")
    if not path.is_file():
        raise FolderError(f"{folder} has no {file} (two columns: file,label)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [(i, row) for i, row in enumerate(csv.reader(f), start=1)]
    except (OSError, UnicodeDecodeError) as exc:
        raise FolderError(f"cannot read {path}: {exc}") from None
    out = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if line == 1 and [c.strip().lower() for c in row[:2]] == ["file", "label"]:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise FolderError(f"{path} line {line}: expected file,label, found {row!r}")
        out.append((line, row[0].strip(), row[1].strip()))
    if not out:
        raise FolderError(f"{path} lists no images")
    return out


def read_folder(folder: str | Path) -> LabelledFolder:
    """Every image labels.csv lists, read; the ones that cannot be read, with reasons."""
    root = Path(folder)
    images: list[FolderImage] = []
    skipped: list[tuple[str, str]] = []
    for _line, name, label in read_labels_csv(root):
        path = root / name
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            skipped.append((name, f"unsupported type {suffix or '(none)'}; "
                                  f"expected {', '.join(SUFFIXES)}"))
            continue
        if not path.is_file():
            skipped.append((name, "not found"))
            continue
        try:
            channels, mode, units, *_pixels = read_image(path)
            images.append(FolderImage(name, label, channels, mode, units))
        except Exception as exc:  # noqa: BLE001  (any unreadable file is listed, not fatal)
            skipped.append((name, reason_of(exc)))
    return LabelledFolder(images, skipped)


def embed_folder(images: list[FolderImage], model: str, *, progress: bool = False
                 ) -> tuple[np.ndarray, list[tuple[str, str]], Any]:
    """Vectors of the images by `model`, through the query-image path of the client
    (`symcat.embed.run.embed_channels`); images no channel of which can be used are
    returned as skipped."""
    from symcat.embed.preprocess import NoUsableChannel
    from symcat.embed.registry import create_extractor
    from symcat.embed.run import embed_channels

    extractor = create_extractor(model)
    vectors, skipped, kept = [], [], []
    iterator: Any = images
    if progress:
        from tqdm import tqdm

        iterator = tqdm(images, desc=f"embed {model}", unit="image")
    for image in iterator:
        try:
            vectors.append(embed_channels(extractor, image.channels, image.mode, image.units))
            kept.append(image)
        except (NoUsableChannel, ValueError) as exc:
            skipped.append((image.file, f"cannot embed: {exc}"))
    array = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 1), np.float32)
    return array, skipped, (kept, extractor.cfg.model_id)
