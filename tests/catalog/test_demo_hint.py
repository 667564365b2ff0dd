"""The demo ends by saying how to open the dashboard on its own data, exactly."""

from __future__ import annotations

import shlex
from pathlib import Path

from click.testing import CliRunner

from symcat.cli import cli
from symcat.config import Settings
from symcat.demo import dashboard_hint, demo_settings


def test_demo_names_the_dashboard_command_for_its_data(tmp_path: Path) -> None:
    folder = tmp_path / "my data"  # a space: the command must still be one to paste
    hint = dashboard_hint(demo_settings(Settings(data_dir=folder)))
    command = next(line.strip() for line in hint.splitlines() if "symcat" in line)
    words = shlex.split(command)
    assert words == ["symcat", "--data-dir", str(folder / "demo"), "serve"]
    import symcat.cli.serve  # noqa: F401  (registers the command)

    parsed = CliRunner().invoke(cli, [*words[1:], "--help"])
    assert parsed.exit_code == 0 and "--port" in parsed.output


def test_demo_on_a_server_points_at_the_same_url() -> None:
    hint = dashboard_hint(demo_settings(Settings(database_url="postgresql://lab@db/cat")))
    assert "symcat serve" in hint and "SYMCAT_DATABASE_URL" in hint
