"""The daemon's configuration: folders to watch, timing, logs; from options or a TOML file.

A service manager starts the daemon with one argument (`--config FILE`), so
everything can live in the file; options given on the command line win. The
database password is never in this object's repr and never logged: it comes
from the environment (SYMCAT_DATABASE_URL, PGPASSWORD, a pgpass file) or from
`database_password_file`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from sqlalchemy.engine import make_url

from symcat.config import Settings
from symcat.ingest.watch import DEFAULT_POLL_SECONDS, DEFAULT_STABLE_SECONDS

# Keys of the config file: (type, meaning). Documented in docs/daemon.md.
FILE_KEYS: dict[str, tuple[type, str]] = {
    "watch": (list, "folders to watch, recursively"),
    "site": (str, "site name recorded on every scan"),
    "instrument": (str, "instrument PC name recorded on every scan"),
    "stable_seconds": (float, "how long size and mtime must not change before ingest"),
    "poll_seconds": (float, "how often every folder is re-scanned"),
    "database_url": (str, "catalog URL (better: SYMCAT_DATABASE_URL), no password in it"),
    "database_password_file": (str, "file whose first line is the database password"),
    "data_dir": (str, "folder of the outbox (and of an embedded database)"),
    "site_config": (str, "TOML file of filename rules"),
    "log_format": (str, "'text' or 'json' (one JSON object per line)"),
    "log_file": (str, "append logs to this file instead of stderr"),
    "max_attempts": (int, "tries to read a file before it is marked failed"),
    "use_events": (bool, "use filesystem events as well as polling"),
    "max_file_bytes": (int, "largest file read, in bytes; larger ones are refused"),
}


class ConfigError(ValueError):
    """The configuration file or options are wrong; the message says which key."""


@dataclass(frozen=True)
class DaemonConfig:
    """Everything `Daemon` needs besides the catalog `Settings`."""

    watch: tuple[Path, ...]
    stable_seconds: float = DEFAULT_STABLE_SECONDS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    log_format: str = "text"
    log_file: Path | None = None
    max_attempts: int = 8
    use_events: bool = True
    database_password_file: Path | None = field(default=None)

    def validate(self) -> None:
        if not self.watch:
            raise ConfigError("give at least one folder to watch (--watch DIR, or watch = [...])")
        if self.stable_seconds < 0:
            raise ConfigError(f"stable_seconds must be >= 0, got {self.stable_seconds}")
        if self.poll_seconds <= 0:
            raise ConfigError(f"poll_seconds must be > 0, got {self.poll_seconds}")
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format must be 'text' or 'json', got {self.log_format!r}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {self.max_attempts}")


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML file's keys (a `[daemon]` table, or top level), checked against FILE_KEYS."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    data = data.get("daemon", data)
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; expected some of {sorted(FILE_KEYS)}")
    for key, value in data.items():
        kind = FILE_KEYS[key][0]
        ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
        if not ok or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: {key} must be a {kind.__name__}, got {value!r}")
    if "watch" in data and not all(isinstance(v, str) for v in data["watch"]):
        raise ConfigError(f"{path}: watch must be a list of folder names")
    return data


def build(
    settings: Settings, file_values: dict[str, Any], options: dict[str, Any]
) -> tuple[Settings, DaemonConfig]:
    """Merge: command-line options, then the config file, then `settings` (environment)."""
    merged = {**file_values, **{k: v for k, v in options.items() if v not in (None, (), [])}}
    settings = dataclasses.replace(
        settings,
        site=merged.get("site") or settings.site,
        instrument=merged.get("instrument") or settings.instrument,
        database_url=merged.get("database_url") or settings.database_url,
        data_dir=Path(merged["data_dir"]).expanduser() if merged.get("data_dir")
        else settings.data_dir,
        site_config=Path(merged["site_config"]).expanduser() if merged.get("site_config")
        else settings.site_config,
        max_file_bytes=int(merged.get("max_file_bytes") or settings.max_file_bytes),
    )
    if settings.max_file_bytes < 1:
        raise ConfigError(f"max_file_bytes must be >= 1, got {settings.max_file_bytes}")
    password_file = merged.get("database_password_file")
    if password_file:
        settings = dataclasses.replace(
            settings, database_url=with_password(settings.database_url, Path(password_file))
        )
    if settings.database_url:
        settings = dataclasses.replace(settings, database_url=with_timeouts(settings.database_url))
    config = DaemonConfig(
        watch=tuple(Path(w).expanduser() for w in merged.get("watch", ())),
        stable_seconds=float(merged.get("stable_seconds", DEFAULT_STABLE_SECONDS)),
        poll_seconds=float(merged.get("poll_seconds", DEFAULT_POLL_SECONDS)),
        log_format=merged.get("log_format", "text"),
        log_file=Path(merged["log_file"]).expanduser() if merged.get("log_file") else None,
        max_attempts=int(merged.get("max_attempts", 8)),
        use_events=bool(merged.get("use_events", True)),
        database_password_file=Path(password_file) if password_file else None,
    )
    config.validate()
    return settings, config


def with_password(url: str | None, password_file: Path) -> str:
    """`url` with the password read from `password_file` (first line, whitespace stripped)."""
    if not url:
        raise ConfigError("database_password_file needs a database URL (SYMCAT_DATABASE_URL)")
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"cannot read database password file {password_file}: {exc.strerror or exc}"
        ) from exc
    password = lines[0].strip() if lines else ""
    if not password:
        raise ConfigError(f"database password file {password_file} is empty")
    return make_url(url).set(password=password).render_as_string(hide_password=False)


# libpq settings for a service on a flaky network: give up connecting after 10 s, and
# notice a vanished server within about a minute instead of the OS's hours. Without
# them a stop request could wait on a half-open connection.
CONNECTION_DEFAULTS = {
    "connect_timeout": "10", "keepalives": "1", "keepalives_idle": "30",
    "keepalives_interval": "10", "keepalives_count": "3",
}


def with_timeouts(url: str) -> str:
    """`url` with CONNECTION_DEFAULTS added where the URL does not set them itself."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        return url
    extra = {k: v for k, v in CONNECTION_DEFAULTS.items() if k not in parsed.query}
    return parsed.update_query_dict(extra).render_as_string(hide_password=False)


def secrets_of(settings: Settings) -> list[str]:
    """Strings that must never appear in a log line: the database password."""
    if not settings.database_url:
        return []
    password = make_url(settings.database_url).password
    if not password:
        return []
    text = str(password)
    return list({text, quote(text, safe=""), quote_plus(text)})


def safe_url(settings: Settings) -> str:
    """The database URL for logs and status: password hidden, or where the embedded one is."""
    if not settings.database_url:
        return f"embedded PostgreSQL in {settings.data_dir / 'pgdata'}"
    return make_url(settings.database_url).render_as_string(hide_password=True)
