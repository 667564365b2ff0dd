"""Driving the dashboard in a real browser: real mouse and keyboard events at the places
Bokeh drew things, and reads of the document's models to know what is shown."""

from __future__ import annotations

from typing import Any

TIMEOUT_MS = 90_000

MODEL = "(name) => Bokeh.documents[0].get_model_by_name(name)"


def model_value(page: Any, name: str, expression: str) -> Any:
    """`expression` evaluated with `m` bound to the model called `name`."""
    return page.evaluate(f"(name) => {{ const m = ({MODEL})(name); return {expression}; }}",
                         name)


def wait_for_points(page: Any, panel: str, *, count: int | None = None,
                    minimum: int = 1) -> int:
    """Wait until map `panel` ("root" or "recursive") holds its points, the status says the
    job is done, and the browser has painted twice since; returns the number of points."""
    check = (f"n === {count}" if count is not None else f"n >= {minimum}")
    page.wait_for_function(
        f"""() => {{
            if (!window.Bokeh || Bokeh.documents.length === 0) return false;
            const doc = Bokeh.documents[0];
            const source = doc.get_model_by_name("{panel}-source");
            const status = doc.get_model_by_name("status");
            if (!source || !status || status.text.includes('data-state="busy"')) return false;
            const n = source.data.x.length;
            return {check};
        }}""", timeout=TIMEOUT_MS)
    painted(page)
    return int(model_value(page, f"{panel}-source", "m.data.x.length"))


def painted(page: Any) -> None:
    """Return after two animation frames: what the models hold is on the screen."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                  "requestAnimationFrame(() => r(true))))")


def status(page: Any) -> str:
    return str(model_value(page, "status", "m.text"))


def wait_for_status(page: Any, state: str = "ok") -> str:
    page.wait_for_function(
        f"""() => Bokeh.documents[0].get_model_by_name("status").text
                  .includes('data-state="{state}"')""", timeout=TIMEOUT_MS)
    return status(page)


def centre(page: Any, name: str) -> tuple[float, float]:
    """Page coordinates of the centre of the view of the model called `name`."""
    box = page.evaluate(
        f"""(name) => {{ const v = Bokeh.index.find_one(({MODEL})(name));
            const r = v.el.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }}""", name)
    return float(box[0]), float(box[1])


def click(page: Any, name: str) -> None:
    """A real mouse click on a widget (Bokeh draws widgets in shadow roots)."""
    page.mouse.click(*centre(page, name))


def type_into(page: Any, name: str, text: str) -> None:
    """Click into a text input, replace its text and press Enter."""
    click(page, name)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def points_on_screen(page: Any, panel: str) -> list[tuple[float, float]]:
    """Page coordinates of every point of map `panel`, from the plot's own scales."""
    return [tuple(p) for p in page.evaluate(
        """(panel) => {
            const doc = Bokeh.documents[0];
            const view = Bokeh.index.find_one(doc.get_model_by_name(panel + "-map"));
            const source = doc.get_model_by_name(panel + "-source");
            const r = view.canvas_view.el.getBoundingClientRect();
            const {x_scale, y_scale} = view.frame;
            return Array.from(source.data.x, (x, i) => [r.x + x_scale.compute(x),
                                                        r.y + y_scale.compute(source.data.y[i])]);
        }""", panel)]


def choose_tool(page: Any, panel: str, tool: str) -> None:
    """Make a drag tool ("box-select", "lasso-select") the active one by clicking its
    toolbar button, unless it is active already (a click would turn it off)."""
    kind = {"box-select": "BoxSelectTool", "lasso-select": "LassoSelectTool"}[tool]
    active = page.evaluate(
        f"""(args) => {{ const p = ({MODEL})(args[0] + "-map");
            return p.toolbar.tools.find(t => t.constructor.__name__ === args[1]).active; }}""",
        [panel, kind])
    if not active:
        page.locator(f".bk-tool-icon-{tool}").nth(0 if panel == "root" else 1).click()


def drag_box(page: Any, x0: float, y0: float, x1: float, y1: float) -> None:
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def box_around(points: list[tuple[float, float]], pad: float = 6.0
               ) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def inside(points: list[tuple[float, float]], box: tuple[float, float, float, float]
           ) -> list[int]:
    x0, y0, x1, y1 = box
    return [i for i, (x, y) in enumerate(points) if x0 <= x <= x1 and y0 <= y <= y1]


def selected(page: Any, panel: str) -> list[int]:
    return sorted(model_value(page, f"{panel}-source", "Array.from(m.selected.indices)"))
