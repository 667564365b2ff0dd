"""`symcat ingest PATH...`"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.config import Settings

if TYPE_CHECKING:
    from symcat.pipeline import IngestSummary


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU core).")
@click.option("--site", default=None, help="Site name recorded on each scan (SYMCAT_SITE).")
@click.option("--instrument", default=None,
              help="Instrument PC name recorded on each scan (SYMCAT_INSTRUMENT).")
@click.option("--site-config", type=click.Path(exists=True, path_type=Path), default=None,
              help="TOML file of filename rules (SYMCAT_SITE_CONFIG).")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
@friendly_errors
def ingest(
    settings: Settings, paths: tuple[Path, ...], jobs: int | None, site: str | None,
    instrument: str | None, site_config: Path | None, progress: bool | None, as_json: bool,
) -> None:
    """Catalogue .ibw files and folders (recursively). Safe to repeat: files already in the
    catalog are recognised by their sha256 and not added twice."""
    from symcat.pipeline import ingest_paths

    settings = dataclasses.replace(
        settings,
        site=site or settings.site,
        instrument=instrument or settings.instrument,
        site_config=site_config or settings.site_config,
    )
    show = progress_default() if progress is None else progress
    summary = ingest_paths(settings, list(paths), jobs=jobs, progress=show)
    click.echo(summary_json(summary) if as_json else summary_text(summary))


def summary_text(summary: IngestSummary) -> str:
    """The closing summary: totals, kinds, and every refusal with its reason."""
    rate = len(summary.outcomes) / summary.seconds if summary.seconds else 0.0
    lines = [
        f"{len(summary.outcomes)} files in {summary.seconds:.1f} s ({rate:.1f} files/s): "
        f"{summary.new} new, {summary.present} already present, "
        f"{len(summary.refused)} refused"
    ]
    kinds = summary.kinds()
    if kinds:
        lines.append("new by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if summary.skipped_other_suffix:
        lines.append(f"{summary.skipped_other_suffix} other files in the folders were not .ibw")
    refused = summary.refused
    if refused:
        lines.append("refused:")
        lines.extend(f"  {o.path}: {o.reason or 'already refused earlier'}" for o in refused)
    return "\n".join(lines)


def summary_json(summary: IngestSummary) -> str:
    return json.dumps(
        {
            "files": len(summary.outcomes),
            "new": summary.new,
            "present": summary.present,
            "refused": [{"path": o.path, "reason": o.reason} for o in summary.refused],
            "seconds": round(summary.seconds, 3),
            "new_by_kind": dict(summary.kinds()),
        },
        indent=2,
    )
