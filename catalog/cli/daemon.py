"""`symcat daemon ...`: run the ingestion daemon, or ask how it is doing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from symcat.cli import cli, friendly_errors
from symcat.config import Settings


@cli.group(invoke_without_command=True)
@click.option("--watch", "watch", multiple=True, type=click.Path(path_type=Path),
              help="Folder to watch, recursively (repeat for several).")
@click.option("--site", default=None, help="Site name recorded on each scan (SYMCAT_SITE).")
@click.option("--instrument", default=None,
              help="Instrument PC name recorded on each scan (SYMCAT_INSTRUMENT).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              envvar="SYMCAT_DAEMON_CONFIG",
              help="TOML file with the same settings (see docs/daemon.md); options win.")
@click.option("--stable-seconds", type=click.FloatRange(min=0), default=None,
              help="How long a file's size and mtime must not change before ingest (2).")
@click.option("--poll-seconds", type=click.FloatRange(min=0.01), default=None,
              help="How often every folder is re-scanned, for shares without events (2).")
@click.option("--site-config", type=click.Path(path_type=Path), default=None,
              help="TOML file of filename rules (SYMCAT_SITE_CONFIG).")
@click.option("--database-password-file", type=click.Path(path_type=Path), default=None,
              envvar="SYMCAT_DATABASE_PASSWORD_FILE",
              help="File whose first line is the database password.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="text, or json for one JSON object per line.")
@click.option("--log-file", type=click.Path(path_type=Path), default=None,
              help="Append logs to this file instead of stderr.")
@click.option("--no-events", is_flag=True, default=False,
              help="Find files by polling only (no filesystem events).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for libraries too).")
@click.pass_context
@friendly_errors
def daemon(
    ctx: click.Context, watch: tuple[Path, ...], site: str | None, instrument: str | None,
    config_file: Path | None, stable_seconds: float | None, poll_seconds: float | None,
    site_config: Path | None, database_password_file: Path | None, log_format: str | None,
    log_file: Path | None, no_events: bool, verbose: int,
) -> None:
    """Watch folders and catalogue every complete new .ibw file, exactly once.

    Files are journaled in a local outbox first, so nothing is lost while the
    catalog database is away or the daemon is stopped. Stop with Ctrl-C or SIGTERM.
    """
    if ctx.invoked_subcommand is not None:
        return
    from symcat.daemon import Daemon, logs
    from symcat.daemon import config as daemon_config
    from symcat.daemon.lock import AlreadyRunning
    from symcat.pipeline import site_config as make_site_config

    options: dict[str, Any] = {
        "watch": [str(w) for w in watch], "site": site, "instrument": instrument,
        "stable_seconds": stable_seconds, "poll_seconds": poll_seconds,
        "site_config": str(site_config) if site_config else None,
        "database_password_file": str(database_password_file) if database_password_file
        else None,
        "log_format": log_format, "log_file": str(log_file) if log_file else None,
        "use_events": False if no_events else None,
    }
    try:
        file_values = daemon_config.read_config_file(config_file) if config_file else {}
        settings, config = daemon_config.build(ctx.obj, file_values, options)
    except daemon_config.ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    logs.configure(fmt=config.log_format, file=config.log_file, verbose=verbose,
                   secrets=daemon_config.secrets_of(settings))
    runner = Daemon(settings, config, make_site_config(settings))
    runner.install_signal_handlers()
    try:
        runner.run()
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from exc


@daemon.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
@friendly_errors
def status(settings: Settings, as_json: bool) -> None:
    """Is the daemon running, and its backlog, last success, last error, refused count."""
    from symcat.daemon.status import daemon_status

    info = daemon_status(settings)
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    state = f"running (pid {info['pid']})" if info["running"] else "not running"
    click.echo(f"daemon:       {state}")
    click.echo(f"outbox:       {info['outbox']}")
    if "backlog" not in info:
        click.echo("nothing journaled yet")
        return
    if info["watch"]:
        click.echo(f"watching:     {', '.join(info['watch'])}")
    click.echo(f"backlog:      {info['backlog']}"
               + (f" (oldest found {info['oldest_pending_at']})" if info["backlog"] else ""))
    click.echo(f"catalogued:   {info['done']} (last {info['last_success_at'] or 'never'})")
    click.echo(f"refused:      {info['refused']}")
    for refusal in info["recent_refusals"]:
        click.echo(f"  {refusal['path']}: {refusal['reason']}")
    click.echo(f"failed:       {info['failed']}")
    if info["last_error"]:
        click.echo(f"last error:   {info['last_error']} at {info['last_error_at']}")
