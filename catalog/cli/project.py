"""`symcat project`: a UMAP projection of the scans passing a filter, saved as files."""

from __future__ import annotations

from pathlib import Path

import click

from symcat.cli import cli, friendly_errors
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.config import Settings


@cli.command()
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("--model", default=None, metavar="M",
              help="Embedding model (default: the default extractor, as `symcat embed`).")
@click.option("--n-neighbors", type=int, default=5, show_default=True)
@click.option("--min-dist", type=float, default=0.3, show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed (default: drawn and recorded).")
@click.option("--epochs", type=int, default=None, help="Layout epochs (default: 200).")
@click.option("--id", "projection_id", default=None, metavar="ID",
              help="Write out a stored projection instead of computing one.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write points, coordinates and metadata as Parquet.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the map with thumbnails as PNG.")
@click.option("--color-by", default=None, metavar="COL", help="Column to colour points by.")
@click.pass_obj
@friendly_errors
def project(settings: Settings, where: tuple[str, ...], model: str | None, n_neighbors: int,
            min_dist: float, seed: int | None, epochs: int | None, projection_id: str | None,
            out: Path | None, png: Path | None, color_by: str | None) -> None:
    """Map the scans passing the filters to 2-D (UMAP on their stored vectors)."""
    from symcat.client import Catalog
    from symcat.project.layout import ProjectionError
    from symcat.query.knn import UnknownModel

    catalog = Catalog(settings=settings)
    try:
        if projection_id:
            proj = catalog.projection(projection_id)
        else:
            proj = catalog.project(where_expression(where), model=model, n_neighbors=n_neighbors,
                                   min_dist=min_dist, random_state=seed, n_epochs=epochs)
        if color_by is not None and color_by not in proj.columns:
            raise ProjectionError(f"no column {color_by!r} to colour by; choose one of "
                                  f"{', '.join(map(str, proj.columns))}")
        if out is not None:
            proj.to_parquet(out)
        if png is not None:
            from symcat.project.plot import save_png

            save_png(proj.plot(color_by=color_by), png)
    except (ProjectionError, UnknownModel, LookupError, ImportError) as exc:
        raise click.ClickException(str(exc)) from exc
    how = "from the cache" if proj.cached else f"in {proj.timings.get('total_s', 0):.1f} s"
    click.echo(f"projection {proj.id}: {len(proj)} scans, {proj.model}, {how}")
    for path in (out, png):
        if path is not None:
            click.echo(f"  wrote {path}")
