"""`symcat federation stop` says what it did: stopped, not running, or no catalog there."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import symcat.cli.federation  # noqa: F401  (registers the command)
from symcat.cli import cli
from symcat.client import Catalog
from symcat.config import Settings
from symcat.store.engine import dispose_all


def _stop(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(folder), "federation", "stop"])
    return result.exit_code, result.output.strip()


def test_stop_says_what_it_did(tmp_path: Path) -> None:
    assert _stop(tmp_path / "nothing") == (
        1, f"Error: no embedded catalog in {tmp_path / 'nothing'} (no pgdata folder): check "
           "--data-dir or SYMCAT_DATA_DIR")
    folder = tmp_path / "lab"
    assert Catalog(settings=Settings(data_dir=folder)).count() == 0  # starts its server
    dispose_all()
    assert _stop(folder) == (0, f"stopped the embedded server in {folder / 'pgdata'}")
    assert not (folder / "pgdata" / "postmaster.pid").exists()
    assert _stop(folder) == (0, f"the embedded server in {folder / 'pgdata'} was not running")
