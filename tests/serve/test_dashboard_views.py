"""The scientist's view in a real browser (issue 13): colour-mapped channels with colour
and scale bars, clicking points and neighbours, hover thumbnails fetched lazily, the tile
view decluttering as one zooms, saved selections reused as filters, and links that
reproduce a view. Screenshots go to test-artifacts/serve/ (look at them)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

from serve_browser import (
    TIMEOUT_MS,
    centre,
    choose_tool,
    click,
    drag_box,
    inside,
    model_value,
    painted,
    points_on_screen,
    selected,
    type_into,
    wait_for_points,
    wait_for_status,
)

from symcat.client import Catalog
from symcat.render.scan import scan_panels

MODEL = "test.serve"


def ids_of(page: Any, panel: str) -> list[str]:
    return list(model_value(page, f"{panel}-source", "Array.from(m.data.id)"))


def opened_id(page: Any) -> str:
    header = model_value(page, "scan-header", "m.text")
    return header.split('data-scan-id="')[1].split('"')[0] if "data-scan-id" in header else ""


def wait_for_open(page: Any, scan_id: str) -> None:
    page.wait_for_function(
        """(id) => { const d = Bokeh.documents[0];
            return d.get_model_by_name('scan-header').text.includes('data-scan-id="' + id)
                && d.get_model_by_name('scan-neighbours').text.includes('symcat-neighbour'); }""",
        arg=scan_id, timeout=TIMEOUT_MS)
    painted(page)


def shoot(page: Any, name: str, path: Path) -> None:
    """A screenshot of the view of model `name` only."""
    box = page.evaluate("""(name) => { const v = Bokeh.index.find_one(
        Bokeh.documents[0].get_model_by_name(name)); const r = v.el.getBoundingClientRect();
        return {x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height}; }""", name)
    page.screenshot(path=path, clip=box, full_page=True)


def tile_dots_on_screen(page: Any) -> list[tuple[float, float]]:
    return [tuple(p) for p in page.evaluate(
        """() => { const doc = Bokeh.documents[0];
            const view = Bokeh.index.find_one(doc.get_model_by_name("tiles-map"));
            const dots = doc.get_model_by_name("tiles-dots");
            const r = view.canvas_view.el.getBoundingClientRect();
            const {x_scale, y_scale} = view.frame;
            return Array.from(dots.data.x, (x, i) => [r.x + x_scale.compute(x),
                                                      r.y + y_scale.compute(dots.data.y[i])]);
        }""")]


def select_left(page: Any, panel: str) -> list[int]:
    points = points_on_screen(page, panel)
    middle = sorted(p[0] for p in points)[len(points) // 2]
    chosen = [p for p in points if p[0] < middle]
    xs, ys = [p[0] for p in chosen], [p[1] for p in chosen]
    box = (min(xs) - 6, min(ys) - 6, max(xs) + 6, max(ys) + 6)
    choose_tool(page, panel, "box-select")
    drag_box(page, *box)
    page.wait_for_function(f"() => Bokeh.documents[0].get_model_by_name('{panel}-source')"
                           ".selected.indices.length > 0")
    assert set(selected(page, panel)) <= set(inside(points, (box[0] - 2, box[1] - 2,
                                                             box[2] + 2, box[3] + 2)))
    return selected(page, panel)  # what the map holds (a point on the box's edge may differ)


def test_a_click_on_points_drawn_over_each_other_opens_the_nearest(page: Any) -> None:
    """Zoomed far out, the whole map is one blot of overlapping dots; a click there used
    to select them all and open none."""
    ids = ids_of(page, "root")
    page.evaluate("""() => { const p = Bokeh.documents[0].get_model_by_name('root-map');
        const [x, y] = [p.x_range, p.y_range];
        const [wx, wy] = [x.end - x.start, y.end - y.start];
        x.setv({start: x.start - 40 * wx, end: x.end + 40 * wx});
        y.setv({start: y.start - 40 * wy, end: y.end + 40 * wy}); }""")
    painted(page)
    points = points_on_screen(page, "root")
    spot = (points[0][0] + 1.0, points[0][1] + 0.5)
    assert len(inside(points, (spot[0] - 3, spot[1] - 3, spot[0] + 3, spot[1] + 3))) > 1
    distance = [((x - spot[0]) ** 2 + (y - spot[1]) ** 2) ** 0.5 for x, y in points]
    nearest = min(range(len(points)), key=distance.__getitem__)
    close = sorted(distance)[:2]
    page.mouse.click(*spot)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('scan-header')"
                           ".text.includes('data-scan-id')", timeout=TIMEOUT_MS)
    assert len(selected(page, "root")) == 1
    if close[1] - close[0] > 0.05:  # else two are equally near and either is right
        wait_for_open(page, ids[nearest])
    assert opened_id(page) == ids[selected(page, "root")[0]]


def test_a_request_made_while_a_job_runs_is_done_after_it(page: Any) -> None:
    """A box round one point opens that scan (a job); "Re-project" pressed at once used to
    be refused ("still busy") and the click was lost. It now waits and runs."""
    ids = ids_of(page, "root")
    points = points_on_screen(page, "root")
    gap = [min(((x - a) ** 2 + (y - b) ** 2) ** 0.5 for j, (a, b) in enumerate(points)
               if j != i) for i, (x, y) in enumerate(points)]
    alone = max(range(len(points)), key=gap.__getitem__)
    assert gap[alone] > 8  # a box of +-4 px holds this point only
    x, y = points[alone]
    choose_tool(page, "root", "box-select")
    drag_box(page, x - 4, y - 4, x + 4, y + 4)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('root-source')"
                           ".selected.indices.length === 1")
    click(page, "project-root")  # at once, while the scan is being opened
    assert wait_for_points(page, "recursive", count=1) == 1
    assert ids_of(page, "recursive") == [ids[alone]]
    wait_for_open(page, ids[alone])
    assert "level 1" in wait_for_status(page)


def test_click_a_point_then_a_neighbour(page: Any, serve_catalog: Catalog,
                                        artifacts: Path) -> None:
    ids = ids_of(page, "root")
    legend = model_value(page, "root-legend", "m.text")
    for sample in serve_catalog.scans()["sample_name"].dropna().unique():
        assert sample in legend  # a swatch per category of "Colour by"

    # hover: the tooltip's thumbnail and metadata card are fetched when needed
    points = points_on_screen(page, "root")
    page.mouse.move(*points[0])
    page.wait_for_function(
        """() => { const imgs = [...document.querySelectorAll('*')].flatMap(e => e.shadowRoot ?
              [...e.shadowRoot.querySelectorAll('img')] : []);
            return imgs.some(i => i.src.includes('/map/') && i.src.endsWith('.png')
                                  && i.complete && i.naturalWidth > 1)
                && imgs.some(i => i.src.includes('.svg') && i.complete && i.naturalWidth > 1);
        }""", timeout=TIMEOUT_MS)
    page.screenshot(path=artifacts / "10-hover-thumbnail.png")

    # a click on a point opens that scan: channels in colour, neighbours, rings on the map
    page.mouse.click(*points[0])
    wait_for_open(page, ids[0])
    scan = serve_catalog.scan(ids[0])
    channels = model_value(page, "scan-channels", "m.text")
    assert channels.count('class="symcat-channel"') == len(scan_panels(scan.document,
                                                                       scan.channels))
    expected = serve_catalog.neighbors(ids[0], k=9, model=MODEL)
    neighbours = model_value(page, "scan-neighbours", "m.text")
    assert neighbours.count('class="symcat-neighbour"') == 9
    assert neighbours.count("<img") >= 18  # amplitude and phase of each
    marks = model_value(page, "root-marks", "Array.from(m.data.kind)")
    assert marks.count("open") == 1 and marks.count("neighbour") == 9  # all on this map
    assert parse_qs(urlparse(page.url).query)["scan"] == [ids[0]]
    shoot(page, "scan-channels", artifacts / "11-channels-colour-and-scale-bars.png")
    page.screenshot(path=artifacts / "12-opened-scan.png", full_page=True)

    # the original file, byte for byte
    with page.expect_download() as download:
        page.locator("a.symcat-download").click()
    assert Path(download.value.path()).read_bytes() == serve_catalog.original_bytes(ids[0])

    # a click on a neighbour opens it, and its own neighbours
    first = str(expected["id"].iloc[0])
    page.locator(f'.symcat-neighbour[data-scan-id="{first}"]').click()
    wait_for_open(page, first)
    assert opened_id(page) == first
    marks = model_value(page, "root-marks", "Array.from(m.data.x)")
    where = ids.index(first)
    xs = model_value(page, "root-source", "Array.from(m.data.x)")
    assert any(abs(x - xs[where]) < 1e-6 for x in marks)  # the new open scan is ringed
    page.screenshot(path=artifacts / "13-opened-neighbour.png", full_page=True)


def test_tiles_declutter_as_one_zooms(page: Any, serve_catalog: Catalog,
                                      artifacts: Path) -> None:
    urls = model_value(page, "tiles-source", "Array.from(m.data.url)")
    before = set(model_value(page, "tiles-source", "Array.from(m.data.id)"))
    channel = model_value(page, "channel", "m.value")
    assert channel == "amplitude"  # DART-PFM scans: amplitude by default
    assert 0 < len(urls) < serve_catalog.count()  # decluttered at full view
    assert all(re.fullmatch(r"/thumb/[0-9a-f-]{36}/amplitude\.png", u) for u in urls)
    response = page.request.get(urljoin(page.url, urls[0]))
    assert response.ok and response.body().startswith(b"\x89PNG")
    page.screenshot(path=artifacts / "14-tiles.png")

    # zoom (mouse wheel on the tile view) into its densest part: hidden scans get tiles
    points = tile_dots_on_screen(page)
    dense = max(range(len(points)), key=lambda i: sum(
        (points[i][0] - p[0]) ** 2 + (points[i][1] - p[1]) ** 2 < 50 ** 2 for p in points))
    page.mouse.move(*points[dense])
    after = set(before)
    for _ in range(8):
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(400)
        after = set(model_value(page, "tiles-source", "Array.from(m.data.id)"))
        if after - before:
            break
    assert after - before  # scans that had no tile at full view have one now
    page.mouse.move(5, 5)  # no tooltip in the picture
    painted(page)
    page.wait_for_timeout(500)  # the new tiles' images arrive
    page.screenshot(path=artifacts / "15-tiles-zoomed.png")

    # another channel: thumbnails and tiles follow it, and so does the address
    select = page.evaluate_handle("() => Bokeh.index.find_one(Bokeh.documents[0]"
                                  ".get_model_by_name('channel')).input_el").as_element()
    select.select_option("phase")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('tiles-source')"
                           ".data.url.every(u => u.endsWith('/phase.png'))")
    page.wait_for_function("() => window.location.search.includes('channel=phase')")


def test_saved_selection_reused_as_filter(page: Any, serve_catalog: Catalog,
                                          artifacts: Path) -> None:
    wanted = select_left(page, "root")
    ids = ids_of(page, "root")
    chosen = sorted(ids[i] for i in wanted)
    name = f"bubbles-{uuid.uuid4().hex[:6]}"
    type_into(page, "selection-name", name)
    click(page, "selection-save")
    page.wait_for_function(f"() => Bokeh.documents[0].get_model_by_name('selection-message')"
                           f".text.includes('saved {len(chosen)} scans')")
    saved = serve_catalog.selections().set_index("name")
    assert saved.loc[name, "n_scans"] == len(chosen)
    assert model_value(page, "selection-saved", "m.value") == name

    click(page, "selection-open")
    assert wait_for_points(page, "root", count=len(chosen)) == len(chosen)
    assert sorted(ids_of(page, "root")) == chosen
    assert model_value(page, "filter-text", "m.value") == f'selection = "{name}"'
    page.wait_for_function("() => window.location.search.includes('where=selection')")
    page.screenshot(path=artifacts / "16-saved-selection-as-filter.png", full_page=True)

    with page.expect_download() as download:
        click(page, "selection-export")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert sorted(r["id"] for r in rows) == chosen


def test_a_shared_link_reopens_the_same_view(page: Any, chromium: Any, serve_catalog: Catalog,
                                             artifacts: Path) -> None:
    options = model_value(page, "colour-by", "Array.from(m.options)")
    assert "site" in options  # federation: the site is a colour and a filter
    assert "test-site" in model_value(page, "filter-site", "Array.from(m.options)")
    select = page.evaluate_handle("() => Bokeh.index.find_one(Bokeh.documents[0]"
                                  ".get_model_by_name('colour-by')).input_el").as_element()
    select.select_option("site")

    wanted = select_left(page, "root")
    click(page, "project-root")
    assert wait_for_points(page, "recursive", count=len(wanted)) == len(wanted)
    assert "level 1" in wait_for_status(page)
    level1 = ids_of(page, "recursive")
    page.locator(".slick-row .slick-cell").first.click()
    opened = level1[0]
    wait_for_open(page, opened)
    page.wait_for_function("(id) => window.location.search.includes('scan=' + id)", arg=opened)
    link = page.url
    query = parse_qs(urlparse(link).query)
    assert query["colour"] == ["site"] and query["scan"] == [opened]
    projection = query["projection"][0]
    assert serve_catalog.projection(projection).parent_id is not None  # the level, not root
    page.screenshot(path=artifacts / "17-view-to-share.png", full_page=True)

    context = chromium.new_context(viewport={"width": 1500, "height": 1150})
    other = context.new_page()
    try:
        other.goto(link)
        assert wait_for_points(other, "recursive", count=len(level1)) == len(level1)
        assert ids_of(other, "recursive") == level1
        wait_for_open(other, opened)
        assert model_value(other, "colour-by", "m.value") == "site"
        assert model_value(other, "crumb-1", "m.label").startswith("level 1")
        assert parse_qs(urlparse(other.url).query)["projection"] == [projection]
        other.screenshot(path=artifacts / "18-shared-link-reopened.png", full_page=True)
    finally:
        context.close()
    assert centre(page, "recursive-map")  # the first page is untouched
