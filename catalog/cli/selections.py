"""`symcat selections ...`: saved selections from the shell, as the dashboard saves them.

A selection is a named set of scans, used later in any filter as `selection = "name"`
(docs/filters.md). The dashboard saves the points picked on a map; here a filter picks
them, or scan ids do.
"""

from __future__ import annotations

import click

from symcat.cli import cli, emit_frame, friendly_errors
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.config import Settings


@cli.group()
def selections() -> None:
    """Saved selections: named sets of scans, used as `selection = "name"` in filters."""


@selections.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_obj
@friendly_errors
def list_command(settings: Settings, fmt: str) -> None:
    """Every saved selection, newest first: name, scans, the filter it came from."""
    from symcat.client import Catalog

    emit_frame(Catalog(settings=settings).selections(), fmt,
               "no saved selections yet: symcat selections save NAME --where EXPR")


@selections.command("save")
@click.argument("name")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("--id", "ids", multiple=True, metavar="SCAN_ID",
              help="A scan to include (full id or a prefix of 6+ hex digits), repeatable.")
@click.option("--replace", is_flag=True, help="Overwrite a selection of the same name.")
@click.pass_obj
@friendly_errors
def save(settings: Settings, name: str, where: tuple[str, ...], ids: tuple[str, ...],
         replace: bool) -> None:
    """Save the scans passing the filter (and those given by --id) as NAME."""
    from symcat.client import Catalog

    expression = where_expression(where)
    if expression is None and not ids:
        raise click.UsageError("say which scans: --where EXPR, --id SCAN_ID, or both")
    catalog = Catalog(settings=settings)
    chosen = [catalog.resolve(i) for i in ids]
    if expression is not None:
        chosen += list(catalog.scans(expression, limit=None)["id"])
    count = catalog.save_selection(name, list(dict.fromkeys(chosen)), where=expression,
                                   replace=replace)
    click.echo(f"saved {count} scans as {name!r}; use it as the filter selection = \"{name}\"")


@selections.command("delete")
@click.argument("name")
@click.pass_obj
@friendly_errors
def delete(settings: Settings, name: str) -> None:
    """Delete the saved selection NAME (its scans stay in the catalog)."""
    from symcat.client import Catalog

    catalog = Catalog(settings=settings)
    if not catalog.delete_selection(name):
        known = ", ".join(repr(n) for n in catalog.selections()["name"]) or "none saved yet"
        raise click.ClickException(f"no saved selection named {name!r} (saved: {known})")
    click.echo(f"deleted selection {name!r}")
