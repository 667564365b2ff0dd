"""`symcat demo`"""

from __future__ import annotations

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.config import Settings


@cli.command()
@click.option("-n", "--files", "n_files", type=click.IntRange(min=4), default=48,
              show_default=True, help="How many synthetic files to generate.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_obj
@friendly_errors
def demo(settings: Settings, n_files: int, seed: int) -> None:
    """Build a small demo catalog from generated DART-PFM files and show what is in it."""
    from symcat.demo import run_demo

    run_demo(settings, n_files=n_files, seed=seed, echo=click.echo, progress=progress_default())
