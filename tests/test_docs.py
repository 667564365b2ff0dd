"""Documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from symcat.cli import cli
from symcat.config import SETTINGS
from symcat.query.filters import FILTER_COLUMNS

REPO = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "symcat") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_setting_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [s.env for s in SETTINGS if s.env not in readme]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_command_is_in_the_cli_reference() -> None:
    import importlib
    import pkgutil

    import symcat.cli as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name == "__main__":
            continue
        importlib.import_module(f"symcat.cli.{module.name}")
    reference = (REPO / "docs" / "cli.md").read_text()
    missing = [name for name in _commands(cli) if f"`{name}" not in reference]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def test_every_filter_is_in_the_cli_reference() -> None:
    reference = (REPO / "docs" / "cli.md").read_text()
    missing = [name for name in FILTER_COLUMNS if name not in reference]
    assert not missing, f"document these filters in docs/cli.md: {missing}"
