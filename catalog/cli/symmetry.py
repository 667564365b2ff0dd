"""`symcat symmetry`: the plane group of images that are not in the catalog, and, with
labels, how well the model reads them (docs/embeddings.md, "Plane groups of any image")."""

from __future__ import annotations

import json
from itertools import chain
from pathlib import Path
from typing import Any

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.config import Settings
from symcat.embed.defaults import FAMILY, SYMMETRY_MODEL
from symcat.lengths import cell_edges

FORMATS = {".csv": "csv", ".json": "json"}
DEFAULT = SYMMETRY_MODEL.removeprefix(FAMILY)


@cli.command("symmetry")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-m", "--model", default=None, metavar="NAME",
              help=f"Symmetry model: a version ({DEFAULT}) or full name ({SYMMETRY_MODEL}). "
                   f"Default: {DEFAULT}.")
@click.option("--labels", "labels_csv", default=None, metavar="CSV",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Score the answers against labels: a CSV of file,label (paths relative "
                   "to the CSV's folder; label a plane group such as p4m or p4mm, or none). "
                   "Without PATHS, the files it lists. A folder's own labels.csv is used "
                   "without this option.")
@click.option("--folder-labels", is_flag=True,
              help="Score against labels taken from each image's folder name "
                   "(p4m/0001.png is labelled p4m).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every answer to this .csv or .json file (and the scores, "
                   "with labels, to FILE.scores.json).")
@click.option("--device", default=None, metavar="DEV",
              help="cpu, cuda, cuda:1 ... Default: the GPU when there is one.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Processes estimating lattices (default: all cores but one, up to 16; "
                   "none on a machine of 2 cores).")
@click.option("--pixel-aspect", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="H/W",
              help="Pixel height over width of pictures and arrays, which carry no pixel "
                   "size (2 for 512 points x 256 lines over a square area); the model reads "
                   "them on square pixels. .ibw files and catalogued scans use their own.")
@click.option("--explain", is_flag=True,
              help="Under each answer, what the image's averaged cell obeys: the share of "
                   "the image it explains and its turns' and mirrors' correlations.")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR",
              help="Also the catalogued scans passing this filter (repeatable, ANDed; "
                   "see docs/filters.md), answered again as `symcat embed` did: with "
                   "--explain, why each got its stored plane group.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar.")
@click.pass_obj
@friendly_errors
def symmetry(settings: Settings, paths: tuple[Path, ...], model: str | None,
             labels_csv: Path | None, folder_labels: bool, fmt: str, out: Path | None,
             device: str | None, jobs: int | None, pixel_aspect: float | None, explain: bool,
             where: tuple[str, ...], progress: bool | None) -> None:
    """The plane group (or "none") of each image in PATHS: files or folders (searched
    with their subfolders) of PNG, JPEG, TIFF, BMP, GIF, WebP, .npy or .ibw images, and of
    the catalogued scans --where selects. Each answer comes with its calibrated
    probability, the lattice found and, where the model abstains, why. With labels it also
    prints top-1, top-3, ECE and non-periodic abstention."""
    from symcat.embed.plane_groups import classify, read_inputs, symmetry_model
    from symcat.embed.registry import ExtractorUnavailable, UnknownExtractor
    from symcat.labels.plane_group_score import LabelError, format_score, score

    if out is not None and out.suffix.lower() not in FORMATS:
        raise click.UsageError(f"--out {out}: give a .csv or .json file")
    if labels_csv is not None and folder_labels:
        raise click.UsageError("give --labels CSV or --folder-labels, not both")
    scans: list[Any] = []
    catalog = None
    if where:
        from symcat.cli.browse import where_expression
        from symcat.client import Catalog

        catalog = Catalog(settings=settings)
        scans = list(catalog.scans(where_expression(where), limit=None, kind="image")["id"])
        if not scans:
            raise click.ClickException(f"no catalogued image scans match {' and '.join(where)}")
    try:
        name = symmetry_model(model)
        files, labels, note = _files_and_labels(paths, labels_csv, folder_labels) \
            if paths or labels_csv is not None or not where else ([], {}, "")
    except (UnknownExtractor, LabelError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not files and not scans:
        raise click.ClickException("no image files found (PNG, JPEG, TIFF, BMP, GIF, WebP, "
                                   ".npy or .ibw) "
                                   f"in {', '.join(map(str, paths)) or labels_csv}")
    if note:
        click.echo(note, err=True)
    if (other := _left_out(paths)):
        click.echo(f"left out: {other}", err=True)
    show = progress_default() if progress is None else progress
    rows: list[dict[str, Any]] = []
    width = min(48, max([len(n) for n, _ in files] + [36 if scans else 0]))
    inputs = chain(read_inputs(files, pixel_aspect), (_scan_input(catalog, i) for i in scans))
    if fmt == "table":
        click.echo(f"{'file':<{width}}  {'group':<5} {'p':<4}  {'lattice: cell edges, angle':<26} "
                   "why 'none', or the top 3")
    try:
        for row in classify(inputs, name, device=device, workers=jobs,
                            progress=show, total=len(files) + len(scans)):
            rows.append(row)
            if fmt == "table":
                click.echo(_table_line(row, width, labels.get(row["file"])))
                if explain and row["cell_r2"] is not None:
                    click.echo(f"{'':<{width}}  cell explains {row['cell_r2']:.0%} of the "
                               f"image; {row['operations']}")
    except ExtractorUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt != "table":
        from symcat.cli import emit_frame

        emit_frame(_frame(rows, labels), fmt, "")
    result = score(rows, labels) if labels else None
    if out is not None:
        frame = _frame(rows, labels)
        if FORMATS[out.suffix.lower()] == "csv":
            frame.to_csv(out, index=False)
        else:
            out.write_text(frame.to_json(orient="records", indent=2))
        if result is not None:
            scores = out.with_name(out.name + ".scores.json")
            scores.write_text(json.dumps({"model": name, **result}, indent=2))
    answered = [r for r in rows if r["error"] is None]
    if fmt == "table" or result is not None:
        counts: dict[str, int] = {}
        for r in answered:
            counts[r["symmetry"]] = counts.get(r["symmetry"], 0) + 1
        summary = ", ".join(f"{g} {n}" for g, n in sorted(counts.items(), key=lambda x: -x[1]))
        echo = click.echo if fmt == "table" else (lambda t: click.echo(t, err=True))
        unread = len(rows) - len(answered)
        echo(f"{name}, {len(rows)} images: {summary or '-'}"
             + (f"; {unread} could not be read or used" if unread else ""))
        if result is not None:
            echo(format_score(result))
    if not answered:
        raise click.ClickException("no image could be read; see the reasons above")


def _scan_input(catalog: Any, scan_id: Any) -> Any:
    """A catalogued scan as `classify` reads it (read one at a time: the stream keeps the
    memory of one batch)."""
    from symcat.embed.plane_groups import catalogued_input

    scan = catalog.scan(scan_id)
    return catalogued_input(str(scan.id), scan.channels, scan.document)


def _files_and_labels(paths: tuple[Path, ...], labels_csv: Path | None, folder_labels: bool,
                      ) -> tuple[list[tuple[str, Path]], dict[str, str], str]:
    """The image files, their labels (shown name -> plane group) and a note on where the
    labels came from."""
    from symcat.embed.plane_groups import image_files
    from symcat.labels.folder import LABELS_FILE, FolderError
    from symcat.labels.plane_group_score import LabelError, plane_group

    if not paths and labels_csv is None:
        raise click.UsageError("give image files or folders, --labels CSV, or --where EXPR")
    if labels_csv is None and not folder_labels and len(paths) == 1 and \
            (paths[0] / LABELS_FILE).is_file():
        # a folder's own labels.csv, unless it holds other labels (a generator's classes):
        # then the folder is answered without scores, not refused
        labels_csv = paths[0] / LABELS_FILE
        if (why := _other_labels(labels_csv)) is not None:
            return image_files(paths), {}, (
                f"labels: {labels_csv} not used: it is no file,label list of plane groups "
                f"({why}); give --labels to insist")
    if labels_csv is not None:
        try:
            files, labels = _listed_labels(paths, labels_csv)
        except FolderError as exc:
            raise LabelError(str(exc)) from None
        return files, labels, f"labels: {labels_csv}"
    files = image_files(paths)
    if not folder_labels:
        return files, {}, ""
    labels = {}
    for n, p in files:
        try:
            labels[n] = plane_group(p.parent.name)
        except LabelError as exc:
            raise LabelError(f"{p}: its folder's name {exc}") from None
    return files, labels, "labels: each image's folder name"


def _left_out(paths: tuple[Path, ...]) -> str:
    """The files of other types in the folders among ``paths`` ("3 files of other types:
    .sxm 2, .txt 1"), which the answer has no row for; empty where there are none. Hidden
    files and a folder's labels.csv are not counted."""
    from collections import Counter

    from symcat.ingest.pictures import SUFFIXES
    from symcat.labels.folder import LABELS_FILE

    other: Counter[str] = Counter()
    for folder in (p for p in paths if p.is_dir()):
        for file in folder.rglob("*"):
            parts = file.relative_to(folder).parts
            if file.is_file() and file.suffix.lower() not in SUFFIXES and \
                    not any(part.startswith(".") for part in parts) and \
                    parts != (LABELS_FILE,):
                other[file.suffix.lower() or "(no suffix)"] += 1
    if not other:
        return ""
    kinds = ", ".join(f"{suffix} {n}" for suffix, n in other.most_common())
    total = sum(other.values())
    return f"{total} file{'s' if total > 1 else ''} of other types ({kinds})"


def _other_labels(labels_csv: Path) -> str | None:
    """Why ``labels_csv`` is no list of plane-group labels (it cannot be read as file,label
    rows, or not one of its labels names a plane group), or None where it is one (a
    typo in it is then an error, not a reason to ignore it)."""
    from symcat.labels.folder import FolderError, read_labels_csv
    from symcat.labels.plane_group_score import LabelError, plane_group

    try:
        listed = read_labels_csv(labels_csv.parent, labels_csv.name)
    except FolderError as exc:
        return str(exc).removeprefix(str(labels_csv) + " ")
    for _, _, label in listed:
        try:
            plane_group(label)
            return None
        except LabelError:
            continue
    return f"none of its {len(listed)} labels, such as {listed[0][2]!r}, is a plane group"


def _listed_labels(paths: tuple[Path, ...], labels_csv: Path,
                   ) -> tuple[list[tuple[str, Path]], dict[str, str]]:
    """The image files (PATHS, or else those ``labels_csv`` lists) and their plane-group
    labels from ``labels_csv``; `FolderError` or `LabelError` where it cannot be used."""
    from symcat.embed.plane_groups import image_files
    from symcat.labels.folder import read_labels_csv
    from symcat.labels.plane_group_score import LabelError, plane_group

    listed = read_labels_csv(labels_csv.parent, labels_csv.name)
    by_path: dict[Path, str] = {}
    for line, file, label in listed:
        try:
            by_path[(labels_csv.parent / file).resolve()] = plane_group(label)
        except LabelError as exc:
            raise LabelError(f"{labels_csv} line {line}: {exc}") from None
    files = image_files(paths) if paths else \
        [(file, labels_csv.parent / file) for _, file, _ in listed]
    return files, {n: by_path[p.resolve()] for n, p in files if p.resolve() in by_path}


def _table_line(row: dict[str, Any], width: int, label: str | None) -> str:
    name = row["file"] if len(row["file"]) <= width else "..." + row["file"][-(width - 3):]
    mark = "" if label is None else f"  [{label}{' ok' if row['symmetry'] == label else ''}]"
    if row["error"] is not None:
        return f"{name:<{width}}  -      {row['error']}{mark}"
    if row["period_a_m"] is not None:
        cell = f"{cell_edges(row['period_a_m'], row['period_b_m'])}, {row['gamma_deg']:.0f} deg"
    elif row["period_a_px"] is not None:
        cell = (f"{row['period_a_px']:.1f} x {row['period_b_px']:.1f} px, "
                f"{row['gamma_deg']:.0f} deg")
    else:
        cell = "no lattice"
    note = row["reason"] or row["top3"]
    return f"{name:<{width}}  {row['symmetry']:<5} {row['p']:.2f}  {cell:<26} {note}{mark}"


def _frame(rows: list[dict[str, Any]], labels: dict[str, str]) -> Any:
    """The answers as a DataFrame, with each file's label beside its name where given."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if labels:
        frame.insert(1, "label", [labels.get(f) for f in frame["file"]])
    return frame
