"""Tagging in the dashboard, in headless Chromium: box-select points and tag them, see the
labels as the map's colour, walk the label-next queue and tag the open scan."""

from __future__ import annotations

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
    type_into,
    wait_for_points,
)
from serve_data import MODEL

from symcat.client import Catalog

TIMEOUT_MS = 120_000
SET = "ui_domain"


def wait_for_job(page: Any, words: str) -> str:
    """Until the status line reports the job containing `words` as finished."""
    page.wait_for_function(
        f"""() => {{ const t = Bokeh.documents[0].get_model_by_name("status").text;
                    return t.includes({words!r}) && !t.includes('data-state="busy"'); }}""",
        timeout=TIMEOUT_MS)
    return str(model_value(page, "status", "m.text"))


def test_tag_selection_colour_queue_and_open_scan(page: Any, serve_catalog: Catalog,
                                                  artifacts: Path) -> None:
    serve_catalog.labels.create_set(SET, ["stripe", "bubble"])
    page.set_viewport_size({"width": 1500, "height": 1900})
    page.reload()  # a new session sees the new label set
    wait_for_points(page, "root", minimum=1)
    assert model_value(page, "label-set", "m.value") == SET

    points = points_on_screen(page, "root")
    middle = sorted(p[0] for p in points)[len(points) // 2]
    box = box_around([p for p in points if p[0] < middle])
    choose_tool(page, "root", "box-select")
    drag_box(page, *box)
    chosen = inside(points, box)
    assert 3 <= len(chosen) < len(points)
    ids = list(model_value(page, "root-source", "Array.from(m.data.id)"))
    type_into(page, "label-value", "stripe")
    click(page, "label-tag-selection")
    assert 'data-state="ok"' in wait_for_job(page, "labelling")
    tagged = serve_catalog.labels.frame(SET, predictions=False)
    assert set(tagged["scan_id"].astype(str)) == {ids[i] for i in chosen}
    assert set(tagged["label_source"]) == {"dashboard"}

    # Labels as a colour: the selector switched to the label column, points show it.
    assert model_value(page, "colour-by", "m.value") == f"label.{SET}"
    # Points carry colour codes; the legend says which colour is which label.
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('root-legend')"
                           ".text.includes('stripe')")
    codes = list(model_value(page, "root-source", "Array.from(m.data.code)"))
    assert len({codes[i] for i in chosen}) == 1
    assert {c for i, c in enumerate(codes) if i not in chosen} - {codes[chosen[0]]}
    legend = str(model_value(page, "root-legend", "m.text"))
    assert "stripe" in legend and "(unlabelled)" in legend
    page.screenshot(path=artifacts / "labels-01-tagged.png", full_page=True)

    # Label-next: one bubble label, a propagation, then the queue and the open scan.
    other = next(i for i in range(len(ids)) if i not in chosen)
    serve_catalog.labels.label(SET, "bubble", [ids[other]])
    serve_catalog.labels.propagate(SET, model=MODEL)
    click(page, "label-next")
    wait_for_job(page, "label next")
    queue = serve_catalog.labels.next(SET, 10)
    shown = str(model_value(page, "label-queue", "m.text"))
    assert str(queue["id"].iloc[0]) in shown and shown.count("<li") == len(queue)
    click(page, "label-open-next")
    wait_for_job(page, "opening scan")
    type_into(page, "label-value", "bubble")
    click(page, "label-tag-open")
    wait_for_job(page, "labelling 1 scan")
    first = str(queue["id"].iloc[0])
    assert serve_catalog.count(f"id = '{first}' and label.{SET} = bubble") == 1
    page.screenshot(path=artifacts / "labels-02-queue.png", full_page=True)
