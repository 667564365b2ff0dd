"""`symcat serve`: the interactive dashboard (a Bokeh server) for exploring projections."""

from __future__ import annotations

import click

from symcat.cli import cli, friendly_errors
from symcat.cli.browse import WHERE_HELP, where_expression
from symcat.config import Settings


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True,
              help="TCP port (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; any other than localhost requires a token (printed).")
@click.option("-w", "--where", "where", multiple=True, metavar="EXPR", help=WHERE_HELP)
@click.option("--model", default=None, metavar="M",
              help="Embedding model (default: the default extractor, as `symcat embed`).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.pass_obj
@friendly_errors
def serve(settings: Settings, port: int, host: str, where: tuple[str, ...], model: str | None,
          no_browser: bool) -> None:
    """Serve the dashboard: filter, project, select and re-project, inspect, export."""
    from symcat.client import Catalog
    from symcat.query.expr import compile_expression

    expression = where_expression(where)
    compile_expression(expression)  # a typo is reported here, not in the browser
    try:
        from symcat.serve.server import run_forever, start
    except ImportError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        try:
            started = start(Catalog(settings=settings), port=port, host=host,
                            where=expression, model=model)
        except OSError as exc:  # said here, then out at once: warm-up threads may run
            click.echo(f"Error: cannot listen on {host}:{port}: {exc}", err=True)
            stop_now(settings, 1)
        click.echo(f"symcat dashboard: {started.url}", nl=True)
        if started.token:
            click.echo("  a token is required from other machines; share the URL above")
        click.echo("  Ctrl+C stops it", nl=True)
        run_forever(started, open_browser=not no_browser)
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C; SIGTERM and SIGHUP (lifecycle.py)
        click.echo("stopped")
    stop_now(settings, 0)


def stop_now(settings: Settings, code: int = 0) -> None:
    """Let go of the embedded server and end the process without waiting for the
    dashboard's worker threads (a projection can take minutes; systemd and docker
    kill -9 after a grace period, which would leave the server running)."""
    import os
    import sys

    from symcat.project import writes

    writes.wait(timeout=60)  # maps answered but still being stored (re-projections)
    if settings.embedded:
        from symcat.store.engine import stop_embedded

        stop_embedded(settings.data_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
