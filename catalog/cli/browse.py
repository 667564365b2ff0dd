"""`symcat scans`, `symcat show`, `symcat refusals`, `symcat original`: look at the catalog."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from symcat.cli import cli, friendly_errors
from symcat.config import Settings
from symcat.lengths import known_cell

if TYPE_CHECKING:
    from symcat.query.listing import NewestSymmetry

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
@click.option("-n", "--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many scans (0: all); a cut listing says so on stderr.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--labels", "with_labels", is_flag=True,
              help="Add label.<set>, predicted.<set>, predicted_p.<set> columns (csv/json).")
@click.pass_obj
@friendly_errors
def scans(settings: Settings, where: tuple[str, ...], limit: int, fmt: str,
          with_labels: bool) -> None:
    """List catalogued scans, newest first."""
    from symcat.query.listing import (
        STANDARD_COLUMNS,
        newest_symmetry,
        scan_rows,
        symmetry_columns,
    )
    from symcat.store.engine import get_engine

    engine = get_engine(settings)  # no pandas or Catalog: this command must start fast
    expression = where_expression(where)
    rows = scan_rows(engine, expression, limit=limit + 1 if limit else None)
    if limit and len(rows) > limit:
        rows = rows[:limit]
        total = count_scans(engine, expression)
        click.echo(f"showing the newest {limit} of {total} scans; `--limit {total}` (or "
                   "`--limit 0`) lists them all", err=True)
    with engine.connect() as conn:
        groups = newest_symmetry(conn, [r.id for r in rows])
    if fmt in ("csv", "json"):
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(STANDARD_COLUMNS))
        frame = frame.assign(**symmetry_columns(groups, list(frame["id"])))
        if with_labels:
            from symcat.labels.store import wide_labels

            with engine.connect() as conn:
                wide = wide_labels(conn, list(frame["id"]))
            frame = frame.join(wide, on="id") if len(wide.columns) else frame
        if fmt == "csv":
            click.echo(frame.to_csv(index=False), nl=False)
        else:
            click.echo(frame.to_json(orient="records", date_format="iso", default_handler=str))
    else:
        click.echo(format_table(rows, short_ids(engine, [r.id for r in rows]), groups))


def count_scans(engine: Any, expression: str | None) -> int:
    from sqlalchemy import func, select

    from symcat.query.expr import scan_conditions
    from symcat.store.models import Scan

    with engine.connect() as conn:
        query = select(func.count()).select_from(Scan).where(*scan_conditions(expression, {}))
        return int(conn.execute(query).scalar_one())


def short_ids(engine: Any, ids: Any) -> dict[Any, str]:
    """Each id's shortest unique prefix (>= 8 digits): `show`, `original` and
    `neighbors` accept what listings print."""
    from symcat.query.ids import short_ids as shortest
    from symcat.store.models import Scan

    with engine.connect() as conn:
        return shortest(conn, Scan.id, list(ids))


TABLE = (("id", "id"), ("kind", "record_kind"), ("mode", "imaging_mode"),
         ("sample", "sample_name"), ("acquired_at", "acquired_at"),
         ("size_um", "scan_size_x_m"), ("file_name", "file_name"))


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "scan_size_x_m":
        return f"{value * 1e6:.3f}".rstrip("0").rstrip(".")
    if name == "acquired_at":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def format_table(rows: list[Any], shown_ids: dict[Any, str],
                 groups: Mapping[Any, NewestSymmetry] | None = None) -> str:
    """The listing as aligned columns (ids as their shortest unique prefix), with a plane
    group column where any listed scan has one (``groups``: `listing.newest_symmetry`), and
    a cell column ("3.67 x 4.51 um") where any has a lattice in metres."""
    if not rows:
        return "no scans match"
    cells = [[shown_ids.get(row.id, str(row.id)[:8])]
             + [_cell(column, getattr(row, column)) for _, column in TABLE[1:]] for row in rows]
    header = [title for title, _ in TABLE]
    if groups:
        header.insert(-1, "symmetry")
        for line, row in zip(cells, rows, strict=True):
            newest = groups.get(row.id)
            line.insert(-1, "-" if newest is None else newest.symmetry
                        if newest.symmetry == "none"
                        else f"{newest.symmetry} {newest.symmetry_p:.2f}")
        shown = {i: known_cell(g.lattice_a_m, g.lattice_b_m) for i, g in groups.items()}
        if any(shown.values()):
            header.insert(-1, "cell")
            for line, row in zip(cells, rows, strict=True):
                line.insert(-1, shown.get(row.id) or "-")
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    right = {TABLE.index(("size_um", "scan_size_x_m"))}
    return "\n".join(
        "  ".join(text.rjust(w) if i in right else text.ljust(w)
                  for i, (text, w) in enumerate(zip(line, widths, strict=True))).rstrip()
        for line in [header, *cells])


@cli.command()
@click.argument("scan_id")
@click.option("--document", "document_only", is_flag=True,
              help="The metadata document alone, as stored (for a schema check or a copy).")
@click.pass_obj
@friendly_errors
def show(settings: Settings, scan_id: str, document_only: bool) -> None:
    """Print one scan's full metadata document as JSON, and under "symmetry" the plane
    group each symmetry model stored for it (newest first), with the cell in metres."""
    from symcat.client import Catalog
    from symcat.query.listing import stored_symmetry

    catalog = Catalog(settings=settings)
    data = catalog.scan(scan_id)
    shown = dict(data.document)
    if not document_only:
        with catalog.engine.connect() as conn:
            predictions = stored_symmetry(conn, data.id)
        if predictions:
            shown["symmetry"] = predictions
    click.echo(json.dumps(shown, indent=2, ensure_ascii=False, default=_json_value))


def _json_value(value: Any) -> Any:
    """A stored value JSON has no type for (a time) as ISO text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@cli.command()
@click.argument("scan_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.pass_obj
@friendly_errors
def original(settings: Settings, scan_id: str, folder: Path) -> None:
    """Write a scan's original file, byte for byte, into FOLDER."""
    from symcat.client import Catalog

    catalog = Catalog(settings=settings)
    key = catalog.resolve(scan_id)  # a bad id is reported before a folder is made
    folder.mkdir(parents=True, exist_ok=True)
    try:
        target = catalog.save_original(key, folder)
    except OSError as exc:
        raise click.ClickException(f"cannot write the original into {folder}: {exc}") from exc
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
