"""`symcat db ...`: schema migrations and the state of the database."""

from __future__ import annotations

import click

from symcat.cli import cli, friendly_errors
from symcat.config import Settings


@cli.group()
def db() -> None:
    """Database schema and status."""


@db.command()
@click.argument("revision", default="head")
@click.pass_obj
@friendly_errors
def upgrade(settings: Settings, revision: str) -> None:
    """Bring the schema to REVISION (default: the newest)."""
    from symcat.store import migrate
    from symcat.store.engine import get_engine

    engine = get_engine(settings, upgrade=False)
    migrate.upgrade(engine, revision)
    click.echo(f"schema at revision {migrate.current_revision(engine)}")


@db.command()
@click.argument("revision")
@click.pass_obj
@friendly_errors
def downgrade(settings: Settings, revision: str) -> None:
    """Take the schema back to REVISION ('base' removes every symcat table)."""
    from symcat.store import migrate
    from symcat.store.engine import get_engine

    engine = get_engine(settings, upgrade=False)
    migrate.downgrade(engine, revision)
    click.echo(f"schema at revision {migrate.current_revision(engine)}")


@db.command()
@click.pass_obj
@friendly_errors
def status(settings: Settings) -> None:
    """Where the catalog is, its schema revision, and what it holds."""
    from sqlalchemy import func, select

    from symcat.store import migrate
    from symcat.store.engine import get_engine
    from symcat.store.models import Refusal, Scan

    engine = get_engine(settings, upgrade=False)
    where = settings.database_url or f"embedded PostgreSQL in {settings.data_dir / 'pgdata'}"
    current, head = migrate.current_revision(engine), migrate.head_revision()
    from symcat.cli.dbserver import catalog_url
    from symcat.store.lifecycle import is_pinned

    click.echo(f"database: {where}")
    url = catalog_url(settings)
    if settings.embedded:
        lasts = ("until `symcat db stop`" if is_pinned(settings.data_dir / "pgdata") else
                 "while a symcat process uses it; `symcat db start` keeps it up")
        click.echo(f"url:      {url}  (for psql; running {lasts})")
    else:
        click.echo(f"url:      {url}  (for psql)")
    click.echo(f"schema:   {current or 'empty'} (newest {head})")
    if current is None:
        click.echo("run `symcat db upgrade` to create the tables")
        return
    with engine.connect() as conn:
        kinds = conn.execute(
            select(Scan.record_kind, func.count()).group_by(Scan.record_kind)
        ).all()
        refused = conn.execute(
            select(func.count()).select_from(Refusal).where(Refusal.resolved_at.is_(None))
        ).scalar_one()
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds)) or "nothing yet"
    click.echo(f"scans:    {summary}")
    click.echo(f"refused:  {refused}")
