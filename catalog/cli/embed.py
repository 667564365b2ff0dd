"""`symcat embed`, `symcat neighbors`, `symcat models`: vectors and similarity search."""

from __future__ import annotations

import click

from symcat.cli import cli, friendly_errors, progress_default
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.config import Settings


def _library_errors() -> tuple[type[Exception], ...]:
    from symcat.embed.preprocess import NoUsableChannel
    from symcat.embed.registry import ExtractorUnavailable, UnknownExtractor
    from symcat.query.knn import UnknownModel

    return (ExtractorUnavailable, UnknownExtractor, UnknownModel, NoUsableChannel,
            LookupError, ValueError)


@cli.command()
@click.option("-m", "--model", default=None, metavar="NAME",
              help="Extractor (see `symcat models`). Default: the newest combined model "
                   "(symcat_combined.v2) when its weights are installed, else "
                   "effnet_lite0_4tap_native.in1k.")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("-b", "--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--device", default=None, metavar="DEV",
              help="cpu, cuda, cuda:1 ... Default: the GPU when there is one.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Data-loading processes (0: load in this process).")
@click.option("--rebuild", is_flag=True, help="Recompute this model's vectors for these scans.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar.")
@click.option("--compile/--no-compile", "compile_model", default=None,
              help="Run the network through torch.compile. Default: on a CPU for runs of "
                   "500 scans or more (about twice the scans/s, after 5-30 s of compiling); "
                   "off on a GPU (about 10% at 512 px after 6-30 s: worth it past about "
                   "200,000 scans).")
@click.pass_obj
@friendly_errors
def embed(settings: Settings, model: str | None, where: tuple[str, ...], batch_size: int,
          device: str | None, jobs: int | None, rebuild: bool, progress: bool | None,
          compile_model: bool | None) -> None:
    """Compute feature vectors for every image scan that has none for the model yet.
    Safe to interrupt and repeat: scans already embedded are skipped."""
    from symcat.client import Catalog

    try:
        summary = Catalog(settings=settings).embed(
            model, where=where_expression(where), batch_size=batch_size, device=device,
            workers=jobs, rebuild=rebuild,
            progress=progress_default() if progress is None else progress,
            compile_model=compile_model,
        )
    except _library_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{summary.model}: {summary.embedded} new vectors in {summary.seconds:.1f} s "
        f"({summary.rate:.1f} scans/s) of {summary.pending} scans without one"
        + (", index built" if summary.index_built else "")
    )
    if summary.embedded > summary.start_up_scans > 0:  # what a larger run would see
        compiling = summary.timings.get("compile")
        click.echo(f"  {summary.steady_rate:.1f} scans/s after a start-up of "
                   f"{summary.start_up:.1f} s"
                   + (f"; compiling the network took {compiling:.1f} s" if compiling else ""))
    for scan_id, reason in summary.skipped:
        click.echo(f"  skipped {scan_id}: {reason}")


@cli.command()
@click.argument("scan_id")
@click.option("-k", type=click.IntRange(min=1), default=9, show_default=True)
@click.option("-m", "--model", default=None, metavar="NAME", help="As for `symcat embed`.")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_obj
@friendly_errors
def neighbors(settings: Settings, scan_id: str, k: int, model: str | None,
              where: tuple[str, ...], fmt: str) -> None:
    """The K scans most similar to SCAN_ID (distance = 1 - correlation of features)."""
    from symcat.client import Catalog

    catalog = Catalog(settings=settings)
    try:
        frame = catalog.neighbors(
            scan_id, k=k, model=model, where=where_expression(where))
    except _library_errors() as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso", default_handler=str))
    elif frame.empty:
        click.echo("no scans match")
    else:
        shown = frame[["rank", "distance", "id", "imaging_mode", "sample_name", "file_name"]]
        from symcat.cli.browse import short_ids

        prefixes = short_ids(catalog.engine, shown["id"])
        shown = shown.assign(id=[prefixes[i] for i in shown["id"]],
                             distance=shown["distance"].round(4))
        click.echo(shown.rename(columns={"imaging_mode": "mode", "sample_name": "sample"})
                   .to_string(index=False))
        plan = frame.attrs["plan"]
        click.echo(f"({frame.attrs['model']}, {plan.method} plan, "
                   f"{1e3 * plan.seconds:.1f} ms)")


@cli.command()
@click.pass_obj
@friendly_errors
def models(settings: Settings) -> None:
    """List the extractors symcat knows, and whether each can run here."""
    from symcat.embed.registry import available, default_extractor, get_cfg, list_extractors

    default = default_extractor()
    for name in list_extractors():
        cfg = get_cfg(name)
        state = "ready" if available(name) else "weights not installed"
        mark = "*" if name == default else " "
        click.echo(f"{mark} {name:<28} {cfg.dim:>5}-d  {state:<22} {cfg.description}")
