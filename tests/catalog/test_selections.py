"""Saved selections: stored in one transaction, listed, used in both filter forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import symcat.cli.browse  # noqa: F401  (registers the command)
import symcat.cli.selections  # noqa: F401  (registers the command)
from symcat.cli import cli
from symcat.client import Catalog
from symcat.query.expr import ExpressionError
from symcat.query.selections import SelectionError, selection_ids


def _ingest(catalog: Catalog, folder: Path) -> list:
    from symcat.ingest.synth.dataset import generate_dataset

    for name in catalog.selections()["name"]:  # the shared test database keeps them
        catalog.delete_selection(name)
    generate_dataset(folder, 8, seed=2, points=32)
    catalog.ingest([folder], jobs=1)
    return list(catalog.scans(kind="image")["id"])


def test_saved_selection_is_a_filter(catalog: Catalog, tmp_path: Path) -> None:
    ids = _ingest(catalog, tmp_path)
    chosen, other = ids[:3], ids[3:5]
    assert catalog.save_selection("bubbles-2024", chosen, where="kind = image") == 3
    catalog.save_selection("stripes", other)
    assert set(catalog.scans('selection = "bubbles-2024"')["id"]) == set(chosen)
    assert set(catalog.scans(selection="bubbles-2024")["id"]) == set(chosen)
    assert set(catalog.scans("selection in (bubbles-2024, stripes)")["id"]) == set(
        chosen + other)
    rest = set(catalog.scans("kind = image and selection != 'bubbles-2024'")["id"])
    assert rest == set(ids) - set(chosen)
    listed = catalog.selections()
    assert list(listed["name"]) == ["stripes", "bubbles-2024"]  # newest first
    row = listed.set_index("name").loc["bubbles-2024"]
    assert row.n_scans == 3 and row.where_text == "kind = image"
    assert set(selection_ids(catalog.engine, "stripes")) == set(other)


def test_selection_mistakes_are_clear(catalog: Catalog, tmp_path: Path) -> None:
    ids = _ingest(catalog, tmp_path)
    catalog.save_selection("a", ids[:2])
    with pytest.raises(SelectionError, match="exists already"):
        catalog.save_selection("a", ids[2:4])
    assert set(selection_ids(catalog.engine, "a")) == set(ids[:2])  # nothing half-written
    assert catalog.save_selection("a", ids[2:5], replace=True) == 3
    with pytest.raises(SelectionError, match="empty"):
        catalog.save_selection("b", [])
    with pytest.raises(SelectionError, match="not in the catalog"):
        catalog.save_selection("b", [*ids[:1], "00000000-0000-0000-0000-000000000001"])
    assert "b" not in set(catalog.selections()["name"])
    with pytest.raises(SelectionError, match="saved: 'a'"):
        selection_ids(catalog.engine, "nope")
    # a name nobody saved is a mistake (a typo, or deleted since a link was shared), in
    # every form of the filter and wherever the filter is used, not an empty answer
    for where, filters in (("selection = nothing-saved", {}), ("selection != 'nope'", {}),
                           ("selection in (a, nope2)", {}), (None, {"selection": "nope3"}),
                           ("kind = image or selection = nope4", {})):
        with pytest.raises(SelectionError, match=r"no saved selection named 'nope.*'"
                           r"|no saved selection named 'nothing-saved' \(saved: 'a'\)"):
            catalog.count(where, **filters)
    with pytest.raises(SelectionError, match="no saved selection named 'gone'"):
        catalog.scans("selection = gone")
    assert catalog.count("selection = a and not selection = a") == 0  # still usable
    result = CliRunner().invoke(cli, ["--database-url", catalog.settings.database_url, "scans",
                                      "--where", "selection = 'a' or selection = typo"])
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        "Error: no saved selection named 'typo' (saved: 'a')"]
    with pytest.raises(ExpressionError, match="after 'selection'"):
        catalog.scans("selection ~ a")
    assert catalog.delete_selection("a") and catalog.selections().empty


def test_selections_from_the_shell(catalog: Catalog, tmp_path: Path) -> None:
    ids = _ingest(catalog, tmp_path)
    url = ["--database-url", catalog.settings.database_url]

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, [*url, "selections", *args])
        return result.exit_code, result.output

    assert run("list") == (0, "no saved selections yet: symcat selections save NAME "
                              "--where EXPR\n")
    wide = set(catalog.scans("scan_size_x_m >= 1um")["id"])
    assert 0 < len(wide) < len(ids)
    code, out = run("save", "wide", "--where", "scan_size_x_m >= 1um", "--id",
                    str(ids[0])[:8])
    assert code == 0 and "saved" in out
    assert set(catalog.scans("selection = wide")["id"]) == wide | {ids[0]}
    code, out = run("list", "--format", "json")
    listed = json.loads(out)
    assert [(r["name"], r["n_scans"], r["where_text"]) for r in listed] == [
        ("wide", len(wide | {ids[0]}), "scan_size_x_m >= 1um")]
    code, out = run("save", "wide", "--where", "kind = image")
    assert code == 1 and "exists already" in out  # nothing overwritten by accident
    assert run("save", "none-of-them")[0] == 2  # which scans: a usage error
    code, out = run("save", "empty", "--where", "scan_size_x_m > 1m")
    assert code == 1 and "empty" in out
    code, out = run("delete", "typo")
    assert code == 1 and out.strip() == "Error: no saved selection named 'typo' (saved: 'wide')"
    assert run("delete", "wide") == (0, "deleted selection 'wide'\n")
    assert catalog.selections().empty and len(catalog.scans()) >= len(ids)
