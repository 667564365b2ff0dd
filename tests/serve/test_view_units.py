"""Pieces of the dashboard without a browser: tile decluttering, colour codes, the view in
the address bar, the routes' metadata card."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("bokeh")

from symcat.serve.colors import colour_codes  # noqa: E402
from symcat.serve.panels.tiles import declutter  # noqa: E402
from symcat.serve.routes import card_lines, card_svg  # noqa: E402
from symcat.serve.urlstate import ViewState  # noqa: E402


def test_declutter_keeps_one_point_per_cell_nearest_its_centre() -> None:
    x = np.array([0.05, 0.06, 0.5, 0.95, 2.0])
    y = np.array([0.05, 0.07, 0.5, 0.95, 0.5])
    chosen = declutter(x, y, (0.0, 1.0, 0.0, 1.0), columns=2, rows=2)
    assert sorted(chosen.tolist()) == [1, 3]  # nearest the centres (0.25, 0.25), (0.75, 0.75)
    fine = declutter(x, y, (0.0, 1.0, 0.0, 1.0), columns=10, rows=10)
    assert 4 not in fine.tolist()  # outside the view
    assert len(set(fine.tolist())) == len(fine) and set(fine.tolist()) >= {2, 3}
    many = np.random.default_rng(0).random((2, 10_000))
    assert len(declutter(many[0], many[1], (0, 1, 0, 1))) == 70  # every cell filled once


def test_colour_codes_follow_the_reference_scale() -> None:
    reference = pd.Series(["a", "b", "c", None])
    colouring = colour_codes(pd.Series(["c", "a", None, "z"]), reference)
    assert colouring.categories == ["a", "b", "c"]
    assert colouring.codes.tolist() == [2, 0, -1, -1]
    numbers = colour_codes(pd.Series([1.0, 3.0, np.nan]), pd.Series([1.0, 5.0]))
    assert numbers.codes.tolist() == [0, 127, -1] and numbers.value_range == (1.0, 5.0)


def test_view_state_round_trip() -> None:
    state = ViewState(where='selection = "a b"', projection="p", scan="s", channel="phase")
    query = state.query()
    from urllib.parse import parse_qs

    arguments = {k: [v[0].encode()] for k, v in parse_qs(query).items()}
    assert ViewState.from_arguments(arguments) == state
    assert ViewState.from_arguments(None) == ViewState()


def test_metadata_card_is_escaped_svg() -> None:
    row = pd.Series({"file_name": "<b>x</b>.ibw", "sample_name": "PZT", "material": None,
                     "imaging_mode": "pfm", "site": "lab-a", "scan_size_x_m": 2e-6,
                     "acquired_at": pd.Timestamp("2024-01-02T03:04", tz="UTC"), "n": 5})
    lines = card_lines(row, "n")
    assert lines[3] == "size: 2.00 µm" and lines[-1] == "n: 5" and "lab-a" in lines[2]
    svg = card_svg(lines)
    assert svg.startswith("<svg") and "<b>" not in svg and "&lt;b&gt;" in svg
    # a stored prediction with its lattice: the group and the cell
    found = pd.concat([row, pd.Series({"symmetry": "pmm", "symmetry_p": 0.934,
                                       "lattice_a_m": 1.213e-6, "lattice_b_m": 1.508e-6})])
    lines = card_lines(found, "lattice_a_m")
    assert lines[-2:] == ["plane group: pmm (p 0.93)", "cell: 1.21 x 1.51 um"]
    none = found.copy()
    none["symmetry"], none["lattice_a_m"], none["lattice_b_m"] = "none", np.nan, np.nan
    assert card_lines(none, "lattice_a_m")[-1] == "plane group: none"
    from symcat.serve.panels.metadata import table_columns  # the selection table: the same

    table = table_columns(pd.DataFrame([found, none, row]))
    assert table["symmetry"] == ["pmm", "none", ""]
    assert table["cell"] == ["1.21 x 1.51 um", "", ""]


def test_selection_table_sends_rows_only_when_they_change() -> None:
    """Re-projecting a selection shows the rows the table already holds: they are not
    sent again (5,000 rows are ~450 KB of JSON); other rows are."""
    import uuid

    from symcat.serve.panels.metadata import SelectionTable

    frame = pd.DataFrame({"id": [uuid.uuid4() for _ in range(6)],
                          "file_name": [f"f{i}.ibw" for i in range(6)],
                          "sample_name": list("aabbcc")})
    table = SelectionTable(lambda _scan: None)
    sent: list[int] = []
    table.source.on_change("data", lambda _a, _o, new: sent.append(len(new["id"])))
    table.show(frame, [4, 1, 3])
    assert table.source.data["file_name"] == ["f1.ibw", "f3.ibw", "f4.ibw"]  # map order
    child = frame.iloc[[1, 3, 4]].reset_index(drop=True)  # the re-projected selection
    table.show(child, [0, 1, 2], "Level 1: all scans")
    assert sent == [3] and "Level 1: all scans</b>: 3" in table.title.text
    table.show(frame, [0, 5])
    assert sent == [3, 2] and table.source.data["file_name"] == ["f0.ibw", "f5.ibw"]
