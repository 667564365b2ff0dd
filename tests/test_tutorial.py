"""The tutorial notebook (docs/tutorial.ipynb) runs from top to bottom, and what it
displays is what it promises: channels with colour bars, neighbours, a projection."""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def display(value: Any) -> tuple[str, Any]:
    """What Jupyter would show for a cell's last value, by the same repr methods."""
    for kind in ("html", "png"):
        method = getattr(value, f"_repr_{kind}_", None)
        if callable(method):
            shown = method()
            if shown is not None:
                return kind, shown
    return "text", repr(value)


def run_cell(source: str, namespace: dict[str, Any]) -> tuple[str, Any] | None:
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = ast.Module(body=tree.body[:-1] if last else tree.body, type_ignores=[])
    exec(compile(body, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - our own notebook
    if last is None:
        return None
    value = eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"), namespace)  # noqa: S307
    return None if value is None else display(value)


def test_the_tutorial_runs_and_shows_its_pictures(fresh_database_url: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from symcat.embed.registry import available, default_extractor

    if not available(default_extractor()):
        pytest.skip("the default feature extractor's weights are not installed")
    from symcat.config import Settings
    from symcat.store.engine import get_engine

    get_engine(Settings(database_url=fresh_database_url), upgrade=True)  # a "lab server"
    monkeypatch.setenv("SYMCAT_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("NUMBA_CACHE_DIR", os.environ.get(
        "NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "symcat-numba-tests")))
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict[str, Any] = {}
    try:
        check_tutorial(cells, namespace, capsys)
    finally:  # the notebook's files folder, made with mkdtemp as a reader's would be
        if isinstance(namespace.get("folder"), Path):
            shutil.rmtree(namespace["folder"], ignore_errors=True)


def check_tutorial(cells: list[dict[str, Any]], namespace: dict[str, Any],
                   capsys: pytest.CaptureFixture[str]) -> None:
    """Each cell run in turn; what the reader is shown is what the notebook promises."""
    shown = [run_cell("".join(c["source"]), namespace) for c in cells]

    scan_html = next(v for k, v in filter(None, shown) if k == "html" and "symcat-scan" in v)
    assert scan_html.count("<img") >= 4  # height, amplitude, phase, frequency, A·cos φ
    assert "symcat-neighbours" in next(v for k, v in filter(None, shown)
                                       if k == "html" and "symcat-neighbours" in v)
    pngs = [v for k, v in filter(None, shown) if k == "png"]
    assert len(pngs) == 2 and all(p.startswith(b"\x89PNG") for p in pngs)  # map and plot
    printed = capsys.readouterr().out
    assert "ScanData(" in printed and len(printed.splitlines()[0]) < 400
    assert len(namespace["catalog"].scans('selection = "tutorial-pick"')) == 4
    groups = namespace["groups"]  # an array and a catalogued scan, one row each
    assert groups["symmetry"][0] == "p4m" and groups["file"][1] == str(namespace["scans"].id[0])
    assert groups["symmetry"][1] == namespace["catalog"].scans(id=[groups["file"][1]])[
        "symmetry"][0]  # the answer `embed` stored for it
