"""`symcat scans`, `symcat show`, `symcat refusals`, `symcat original`: look at the catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from symcat.cli import cli, friendly_errors
from symcat.config import Settings

WHERE_HELP = (
    "Filter expression, repeatable (ANDed): \"mode in (pfm, dart_pfm)\", "
    "\"scan_size_x_m >= 2um\", \"sample = PZT*\", \"note ~ poled\". See docs/filters.md."
)


def where_expression(items: tuple[str, ...]) -> str | None:
    """Repeated --where options, ANDed into one expression of the filter language."""
    parts = [item for item in items if item.strip()]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


@cli.command()
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("-n", "--limit", type=int, default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--labels", "with_labels", is_flag=True,
              help="Add label.<set>, predicted.<set>, predicted_p.<set> columns (csv/json).")
@click.pass_obj
@friendly_errors
def scans(settings: Settings, where: tuple[str, ...], limit: int, fmt: str,
          with_labels: bool) -> None:
    """List catalogued scans, newest first."""
    from symcat.client import Catalog

    frame = Catalog(settings=settings).scans(where_expression(where), limit=limit,
                                             with_labels=with_labels)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso", default_handler=str))
    else:
        click.echo(format_table(frame))


def format_table(frame: Any) -> str:
    if frame.empty:
        return "no scans match"
    shown = frame[["id", "record_kind", "imaging_mode", "sample_name", "acquired_at",
                   "scan_size_x_m", "file_name"]].copy()
    shown["id"] = shown["id"].astype(str).str[:8]
    shown["scan_size_x_m"] = (shown["scan_size_x_m"] * 1e6).round(3)
    shown = shown.rename(columns={"scan_size_x_m": "size_um", "record_kind": "kind",
                                  "imaging_mode": "mode", "sample_name": "sample"})
    return shown.to_string(index=False)


@cli.command()
@click.argument("scan_id")
@click.pass_obj
@friendly_errors
def show(settings: Settings, scan_id: str) -> None:
    """Print one scan's full metadata document as JSON."""
    from symcat.client import Catalog, ScanNotFound

    try:
        data = Catalog(settings=settings).scan(scan_id)
    except (ScanNotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(data.document, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("scan_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.pass_obj
@friendly_errors
def original(settings: Settings, scan_id: str, folder: Path) -> None:
    """Write a scan's original file, byte for byte, into FOLDER."""
    from symcat.client import Catalog, ScanNotFound

    folder.mkdir(parents=True, exist_ok=True)
    try:
        target = Catalog(settings=settings).save_original(scan_id, folder)
    except (ScanNotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(target))


@cli.command()
@click.pass_obj
@friendly_errors
def refusals(settings: Settings) -> None:
    """List files that were not catalogued, with the reason."""
    from symcat.client import Catalog

    frame = Catalog(settings=settings).refusals()
    if frame.empty:
        click.echo("no refused files")
        return
    for row in frame.itertuples():
        click.echo(f"{row.source_path}\n    {row.reason} (seen {row.times_seen}x)")
