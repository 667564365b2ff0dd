"""The `symcat` command: each subcommand parses options, calls one library function,
and turns library errors into one-line messages that say what to do."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from symcat import __version__
from symcat.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Map the errors a user can act on to `click.ClickException` (exit code 1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError

        from symcat.ingest.site import SiteConfigError
        from symcat.query.filters import FilterError
        from symcat.query.ids import IdError
        from symcat.store.engine import DatabaseUnavailable
        from symcat.store.urls import BadDatabaseURL

        try:
            return func(*args, **kwargs)
        except (DatabaseUnavailable, FilterError, FileNotFoundError, SiteConfigError,
                IdError, BadDatabaseURL) as exc:
            raise click.ClickException(str(exc)) from exc
        except OperationalError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"cannot reach the catalog database: {detail}. Check SYMCAT_DATABASE_URL and "
                "that the server is running; nothing was half-written."
            ) from exc

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="symcat")
@click.option(
    "--database-url", envvar="SYMCAT_DATABASE_URL", default=None, metavar="URL",
    help="PostgreSQL URL (postgresql+psycopg://user@host/db). Default: the embedded database.",
)
@click.option(
    "--data-dir", envvar="SYMCAT_DATA_DIR", default=None, type=click.Path(path_type=Path),
    help="Folder of the embedded database and local state.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, data_dir: Path | None, verbose: int) -> None:
    """symcat: a searchable catalog of scanning-probe microscopy images."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        ctx.obj = Settings.from_env(database_url=database_url, data_dir=data_dir)
    except ValueError as exc:  # a malformed setting, e.g. SYMCAT_MAX_FILE_BYTES=lots
        raise click.UsageError(str(exc)) from None
    from symcat.store.lifecycle import install_signal_handlers

    install_signal_handlers()  # SIGTERM/SIGHUP end a command as Ctrl-C does: cleanly


def main() -> None:
    from symcat.cli import (  # noqa: F401  (registers subcommands)
        browse,
        daemon,
        db,
        dbserver,
        demo,
        embed,
        evaluate,
        federation,
        ingest,
        labels,
        project,
        roles,
        selections,
        serve,
        symmetry,
        thumbnails,
    )

    cli(prog_name="symcat")


def emit_frame(frame: Any, fmt: str, empty: str) -> None:
    """A listing as csv, json or a table (ids shortened to 8 digits; `empty` when there
    are no rows)."""
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso", default_handler=str))
    elif frame.empty:
        click.echo(empty)
    else:
        shown = frame.copy()
        for column in ("id", "scan_id", "run_id"):
            if column in shown:
                shown[column] = shown[column].astype(str).str[:8]
        click.echo(shown.to_string(index=False))


def progress_default() -> bool:
    return sys.stderr.isatty()
