"""`symcat db roles`: least-privilege roles for ingestion daemons and readers."""

from __future__ import annotations

from pathlib import Path

import click

from symcat.cli import friendly_errors
from symcat.cli.db import db
from symcat.config import Settings


def _password(path: Path | None) -> str | None:
    if path is None:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].strip():
        raise click.ClickException(f"password file {path} is empty")
    return lines[0].strip()


@db.command()
@click.option("--ingest-password-file", type=click.Path(exists=True, path_type=Path),
              default=None, help="Let symcat_ingest log in, with the password on this file's "
              "first line.")
@click.option("--reader-password-file", type=click.Path(exists=True, path_type=Path),
              default=None, help="Let symcat_reader log in, with this file's password.")
@click.option("--sql", "print_sql", is_flag=True,
              help="Print the SQL (for psql) instead of running it.")
@click.pass_obj
@friendly_errors
def roles(settings: Settings, ingest_password_file: Path | None,
          reader_password_file: Path | None, print_sql: bool) -> None:
    """Create or update the roles symcat_ingest (adds catalog rows; never changes originals,
    pixels or identity columns, never deletes) and symcat_reader (read only). Run as a
    database administrator; safe to repeat."""
    from symcat.store import roles as store_roles
    from symcat.store.engine import get_engine

    if print_sql:
        from sqlalchemy.engine import make_url

        url = settings.database_url
        database = (make_url(url).database if url else None) or "postgres"
        click.echo(";\n".join(store_roles.roles_sql(database)) + ";")
        return
    passwords = {
        role: password
        for role, password in (
            (store_roles.INGEST_ROLE, _password(ingest_password_file)),
            (store_roles.READER_ROLE, _password(reader_password_file)),
        )
        if password is not None
    }
    engine = get_engine(settings)
    try:
        with engine.begin() as conn:
            store_roles.apply(conn, passwords=passwords)
    except store_roles.RolesError as exc:
        raise click.ClickException(str(exc)) from None
    login = ", ".join(sorted(passwords)) or "none (group roles: GRANT them to login roles)"
    click.echo(f"roles {store_roles.INGEST_ROLE} and {store_roles.READER_ROLE} are up to date; "
               f"may log in: {login}")
