"""`symcat db url / shell / start / stop`: reaching the catalog with SQL tools."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import click

from symcat.cli import friendly_errors
from symcat.cli.db import db
from symcat.config import Settings

PSQL_MISSING = ("psql not found: install the PostgreSQL client (Debian/Ubuntu: apt-get install "
                "postgresql-client; macOS: brew install libpq; Windows: the PostgreSQL installer), "
                "or use `symcat db url` with another tool")


def embedded_url(settings: Settings) -> str | None:
    """The libpq URL of the running embedded server, None when it is not running."""
    from symcat.store.lifecycle import running_server
    from symcat.store.urls import libpq_url

    info = running_server((settings.data_dir / "pgdata").expanduser().resolve())
    return None if info is None else libpq_url(info.get_uri(database="postgres"))


def catalog_url(settings: Settings, *, with_password: bool = False) -> str | None:
    """The libpq URL of the catalog: the configured server's, or the embedded one's."""
    from symcat.store.urls import libpq_url, parse_database_url

    if settings.database_url:
        return libpq_url(parse_database_url(settings.database_url), with_password=with_password)
    return embedded_url(settings)


def _embedded_only(settings: Settings, command: str) -> None:
    if not settings.embedded:
        raise click.ClickException(
            f"`symcat db {command}` manages the embedded database; SYMCAT_DATABASE_URL points "
            "at a server that its administrator starts and stops")


@db.command()
@click.option("--with-password", is_flag=True,
              help="Include the password of SYMCAT_DATABASE_URL (left out by default).")
@click.pass_obj
@friendly_errors
def url(settings: Settings, with_password: bool) -> None:
    """Print the catalog's URL in the form psql and other libpq tools accept."""
    found = catalog_url(settings, with_password=with_password)
    if found is None:
        raise click.ClickException(
            f"the embedded PostgreSQL in {settings.data_dir / 'pgdata'} is not running: "
            "`symcat db start` starts it and keeps it up until `symcat db stop` "
            "(`symcat db shell` needs neither)")
    click.echo(found)


@db.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
@friendly_errors
def shell(ctx: click.Context, psql_args: tuple[str, ...]) -> None:
    """Open psql on the catalog (starting the embedded server for as long as it runs);
    arguments after the command go to psql: `symcat db shell -c "select 1"`."""
    from symcat.store.engine import get_engine

    settings: Settings = ctx.obj
    psql = shutil.which("psql")
    if psql is None:
        raise click.ClickException(PSQL_MISSING)
    get_engine(settings)  # start or join the embedded server, or check the URL
    target = catalog_url(settings)
    env = dict(os.environ)
    if settings.database_url:
        from symcat.store.urls import parse_database_url

        password = parse_database_url(settings.database_url).password
        if password:
            env["PGPASSWORD"] = str(password)
    if target is None:  # pragma: no cover - get_engine has just started it
        raise click.ClickException("the embedded PostgreSQL did not start")
    process = subprocess.Popen([psql, target, *psql_args], env=env)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is psql's (cancel)
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    ctx.exit(code)


@db.command()
@click.pass_obj
@friendly_errors
def start(settings: Settings) -> None:
    """Start the embedded server and keep it running after symcat exits (for SQL tools)."""
    from symcat.store.engine import get_engine
    from symcat.store.lifecycle import pin

    _embedded_only(settings, "start")
    get_engine(settings)  # starts (or joins) and brings the schema up to date
    pin((settings.data_dir / "pgdata").expanduser().resolve())
    click.echo(f"embedded PostgreSQL running in {settings.data_dir / 'pgdata'} until "
               "`symcat db stop`")
    click.echo(f"url: {embedded_url(settings)}")


@db.command()
@click.option("--force", is_flag=True, help="Stop it even while symcat processes use it.")
@click.pass_obj
@friendly_errors
def stop(settings: Settings, force: bool) -> None:
    """Stop the embedded server (once no symcat process uses it, unless --force)."""
    from symcat.store.lifecycle import running_server, stop_server

    _embedded_only(settings, "stop")
    pgdata = (settings.data_dir / "pgdata").expanduser().resolve()
    if not (pgdata / "PG_VERSION").exists() or running_server(pgdata) is None:
        from symcat.store.lifecycle import pin

        if pgdata.is_dir():
            pin(pgdata, False)
        click.echo(f"the embedded PostgreSQL in {pgdata} is not running")
        return
    others = stop_server(pgdata, force=force)
    if others:
        click.echo(f"the embedded PostgreSQL in {pgdata} is in use by symcat processes "
                   f"{', '.join(map(str, others))}; it stops when the last one exits "
                   "(`symcat db stop --force` stops it now)")
        return
    click.echo(f"stopped the embedded PostgreSQL in {pgdata}")
