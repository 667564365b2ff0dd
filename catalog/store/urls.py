"""Database URLs as people write them: checked once, with one-line reasons, and turned
into the two forms symcat needs (SQLAlchemy's, and libpq's for psql and other tools)."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
EXAMPLE = "postgresql://user@host:5432/symcat"


class BadDatabaseURL(ValueError):
    """SYMCAT_DATABASE_URL (or --database-url) is not a PostgreSQL URL symcat can use."""


def _shown(text: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(text).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparseable: show it cut short, never a password
        return text.split("@")[-1][:80]


def parse_database_url(text: str) -> URL:
    """The SQLAlchemy URL (driver psycopg) for `text`, or BadDatabaseURL saying why."""
    try:
        url = make_url(text.strip())
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError or ValueError
        if isinstance(exc, ValueError) and "int()" in str(exc):
            raise BadDatabaseURL(f"database URL {_shown(text)!r} has a port that is not a "
                                 "number") from exc
        raise BadDatabaseURL(
            f"cannot read the database URL {_shown(text)!r}: expected a URL like {EXAMPLE} "
            "(set by SYMCAT_DATABASE_URL or --database-url)"
        ) from exc
    scheme = url.drivername
    if scheme not in SCHEMES:
        backend = scheme.split("+")[0]
        why = ("symcat needs PostgreSQL" if backend not in ("postgresql", "postgres")
               else "symcat talks to PostgreSQL through psycopg 3")
        raise BadDatabaseURL(
            f"database URL scheme {scheme!r} is not supported: {why}; use postgresql:// or "
            f"postgresql+psycopg:// (e.g. {EXAMPLE}), or unset SYMCAT_DATABASE_URL for the "
            "embedded database"
        )
    return url.set(drivername="postgresql+psycopg")


def libpq_url(url: URL | str, *, with_password: bool = False) -> str:
    """The URL psql, pg_dump and other libpq tools accept (no driver name).

    The password is left out unless asked for: psql then prompts, or reads
    PGPASSWORD or ~/.pgpass.
    """
    url = make_url(url) if isinstance(url, str) else url
    auth = ""
    if url.username:
        auth = quote(url.username, safe="")
        if with_password and url.password:
            auth += ":" + quote(str(url.password), safe="")
        auth += "@"
    host = url.host or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = f":{url.port}" if url.port else ""
    database = quote(url.database or "", safe="")
    query = "&".join(
        f"{quote(key, safe='')}={quote(value, safe='/')}"
        for key, values in sorted(url.query.items())
        for value in ((values,) if isinstance(values, str) else values)
    )
    return f"postgresql://{auth}{host}{port}/{database}" + (f"?{query}" if query else "")


__all__ = ["BadDatabaseURL", "libpq_url", "parse_database_url"]
