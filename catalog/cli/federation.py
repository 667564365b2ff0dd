"""`symcat federation ...`: sharing rules and publishing at a lab; labs at a hub."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from symcat.cli import cli, friendly_errors
from symcat.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


def federation_errors(func: F) -> F:
    """FederationError is the user's to act on: one line, exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from symcat.federation import FederationError

        try:
            return func(*args, **kwargs)
        except FederationError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _federation(settings: Settings) -> Any:
    from symcat.federation.api import Federation

    return Federation(settings)


@cli.group()
def federation() -> None:
    """Share scans with hubs (at a lab) and search several labs together (at a hub)."""


@federation.command()
@click.argument("name")
@click.argument("where")
@click.option("--with", "parts", default="", metavar="PARTS",
              help="What matching scans carry besides metadata, comma-separated: "
                   "pixels (channels with thumbnails), embeddings, originals.")
@click.pass_obj
@friendly_errors
@federation_errors
def share(settings: Settings, name: str, where: str, parts: str) -> None:
    """Share the scans matching WHERE (the filter language) under rule NAME (replacing a
    rule of that name). Scans already in the catalog and new ones follow it."""
    chosen = [p.strip() for p in parts.split(",") if p.strip()]
    change = _federation(settings).share(name, where, chosen)
    click.echo(f"rule {name!r}: {change.changed['scans']} scans changed sharing; "
               + ", ".join(f"{t} {n}" for t, n in change.changed.items() if t != "scans"))


@federation.command()
@click.argument("name")
@click.pass_obj
@friendly_errors
@federation_errors
def unshare(settings: Settings, name: str) -> None:
    """Remove sharing rule NAME; scans no other rule matches leave the hubs."""
    change = _federation(settings).unshare(name)
    click.echo(f"rule {name!r} removed: {change.changed['scans']} scans changed sharing")


@federation.command()
@click.pass_obj
@friendly_errors
def rules(settings: Settings) -> None:
    """The sharing rules of this catalog."""
    frame = _federation(settings).rules()
    click.echo(frame.to_string(index=False) if len(frame) else
               "no sharing rules: nothing leaves this catalog")


@federation.command()
@click.option("--listen", default="localhost", show_default=True,
              help="Address the embedded server listens on ('*' for every interface).")
@click.option("--port", type=int, default=None, help="TCP port (default: a free one, kept).")
@click.option("--host", default=None, help="Host name hubs use in the URL (default: this "
              "computer's name, or localhost when listening on localhost).")
@click.option("--max-wal-keep", default="10GB", show_default=True,
              help="WAL kept for a hub that is away (max_slot_wal_keep_size).")
@click.option("--url-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the hub's URL (with its password) to this file (mode 600) instead "
                   "of printing it.")
@click.option("--keep-password", is_flag=True,
              help="Keep the replication role's password (after an upgrade: hubs keep "
                   "working).")
@click.pass_obj
@friendly_errors
@federation_errors
def prepare(settings: Settings, listen: str, port: int | None, host: str | None,
            max_wal_keep: str, url_file: Path | None, keep_password: bool) -> None:
    """Make this catalog publish to hubs: logical WAL, a TCP port with scram passwords, a
    replication role with a new password, and the publication of what the rules share.
    Restarts an embedded server once."""
    from symcat.federation.lab import write_url

    prepared = _federation(settings).prepare(listen=listen, port=port, host=host,
                                             keep_password=keep_password,
                                             max_slot_wal_keep_size=max_wal_keep)
    if prepared.restarted:
        click.echo("the embedded server restarted with logical replication on port "
                   f"{prepared.port}")
    if keep_password and ":" not in prepared.url.split("@")[0].split("//")[1]:
        click.echo(f"ready; the password is unchanged ({prepared.url})")
    elif url_file is not None:
        write_url(url_file, prepared.url)
        click.echo(f"the hub's URL (with a new password) is in {url_file}; at the hub run: "
                   f"symcat federation add --url-file {url_file.name}")
    else:
        click.echo("at the hub, run (the URL carries a new password; keep it out of logs):")
        click.echo(f"  symcat federation add '{prepared.url}'")


@federation.command()
@click.argument("url", required=False)
@click.option("--url-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Read the lab's URL from this file.")
@click.option("--name", default=None, help="The lab's name here (default: its site).")
@click.option("--replace", is_flag=True,
              help="Replace rows of the lab's sites that the hub still holds.")
@click.pass_obj
@friendly_errors
@federation_errors
def add(settings: Settings, url: str | None, url_file: Path | None, name: str | None,
        replace: bool) -> None:
    """Subscribe this catalog (the hub) to the lab at URL; its shared scans then arrive and
    keep arriving."""
    if url_file is not None:
        url = url_file.read_text(encoding="utf-8").strip()
    if not url:
        raise click.UsageError("give the lab's URL, or --url-file")
    added = _federation(settings).add_lab(url, name=name, replace=replace)
    click.echo(f"added lab {added['name']!r} (sites {', '.join(added['sites']) or 'none yet'}, "
               f"schema {added['revision']}); its scans are being copied: "
               "symcat federation status")


@federation.command()
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the lab's rows at this hub.")
@click.pass_obj
@friendly_errors
@federation_errors
def remove(settings: Settings, name: str, purge: bool) -> None:
    """Stop receiving from lab NAME (its rows stay unless --purge)."""
    removed = _federation(settings).remove_lab(name, purge=purge)
    purged = removed["purged"]
    click.echo(f"removed lab {name!r}"
               + (f"; deleted {purged.get('scans', 0)} scans with their channels and vectors"
                  if purge else "; its rows stay here"))
    if removed["note"]:
        click.echo(removed["note"])


@federation.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@friendly_errors
def status(settings: Settings, as_json: bool) -> None:
    """Per lab: connected, lag, last message, rows at the hub, errors and conflicts, WAL
    kept at the lab, schema revisions."""
    frame = _federation(settings).status_frame()
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso"))
        return
    if not len(frame):
        click.echo("no labs: add one with symcat federation add URL")
    for record in frame.to_dict(orient="records"):
        click.echo(f"lab {record.pop('lab')}")
        for key, value in record.items():
            if value is not None and value == value:  # skip None and NaN
                click.echo(f"  {key:<20} {value}")


@federation.command()
@click.pass_obj
@friendly_errors
def index(settings: Settings) -> None:
    """At a hub: build the HNSW index of each model whose vectors arrived from labs (run it
    once the first copies are in; later vectors join the index by themselves)."""
    built = _federation(settings).index()
    click.echo(f"indexed: {', '.join(built)}" if built else "every model is indexed already")


@federation.command()
@click.pass_obj
@friendly_errors
def stop(settings: Settings) -> None:
    """Stop this data folder's embedded server, which keeps running after symcat exits once
    it is federated (a lab serves hubs, a hub applies what labs send)."""
    from symcat.store.engine import stop_embedded
    from symcat.store.lifecycle import running_server

    if settings.database_url:
        raise click.ClickException("a server given by URL is stopped by its administrator")
    pgdata = settings.data_dir / "pgdata"
    if not pgdata.is_dir():
        raise click.ClickException(f"no embedded catalog in {settings.data_dir} (no pgdata "
                                   "folder): check --data-dir or SYMCAT_DATA_DIR")
    running = running_server(pgdata) is not None
    stop_embedded(settings.data_dir)
    click.echo(f"stopped the embedded server in {pgdata}" if running
               else f"the embedded server in {pgdata} was not running")


@federation.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the figure (default: <data dir>/federation-demo).")
@click.pass_obj
@friendly_errors
@federation_errors
def demo_command(settings: Settings, out_dir: Path | None) -> None:
    """Three small labs with different data and rules, and a hub: a cross-lab query, kNN
    and a projection coloured by lab."""
    from symcat.federation.demo import run_federation_demo

    run_federation_demo(settings, echo=click.echo, out_dir=out_dir)
