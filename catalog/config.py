"""Settings: one table of (name, default, help), and the only reader of the environment.

Everything else receives a `Settings` object built at the edge (CLI, client),
so library code never reaches into `os.environ` behind the caller's back.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One configurable value: its environment variable, default and meaning."""

    name: str
    env: str
    default: str | None
    help: str


def _default_data_dir() -> str:
    """Per-user data folder, like other desktop tools (XDG on Linux, AppData on Windows)."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return str(Path(base) / "symcat")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "symcat")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "SYMCAT_DATABASE_URL",
        None,
        "SQLAlchemy URL of the catalog database, e.g. postgresql+psycopg://user@host/symcat. "
        "Unset: an embedded PostgreSQL (with pgvector) in the data folder is used.",
    ),
    Setting(
        "data_dir",
        "SYMCAT_DATA_DIR",
        None,
        "Folder for the embedded database and local state. Default: the user's data folder "
        "(~/.local/share/symcat on Linux, %LOCALAPPDATA%\\symcat on Windows).",
    ),
    Setting(
        "site",
        "SYMCAT_SITE",
        "local",
        "Name of the lab or site that owns the scans ingested here (federation key).",
    ),
    Setting(
        "instrument",
        "SYMCAT_INSTRUMENT",
        None,
        "Name of the instrument PC that ingests. Default: this computer's host name.",
    ),
    Setting(
        "site_config",
        "SYMCAT_SITE_CONFIG",
        None,
        "Optional TOML file with filename rules that extract sample, material, operator and "
        "project from file paths (see docs/site-config.md).",
    ),
    Setting(
        "max_file_bytes",
        "SYMCAT_MAX_FILE_BYTES",
        "1073741824",
        "Largest file ingest will read, in bytes (default 1 GiB); a larger file is refused "
        "with its size, never read.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `Settings.from_env()` or directly in tests."""

    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(_default_data_dir()))
    site: str = "local"
    instrument: str = field(default_factory=socket.gethostname)
    site_config: Path | None = None
    max_file_bytes: int = 1024 * 1024 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read every `SETTINGS` row from the environment; explicit overrides win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env) or setting.default
            if raw is not None:
                values[setting.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(str(values["data_dir"])).expanduser()
        if "max_file_bytes" in values:
            values["max_file_bytes"] = _positive_int(values["max_file_bytes"], "max_file_bytes")
        if values.get("site_config") is not None:
            values["site_config"] = Path(str(values["site_config"])).expanduser()
        return cls(**values)  # type: ignore[arg-type]

    @property
    def embedded(self) -> bool:
        """True when symcat runs its own PostgreSQL instead of connecting by URL."""
        return not self.database_url


def _positive_int(value: object, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if number <= 0:
        env = next(s.env for s in SETTINGS if s.name == name)
        raise ValueError(f"{env} must be a positive whole number, got {value!r}")
    return number
