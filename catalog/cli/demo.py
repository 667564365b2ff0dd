"""`symcat demo`"""

from __future__ import annotations

from pathlib import Path

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.config import Settings


@cli.command()
@click.option("-n", "--files", "n_files", type=click.IntRange(min=4), default=48,
              show_default=True, help="How many synthetic files to generate.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the PNG figures (default: <data dir>/demo/output).")
@click.option("--federation", is_flag=True,
              help="Three small labs and a hub instead: cross-lab query, kNN and map.")
@click.pass_obj
@friendly_errors
def demo(settings: Settings, n_files: int, seed: int, out_dir: Path | None,
         federation: bool) -> None:
    """Build a small demo catalog from generated DART-PFM files, show what is in it, find
    one image's nearest neighbours, and draw projections of it."""
    from symcat.demo import run_demo

    if federation:
        from symcat.cli.federation import demo_command

        click.get_current_context().invoke(demo_command, out_dir=out_dir)
        return

    run_demo(settings, n_files=n_files, seed=seed, echo=click.echo,
             progress=progress_default(), out_dir=out_dir)
