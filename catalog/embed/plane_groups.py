"""Images that are not in the catalog -> their plane groups, under a symmetry model.

`symcat embed` stores a plane group for every catalogued scan (`symmetry_store`). A
scientist also holds images the catalog never saw: a micrograph exported as PNG, a
generator's wallpaper patterns, a colleague's `.ibw` file. `classify` answers for those
as the catalog would for a scan: the same model, the same channel of an `.ibw` file
(`preprocess.choose_channels`), the whole image at its own resolution, with the
calibrated probability, the abstention ("none") and its reason, and the lattice found.
It streams: images are read and answered a batch at a time, so a folder of thousands
needs the memory of one batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from symcat.embed.defaults import FAMILY, SYMMETRY_MODEL
from symcat.embed.preprocess import NoUsableChannel, StoredChannel, choose_channels
from symcat.embed.registry import UnknownExtractor, get_cfg
from symcat.ingest.pictures import SUFFIXES, document_pixels, read_image, reason_of

log = logging.getLogger(__name__)

# periods: the lattice's two cell edges (shorter first); gamma_deg: the angle between them
# (90 square or rectangular, 60 or 120 hexagonal); angle_deg: the direction of the first
# cell vector, counter-clockwise from the image's x axis
# period_a_px, period_b_px: the cell edges in the image's pixel widths (on non-square
# pixels a length along y is counted in pixel widths too); period_a_m, period_b_m: the
# same in metres, where the file or scan gives its pixel size
# cell_r2: the share of the image's variance its averaged cell explains (how periodic it
# is); operations: how well that cell obeys each turn and mirror direction its lattice
# admits (correlation, 1 = exactly), the evidence the model's cell check weighs
COLUMNS = ("file", "symmetry", "p", "top_group", "top3", "p_none", "reason", "period_a_px",
           "period_b_px", "period_a_m", "period_b_m", "gamma_deg", "angle_deg", "cell_r2",
           "operations", "channel", "error")


@dataclass(frozen=True)
class ImageInput:
    """One image handed in: its name and channels (name -> 2-D array, or one array, grey
    or colour), or the one-line reason it could not be read (``error``). ``pixel_aspect``:
    a pixel's height over its width where the file's metadata says (an `.ibw` file, a
    catalogued scan), for models that read scans on square pixels (v32), and
    ``pixel_width_m`` its width in metres (for the cell edges in metres)."""

    name: str
    channels: Mapping[str, np.ndarray] | np.ndarray | None = None
    mode: str | None = None
    units: Mapping[str, str | None] = field(default_factory=dict)
    error: str | None = None
    pixel_aspect: float | None = None
    pixel_width_m: float | None = None


def symmetry_model(name: str | None) -> str:
    """The registered symmetry model `name` names: a full name, or its version alone
    ("v43"); None: the default (`SYMMETRY_MODEL`). A name that is unknown or names no
    plane-group model (v1 has no "none" outcome) fails with the valid ones listed."""
    if name is None:
        return SYMMETRY_MODEL
    full = name if name.startswith(FAMILY) else FAMILY + name
    try:
        if get_cfg(full).details.get("symmetry_predictions"):
            return full
    except UnknownExtractor:
        pass
    from symcat.embed.registry import list_extractors

    valid = [n.removeprefix(FAMILY) for n in list_extractors()
             if n.startswith(FAMILY) and get_cfg(n).details.get("symmetry_predictions")]
    raise UnknownExtractor(
        f"{name!r} is not a plane-group model; valid: {', '.join(sorted(valid, key=_order))} "
        f"(default {SYMMETRY_MODEL.removeprefix(FAMILY)})")


def image_files(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """(name shown, path) of every image file named, or found in a named folder and its
    subfolders (sorted; hidden files and files of other types left out; a folder's files
    are named relative to it). A path that does not exist fails with its name."""
    out: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix.lower() in SUFFIXES
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            out += [(p.relative_to(path).as_posix(), p) for p in found]
        elif path.is_file():
            out.append((str(given), path))
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    return out


def catalogued_input(name: str, channels: Mapping[str, np.ndarray],
                     document: Mapping[str, Any]) -> ImageInput:
    """A catalogued scan (its channels and metadata document) as an `ImageInput`, with the
    imaging mode and channel units `predict_catalog` reads it with."""
    units = {c["name"]: c.get("unit") for c in document.get("channels", [])}
    aspect, width = document_pixels(document, channels)
    return ImageInput(name, channels, document.get("imaging_mode"), units,
                      pixel_aspect=aspect, pixel_width_m=width)


def read_inputs(files: Iterable[tuple[str, Path]], pixel_aspect: float | None = None,
                ) -> Iterator[ImageInput]:
    """Each file read (`symcat.ingest.pictures`), lazily; an unreadable one as an
    `ImageInput` with its reason. ``pixel_aspect``: the pixel height over width of files
    that carry no pixel size (pictures, arrays); an `.ibw` file's own comes first."""
    for name, path in files:
        try:
            channels, mode, units, aspect, width = read_image(path)
        except Exception as exc:  # noqa: BLE001  (any unreadable file is reported, not fatal)
            yield ImageInput(name, error=f"cannot read: {reason_of(exc)}")
            continue
        yield ImageInput(name, channels, mode, units,
                         pixel_aspect=aspect if aspect is not None else pixel_aspect,
                         pixel_width_m=width)


def load_extractor(name: str, device: str | None = None) -> Any:
    """The `SymmetryExtractor` of the registered model ``name`` on ``device`` (default: the
    GPU where there is one); missing weights fail with `ExtractorUnavailable`, saying
    which."""
    from symcat.embed.run import resolve_device
    from symcat.embed.symmetry.extract import SymmetryExtractor

    cfg = get_cfg(name)
    cfg.weight_files()
    return SymmetryExtractor(cfg.details["weights_dir"], device=resolve_device(device))


def _order(version: str) -> tuple[int, str]:
    digits = "".join(c for c in version if c.isdigit())
    return (int(digits) if digits else 0, version)


def pixels_of(image: ImageInput) -> tuple[np.ndarray, str]:
    """The array the model reads (and its channel's name): an `.ibw` file's first chosen
    channel for its imaging mode, as `predict_catalog` reads a scan; a picture as is."""
    channels = image.channels
    if channels is None:
        raise NoUsableChannel(image.error or "no image")
    if isinstance(channels, np.ndarray):
        return _one_image(channels), ""
    stored = [StoredChannel(n, image.units.get(n), np.asarray(a)) for n, a in channels.items()]
    if len(stored) == 1 and stored[0].pixels.ndim == 3:  # one colour picture
        return _one_image(stored[0].pixels), stored[0].name
    chosen = choose_channels(image.mode, stored)[0]
    return chosen.pixels, chosen.name


def _one_image(array: np.ndarray) -> np.ndarray:
    """``array`` where it is one image: 2-D, or colour as (H, W, 3|4) or (1|3, H, W) (the
    model reads their mean); a stack or a volume is refused, not averaged into one."""
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"an array of {array.dtype}, not numbers")
    if array.ndim == 3 and array.shape[-1] == 4:
        array = array[..., :3]
    if array.ndim == 2 or (array.ndim == 3 and (array.shape[-1] == 3 or array.shape[0] in (1, 3))):
        return array
    raise ValueError(f"an array of shape {array.shape} is not one image (H x W, or colour "
                     "H x W x 3)")


def answer_row(name: str, result: Any, channel: str = "",
               pixel_width_m: float | None = None) -> dict[str, Any]:
    """One `SymmetryResult` as a row of `COLUMNS` (``pixel_width_m``: for the cell edges
    in metres)."""
    lat = result.lattice
    periods = sorted(lat.periods) if lat.found else (None, None)
    metres = [None if p is None or pixel_width_m is None else float(p) * pixel_width_m
              for p in periods]
    return {"file": name, "symmetry": result.symmetry, "p": round(float(result.p), 4),
            "top_group": result.top_group,
            "top3": ", ".join(f"{g} {p:.2f}" for g, p in result.top3),
            "p_none": round(float(result.p_none), 4), "reason": result.reason or "",
            "period_a_px": None if periods[0] is None else round(float(periods[0]), 2),
            "period_b_px": None if periods[1] is None else round(float(periods[1]), 2),
            "period_a_m": metres[0], "period_b_m": metres[1],
            "gamma_deg": round(float(lat.gamma_deg), 1) if lat.found else None,
            "angle_deg": round(float(lat.angle_deg), 1) % 180.0 if lat.found else None,
            **_cell_evidence(getattr(result, "cell_symmetry", None)),
            "channel": channel, "error": None}


def _cell_evidence(cell: Any) -> dict[str, Any]:
    """`cell_r2` and `operations` of a measured averaged cell; empty where the model
    measured none (no lattice, or a model without a cell check)."""
    if cell is None:
        return {"cell_r2": None, "operations": None}
    turns = [f"{n}-fold {c:.2f}" for n, c in sorted(cell.rotations.items())]
    mirrors = ["mirrors " + " ".join(f"{c:.2f}" for c in cell.mirrors)] if cell.mirrors else []
    r2 = float(cell.r2)
    return {"cell_r2": None if r2 != r2 else round(r2, 3),
            "operations": ", ".join(turns + mirrors) or None}


def error_row(name: str, reason: str) -> dict[str, Any]:
    """A row for an image that could not be read or used: no answer, the reason."""
    return {**dict.fromkeys(COLUMNS), "file": name, "error": reason}


def classify(images: Iterable[ImageInput], model: str | None = None, *,
             device: str | None = None, workers: int | None = None, batch_size: int = 32,
             progress: bool = False, total: int | None = None,
             extractor: Any = None) -> Iterator[dict[str, Any]]:
    """One row (`COLUMNS`) per image, in order, as each batch is answered. Unreadable or
    unusable images get a row with ``error`` set, never an exception: a run over a folder
    is not stopped by one bad file. ``extractor``: a `SymmetryExtractor` already built
    (the client keeps one), else one for ``model`` on ``device``."""
    from tqdm import tqdm

    from symcat.embed.symmetry_store import default_workers

    name = symmetry_model(model)
    if extractor is None:
        extractor = load_extractor(name, device)
    workers = default_workers() if workers is None else max(0, workers)
    batch_size = max(batch_size, 8 * workers)
    bar = tqdm(total=total, unit="image", desc=f"plane groups {name}", disable=not progress)
    pending: list[tuple[ImageInput, np.ndarray | None, str, str | None]] = []

    def flush() -> Iterator[dict[str, Any]]:
        usable = [(im, px, ch) for im, px, ch, err in pending if err is None]
        results = iter(extractor.analyse([px for _, px, _ in usable], workers=workers,
                                         pixel_aspects=[im.pixel_aspect for im, _, _ in usable])
                       if usable else [])
        for im, _px, ch, err in pending:
            yield error_row(im.name, err) if err is not None else \
                answer_row(im.name, next(results), ch, im.pixel_width_m)
        bar.update(len(pending))
        pending.clear()

    for image in images:
        try:
            pixels, channel = pixels_of(image)
            pending.append((image, pixels, channel, None))
        except (NoUsableChannel, ValueError) as exc:
            pending.append((image, None, "", image.error or str(exc)))
        if len(pending) >= batch_size:
            yield from flush()
    yield from flush()
    bar.close()
