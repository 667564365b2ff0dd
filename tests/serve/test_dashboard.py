"""The dashboard end to end: a real `symcat serve`, a real catalog, headless Chromium.

Each test opens its own browser session (its own Bokeh document) on the same server, and
saves screenshots under test-artifacts/serve/ to be looked at.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from serve_browser import (
    box_around,
    choose_tool,
    click,
    drag_box,
    inside,
    model_value,
    points_on_screen,
    selected,
    type_into,
    wait_for_points,
    wait_for_status,
)

from symcat.client import Catalog
from symcat.render.scan import scan_panels

FILTER = "scan_size_x_m >= 2um"


def source_ids(page: Any, panel: str) -> list[str]:
    return list(model_value(page, f"{panel}-source", "Array.from(m.data.id)"))


def select_box(page: Any, panel: str, which: str) -> list[int]:
    """Drag the box tool around the points left of the median x ("left") or above the
    median y ("top"); returns the indices inside the dragged box."""
    points = points_on_screen(page, panel)
    axis = 0 if which == "left" else 1
    middle = sorted(p[axis] for p in points)[len(points) // 2]
    chosen = [p for p in points if p[axis] < middle]
    box = box_around(chosen)
    choose_tool(page, panel, "box-select")
    drag_box(page, *box)
    return inside(points, box)


def test_filter_select_reproject_and_go_back(page: Any, serve_catalog: Catalog,
                                             artifacts: Path) -> None:
    total = serve_catalog.count()
    assert model_value(page, "root-source", "m.data.id.length") == total
    page.screenshot(path=artifacts / "01-loaded.png", full_page=True)

    expected = set(serve_catalog.scans(FILTER)["id"].astype(str))
    assert 4 < len(expected) < total
    type_into(page, "filter-text", FILTER)
    click(page, "filter-apply")
    assert wait_for_points(page, "root", count=len(expected)) == len(expected)
    assert set(source_ids(page, "root")) == expected
    page.screenshot(path=artifacts / "02-filtered.png", full_page=True)

    # box select in the initial map -> level 1
    wanted = select_box(page, "root", "left")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('root-source')"
                           ".selected.indices.length > 0")
    assert selected(page, "root") == wanted and len(wanted) >= 2
    root_ids = source_ids(page, "root")
    page.screenshot(path=artifacts / "03-box-selected.png", full_page=True)
    click(page, "project-root")
    assert wait_for_points(page, "recursive", count=len(wanted)) == len(wanted)
    level1 = source_ids(page, "recursive")
    assert set(level1) == {root_ids[i] for i in wanted}
    assert "level 1" in wait_for_status(page)
    root_colours = dict(zip(root_ids, model_value(page, "root-source", "Array.from(m.data.code)"),
                            strict=True))
    level1_colours = model_value(page, "recursive-source", "Array.from(m.data.code)")
    assert level1_colours == [root_colours[i] for i in level1]  # same colours at every level
    # the table lists the re-projected scans (it held them already: not sent twice)
    assert sorted(model_value(page, "selection-table-source", "Array.from(m.data.id)")
                  ) == sorted(level1)
    assert "Level 1: all scans" in model_value(page, "selection-title", "m.text")
    page.screenshot(path=artifacts / "04-level1.png", full_page=True)

    # lasso select in the recursive map -> level 2
    points = points_on_screen(page, "recursive")
    middle = sorted(y for _, y in points)[len(points) // 2]
    box = box_around([p for p in points if p[1] <= middle])
    choose_tool(page, "recursive", "lasso-select")
    x0, y0, x1, y1 = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)]
    page.mouse.move(*corners[0])
    page.mouse.down()
    for (ax, ay), (bx, by) in zip(corners, corners[1:], strict=False):
        for step in range(1, 6):
            page.mouse.move(ax + (bx - ax) * step / 5, ay + (by - ay) * step / 5)
    page.mouse.up()
    lassoed = inside(points, box)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('recursive-source')"
                           ".selected.indices.length > 0")
    assert selected(page, "recursive") == lassoed and 1 <= len(lassoed) < len(level1)
    click(page, "project-recursive")
    assert wait_for_points(page, "recursive", count=len(lassoed)) == len(lassoed)
    assert set(source_ids(page, "recursive")) == {level1[i] for i in lassoed}
    assert sorted(model_value(page, "selection-table-source", "Array.from(m.data.id)")
                  ) == sorted(level1[i] for i in lassoed)
    page.screenshot(path=artifacts / "05-level2.png", full_page=True)

    # breadcrumbs: back to level 1, then to the whole filtered set
    click(page, "crumb-1")
    assert wait_for_points(page, "recursive", count=len(level1)) == len(level1)
    assert source_ids(page, "recursive") == level1
    page.wait_for_function("(n) => Bokeh.documents[0].get_model_by_name("
                           "'selection-table-source').data.id.length === n", arg=len(level1))
    assert sorted(model_value(page, "selection-table-source", "Array.from(m.data.id)")
                  ) == sorted(level1)
    assert model_value(page, "crumb-2", "m.label").startswith("level 2")  # still reachable
    page.screenshot(path=artifacts / "06-back-to-level1.png", full_page=True)
    click(page, "crumb-0")
    assert wait_for_points(page, "recursive", count=len(expected)) == len(expected)


def test_bad_filter_is_reported_and_nothing_changes(page: Any, serve_catalog: Catalog,
                                                   artifacts: Path) -> None:
    before = model_value(page, "root-source", "m.data.id.length")
    type_into(page, "filter-text", "colour = red")
    click(page, "filter-apply")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('filter-error')"
                           ".text.includes('unknown column')")
    assert model_value(page, "root-source", "m.data.id.length") == before
    page.screenshot(path=artifacts / "07-bad-filter.png", full_page=True)


def test_open_scan_with_neighbours_and_export(page: Any, serve_catalog: Catalog,
                                              artifacts: Path) -> None:
    select_box(page, "root", "top")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('root-source')"
                           ".selected.indices.length > 0")
    wanted = selected(page, "root")
    # the table listed the whole map until now; it follows the selection
    page.wait_for_function("(n) => Bokeh.documents[0].get_model_by_name("
                           "'selection-table-source').data.id.length === n", arg=len(wanted))
    ids = source_ids(page, "root")
    table_ids = list(model_value(page, "selection-table-source", "Array.from(m.data.id)"))
    assert sorted(table_ids) == sorted(ids[i] for i in wanted)

    page.locator(".slick-row .slick-cell").first.click()
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('scan-header')"
                           ".text.includes('data-scan-id') && Bokeh.documents[0]"
                           ".get_model_by_name('scan-neighbours').text.includes('neighbour')")
    header = model_value(page, "scan-header", "m.text")
    opened = header.split('data-scan-id="')[1].split('"')[0]
    assert opened == table_ids[0]
    scan = serve_catalog.scan(opened)
    channels = model_value(page, "scan-channels", "m.text")
    panels = scan_panels(scan.document, scan.channels)  # every image channel (+ A·cos φ)
    assert len(panels) >= len(scan.channels)
    assert channels.count('class="symcat-channel"') == len(panels)
    assert channels.count("data:image/png;base64,") == len(panels)
    neighbours = model_value(page, "scan-neighbours", "m.text")
    assert neighbours.count('class="symcat-neighbour"') == 9
    expected = serve_catalog.neighbors(opened, k=9, model="test.serve")
    for name in expected["file_name"]:
        assert name in neighbours
    assert scan.document["file_name"] in model_value(page, "scan-document", "m.text")
    page.screenshot(path=artifacts / "08-scan-metadata.png", full_page=True)

    with page.expect_download() as download:
        click(page, "export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert sorted(r["id"] for r in rows) == sorted(table_ids)
    assert {"x", "y", "sample_name", "file_name"} <= set(rows[0])

    with page.expect_download() as download:
        click(page, "export-parquet")
    import pandas as pd

    frame = pd.read_parquet(download.value.path())
    assert sorted(frame["id"]) == sorted(table_ids)


def test_colour_by_a_numeric_column(page: Any, serve_catalog: Catalog) -> None:
    select = page.evaluate_handle("() => Bokeh.index.find_one(Bokeh.documents[0]"
                                  ".get_model_by_name('colour-by')).input_el").as_element()
    select.select_option("scan_size_x_m")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('root-legend')"
                           ".text.includes('scan_size_x_m')")
    codes = model_value(page, "root-source", "Array.from(m.data.code)")
    palette = page.evaluate("() => Bokeh.documents[0].get_model_by_name('root-map').renderers"
                            "[0].glyph.fill_color.transform.palette")
    sizes_by_id = dict(zip(serve_catalog.scans()["id"].astype(str),
                           serve_catalog.scans()["scan_size_x_m"], strict=True))
    sizes = [sizes_by_id[i] for i in source_ids(page, "root")]
    colours = [palette[c] for c in codes]
    assert len(set(colours)) > 3
    assert colours[sizes.index(max(sizes))] == "#FDE724"  # the top of the Viridis ramp
    assert colours[sizes.index(min(sizes))] == "#440154"  # its bottom
    legend = model_value(page, "root-legend", "m.text")
    assert "linear-gradient" in legend and f"{min(sizes):.4g}" in legend
