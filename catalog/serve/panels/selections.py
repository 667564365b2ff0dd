"""Saved selections in the dashboard: save the current selection under a name, reopen a
saved one (it becomes the filter `selection = "name"`), export it."""

from __future__ import annotations

import html

import pandas as pd
from bokeh.models import Button, Column, Div, Row, Select, TextInput


class SelectionsPanel:
    """A name box with "Save selection", and a list of saved ones with Open and Export."""

    def __init__(self) -> None:
        self.name = TextInput(title="Save the selected scans as", placeholder="bubbles-2024",
                              name="selection-name", sizing_mode="stretch_width")
        self.save = Button(label="Save selection", name="selection-save",
                           sizing_mode="stretch_width")
        self.saved = Select(title="Saved selections", options=[""], value="",
                            name="selection-saved", sizing_mode="stretch_width")
        self.open = Button(label="Use as filter", name="selection-open", width=120)
        self.export = Button(label="Export CSV", name="selection-export", width=100)
        self.message = Div(text="", name="selection-message", sizing_mode="stretch_width")
        self.layout = Column(Div(text="<b>Selections</b>"), self.name, self.save, self.saved,
                             Row(self.open, self.export), self.message,
                             sizing_mode="stretch_width")

    def list(self, saved: pd.DataFrame, chosen: str | None = None) -> None:
        labels = [(str(r.name), f"{r.name} · {r.n_scans}") for r in saved.itertuples()]
        self.saved.options = labels or [("", "none saved yet")]
        names = [n for n, _ in labels]
        self.saved.value = chosen if chosen in names else (names[0] if names else "")

    def say(self, text: str, *, error: bool = False) -> None:
        colour = "#b00020" if error else "#2a7a2a"
        self.message.text = f'<span style="color:{colour}">{html.escape(text)}</span>'
