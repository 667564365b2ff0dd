"""`symcat thumbnails`: redraw stored thumbnails with the current colour maps."""

from __future__ import annotations

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.config import Settings


@cli.command()
@click.option("--progress/--no-progress", default=None, help="Show a progress bar.")
@click.pass_obj
@friendly_errors
def thumbnails(settings: Settings, progress: bool | None) -> None:
    """Redraw every channel's stored thumbnail from its stored pixels (colour map per
    channel kind); for catalogs ingested by an older symcat. Safe to repeat."""
    from sqlalchemy import func, select
    from tqdm import tqdm

    from symcat.store.engine import get_engine
    from symcat.store.models import Channel
    from symcat.store.thumbnails import regenerate_thumbnails

    engine = get_engine(settings)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Channel)
                             .where(func.cardinality(Channel.shape) == 2)).scalar_one()
    show = progress_default() if progress is None else progress
    with tqdm(total=total, unit="channel", disable=not show) as bar:
        done = regenerate_thumbnails(engine, progress=bar.update)
    click.echo(f"redrew {done} thumbnails")
