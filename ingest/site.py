"""Per-site configuration: who we are, which PC this is, how file paths name things.

Asylum files rarely say which sample, material, operator or project they
belong to; labs encode that in folder and file names instead. A site states
its convention as regular expressions with named groups, searched in the
file's absolute path (POSIX form, "/" separators), for example::

    # site.toml
    site = "lab-a"                      # optional: name of this site
    instrument = "cypher-pc-1"          # optional: name of this instrument PC
    timezone = "Europe/Berlin"          # optional: IANA zone of the PC's clock

    [[filename_rules]]
    pattern = '/(?P<project>[^/]+)/(?P<operator>[a-z]+)_(?P<sample>S\\d+)_'

    [[filename_rules]]
    pattern = '(?P<material>BFO|PZT|LiNbO3)'

Allowed group names: sample, material, operator, project. Rules are tried in
order; a field takes the value of the first rule whose group matched it.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_FIELDS: tuple[str, ...] = ("sample", "material", "operator", "project")
_TOP_KEYS = {"site", "instrument", "timezone", "filename_rules"}


class SiteConfigError(ValueError):
    """A site configuration that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class FilenameRule:
    """A regex with named groups among `SAMPLE_FIELDS`, searched in the file path."""

    pattern: str
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise SiteConfigError(f"filename rule {self.pattern!r}: invalid regex: {exc}") from exc
        unknown = sorted(set(compiled.groupindex) - set(SAMPLE_FIELDS))
        if unknown:
            raise SiteConfigError(
                f"filename rule {self.pattern!r}: unknown group name {unknown[0]!r} "
                f"(allowed: {', '.join(SAMPLE_FIELDS)})"
            )
        if not compiled.groupindex:
            raise SiteConfigError(
                f"filename rule {self.pattern!r} has no named group; use e.g. (?P<sample>...)"
            )
        object.__setattr__(self, "regex", compiled)

    def extract(self, posix_path: str) -> dict[str, str]:
        """The non-empty named groups of the first match in the path."""
        match = self.regex.search(posix_path)
        if match is None:
            return {}
        return {k: v for k, v in match.groupdict().items() if v}


@dataclass(frozen=True)
class SiteConfig:
    """What the reader knows about where a file was read."""

    site: str | None = None
    instrument: str | None = None
    filename_rules: tuple[FilenameRule, ...] = ()
    timezone: str | None = None

    def __post_init__(self) -> None:
        if self.timezone is not None:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise SiteConfigError(
                    f"timezone {self.timezone!r} is not an IANA time zone name "
                    "(e.g. 'Europe/Berlin')"
                ) from exc

    def sample_fields(self, path: str | os.PathLike[str]) -> dict[str, str]:
        """Fields named by the filename rules for this path (first rule wins)."""
        posix = Path(path).as_posix()
        found: dict[str, str] = {}
        for rule in self.filename_rules:
            for key, value in rule.extract(posix).items():
                found.setdefault(key, value)
        return found

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> SiteConfig:
        """Load a site file (format in the module docstring); errors name the file."""
        where = os.fspath(path)
        try:
            with open(where, "rb") as f:
                data = tomllib.load(f)
        except OSError as exc:
            raise SiteConfigError(f"{where}: cannot read site config: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SiteConfigError(f"{where}: not valid TOML: {exc}") from exc
        try:
            return cls._from_mapping(data)
        except SiteConfigError as exc:
            raise SiteConfigError(f"{where}: {exc}") from exc

    @classmethod
    def _from_mapping(cls, data: dict[str, Any]) -> SiteConfig:
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise SiteConfigError(
                f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP_KEYS))})"
            )
        for key in ("site", "instrument", "timezone"):
            if key in data and not isinstance(data[key], str):
                raise SiteConfigError(f"{key!r} must be a string")
        rules_data = data.get("filename_rules", [])
        if not isinstance(rules_data, list):
            raise SiteConfigError(
                "'filename_rules' must be an array of tables ([[filename_rules]])"
            )
        rules = []
        for i, item in enumerate(rules_data):
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                raise SiteConfigError(f"filename_rules[{i}] needs a string 'pattern'")
            extra = sorted(set(item) - {"pattern"})
            if extra:
                raise SiteConfigError(f"filename_rules[{i}]: unknown key {extra[0]!r}")
            rules.append(FilenameRule(item["pattern"]))
        return cls(
            site=data.get("site"),
            instrument=data.get("instrument"),
            filename_rules=tuple(rules),
            timezone=data.get("timezone"),
        )
