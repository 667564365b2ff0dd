"""Breadcrumbs for recursive projections: one button per level, root first; clicking one
goes back up to that level, any number of levels at once."""

from __future__ import annotations

from collections.abc import Callable

from bokeh.models import Button, Div, Row


class Breadcrumbs:
    """Buttons "all · 40 › level 1 · 12 › level 2 · 5"; `on_pick(level)` gets the level.

    Buttons are reused (shown or hidden), so the one for level i is always the model
    named `crumb-i`. The first `PRESET` levels exist from the start, hidden: new models
    in a shown row make the browser build their views and lay the page out again, which
    took ~1 s of the first re-projection's time to screen (benchmarks/dashboard.py)."""

    PRESET = 6

    def __init__(self, on_pick: Callable[[int], None]) -> None:
        self._on_pick = on_pick
        self._buttons: list[Button] = []
        self._arrows: list[Div] = []
        self.layout = Row(name="breadcrumbs", sizing_mode="stretch_width")
        for level in range(self.PRESET):
            self._add(level)

    def show(self, sizes: list[int], current: int) -> None:
        """One crumb per level (`sizes[i]` points at level i); `current` is highlighted."""
        while len(self._buttons) < len(sizes):
            self._add(len(self._buttons))
        for level, button in enumerate(self._buttons):
            shown = level < len(sizes)
            button.visible = shown
            self._arrows[level].visible = shown and level > 0
            if shown:
                size = sizes[level]
                button.label = f"all · {size}" if level == 0 else f"level {level} · {size}"
                button.button_type = "primary" if level == current else "default"

    def _add(self, level: int) -> None:
        button = Button(name=f"crumb-{level}", width_policy="min", visible=False)
        button.on_click(lambda _event: self._on_pick(level))
        arrow = Div(text="›", styles={"font-size": "18px", "padding": "0 2px"}, visible=False)
        self._buttons.append(button)
        self._arrows.append(arrow)
        self.layout.children = [*self.layout.children, arrow, button]
