"""`symcat labels ...`: label sets, tagging scans, CSV import, propagation, label-next."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from symcat.cli import cli, emit_frame, friendly_errors, progress_default
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


def label_errors(func: F) -> F:
    """Label and model errors become one-line messages (a CSV's bad lines follow it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from symcat.labels.store import LabelError
        from symcat.query.knn import UnknownModel

        try:
            return func(*args, **kwargs)
        except (LabelError, UnknownModel) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def _catalog(settings: Settings) -> Any:
    from symcat.client import Catalog

    return Catalog(settings=settings)


FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                      default="table", show_default=True)
WHERE = click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
BY = click.option("--by", default=None, metavar="NAME",
                  help="Who is labelling (default: $SYMCAT_USER, else your login name).")


@cli.group()
def labels() -> None:
    """Label sets, human labels on scans, and their propagation (docs/labels.md)."""


@labels.command("create")
@click.argument("label_set")
@click.argument("classes", nargs=-1, required=True)
@click.option("--description", default=None)
@BY
@click.pass_obj
@friendly_errors
@label_errors
def create(settings: Settings, label_set: str, classes: tuple[str, ...],
           description: str | None, by: str | None) -> None:
    """Create LABEL_SET with its CLASSES (or add CLASSES to it)."""
    names = _catalog(settings).labels.create_set(label_set, classes, description=description,
                                                 by=by)
    click.echo(f"{label_set}: {', '.join(names)}")


@labels.command("sets")
@FORMAT
@click.pass_obj
@friendly_errors
def sets(settings: Settings, fmt: str) -> None:
    """List label sets with their classes and counts of labels and predictions."""
    frame = _catalog(settings).labels.sets()
    if fmt == "table" and not frame.empty:
        frame = frame.assign(classes=frame["classes"].map(", ".join))
    emit_frame(frame, fmt,
               "no label sets yet; create one with `symcat labels create SET CLASS ...`")


@labels.command("tag")
@click.argument("label_set")
@click.argument("value")
@click.argument("scan_ids", nargs=-1)
@WHERE
@BY
@click.pass_obj
@friendly_errors
@label_errors
def tag(settings: Settings, label_set: str, value: str, scan_ids: tuple[str, ...],
        where: tuple[str, ...], by: str | None) -> None:
    """Label the scans SCAN_IDS and/or every scan the filter selects as VALUE."""
    outcome = _catalog(settings).labels.label(label_set, value, list(scan_ids),
                                              where=where_expression(where), by=by,
                                              source="cli")
    click.echo(f"{label_set} = {value}: {outcome.n_scans} scan(s), {outcome.n_changed} changed")


@labels.command("untag")
@click.argument("label_set")
@click.argument("scan_ids", nargs=-1)
@WHERE
@click.pass_obj
@friendly_errors
@label_errors
def untag(settings: Settings, label_set: str, scan_ids: tuple[str, ...],
          where: tuple[str, ...]) -> None:
    """Remove the human LABEL_SET labels of SCAN_IDS and/or the filter's scans."""
    outcome = _catalog(settings).labels.unlabel(label_set, list(scan_ids),
                                                where=where_expression(where))
    click.echo(f"{label_set}: {outcome.n_changed} label(s) removed")


@labels.command("import")
@click.argument("label_set")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@BY
@click.pass_obj
@friendly_errors
@label_errors
def import_(settings: Settings, label_set: str, csv_file: Path, by: str | None) -> None:
    """Import labels from CSV_FILE (header: scan_id|file_sha256|file_name, label); every
    line is checked first, and a bad line imports nothing."""
    outcome = _catalog(settings).labels.import_csv(label_set, csv_file, by=by)
    click.echo(f"{label_set}: {outcome.n_rows} label(s) read, {outcome.n_changed} changed")


@labels.command("show")
@click.argument("label_set", required=False)
@WHERE
@click.option("--no-predictions", is_flag=True, help="Human labels only.")
@FORMAT
@click.pass_obj
@friendly_errors
@label_errors
def show(settings: Settings, label_set: str | None, where: tuple[str, ...],
         no_predictions: bool, fmt: str) -> None:
    """Human labels and predictions (with who, when, how, model) per scan; csv/json export."""
    frame = _catalog(settings).labels.frame(label_set, where=where_expression(where),
                                            predictions=not no_predictions)
    if fmt == "table":
        frame = frame.drop(columns=["labelled_at", "predicted_at", "model"])
    emit_frame(frame, fmt, "no labels or predictions")


@labels.command("propagate")
@click.argument("label_set")
@click.option("--model", default=None, help="Embedding model (default: the default model).")
@WHERE
@click.option("--method", type=click.Choice(["poisson", "laplace"]), default="poisson",
              show_default=True)
@click.option("-k", "--neighbours", "k", type=int, default=None,
              help="Neighbours per scan in the kNN graph (default 10).")
@click.option("--new-only", is_flag=True,
              help="Only predict scans that have no label or prediction yet, from their "
                   "nearest labelled/predicted neighbours (no full re-run).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
@friendly_errors
@label_errors
def propagate(settings: Settings, label_set: str, model: str | None, where: tuple[str, ...],
              method: str, k: int | None, new_only: bool, as_json: bool) -> None:
    """Extend LABEL_SET's human labels to the other scans (Poisson learning on the kNN graph
    of MODEL's vectors); human labels are never replaced."""
    result = _catalog(settings).labels.propagate(
        label_set, model=model, where=where_expression(where), method=method, k=k,
        new_only=new_only, progress=progress_default() and not as_json)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(result), default=str))
        return
    click.echo(f"{result.method} over {result.n_scans} scans of {result.model}: "
               f"{result.n_labels} labels, {result.n_predicted} predictions stored "
               f"(run {result.run_id})")
    if result.skipped_classes:
        click.echo(f"classes with no labels in the subset (no predictions): "
                   f"{', '.join(result.skipped_classes)}")
    click.echo("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items()))


@labels.command("next")
@click.argument("label_set")
@click.option("-n", "--count", "n", type=int, default=10, show_default=True)
@WHERE
@FORMAT
@click.pass_obj
@friendly_errors
@label_errors
def next_(settings: Settings, label_set: str, n: int, where: tuple[str, ...], fmt: str) -> None:
    """Label these next: unlabelled scans whose predictions are least certain."""
    frame = _catalog(settings).labels.next(label_set, n, where=where_expression(where))
    emit_frame(frame, fmt, "nothing left to label")
