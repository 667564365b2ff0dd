"""The installed distribution must contain every package of the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _listed() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(config["packages"])


def test_every_source_package_is_listed() -> None:
    roots = {"catalog": "symcat", "ingest": "symcat.ingest"}
    found = set()
    for folder, prefix in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((prefix, *relative)))
    missing = found - _listed()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_migrations_and_schemas_are_found_from_the_package() -> None:
    from symcat.store.migrate import migrations_dir

    assert (migrations_dir() / "env.py").is_file()
    assert any((migrations_dir() / "versions").glob("0001_*.py"))


ROOTS = {"catalog": "symcat", "ingest": "symcat.ingest", "migrations": "symcat.migrations",
         "schemas": "symcat.schemas"}


def _git_files(*folders: str) -> list[str]:
    return subprocess.run(["git", "ls-files", *folders], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.split()


def _tracked_data_files() -> dict[str, str]:
    """Tracked non-Python files of the installed folders, as source path -> path in the
    installed `symcat` tree."""
    files = {}
    for path in _git_files(*ROOTS):
        if path.endswith(".py") or "/tests/" in path:
            continue
        folder, _, rest = path.partition("/")
        package_path = ROOTS[folder].replace(".", "/")
        files[path] = f"{package_path}/{rest}"
    return files


def test_a_built_wheel_holds_every_tracked_data_file(tmp_path: Path) -> None:
    """A plain (non-editable) install must carry every model version's weights folder:
    the default symmetry model once failed there because package-data listed only the
    versions of its day."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"  # a clean copy: a stale build/ would hide a missing file
    for path in ["pyproject.toml", "README.md", *_git_files(*ROOTS)]:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, source / path)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "--no-build-isolation", str(source), "-w", str(tmp_path)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("symcat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _tracked_data_files()
    assert any("weights_v24" in p for p in expected), "the test sees no weights folders"
    missing = sorted(src for src, inside in expected.items() if inside not in names)
    assert not missing, f"add to [tool.setuptools.package-data]: {missing}"
