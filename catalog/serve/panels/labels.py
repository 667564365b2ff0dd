"""Tagging in the dashboard: label the selected points or the open scan, see labels as a
colour, and walk the "label these next" queue (docs/labels.md).

The panel talks to the dashboard through four things only: the active map (its frame and
selection), the colour selector, `open_scan`, and the job runner, so it stays a module of
its own; the dashboard tells it which scan is open (`opened`).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from bokeh.models import Button, Column, Div, Select, TextInput

from symcat.labels.store import current_user

NO_SET = "(no label sets: create one with symcat labels create)"


class LabelPanel:
    """Label set, label, and the buttons that tag, colour and queue."""

    def __init__(self, dashboard: Any) -> None:
        self.dashboard = dashboard
        self.opened: str | None = None
        self.queue: list[str] = []
        sets = dashboard.catalog.labels.sets()
        names = list(sets["label_set"]) or [NO_SET]
        self.label_set = Select(title="Label set", value=names[0], options=names,
                                name="label-set", sizing_mode="stretch_width")
        self.value = TextInput(title="Label", name="label-value", sizing_mode="stretch_width",
                               placeholder=_classes(sets, names[0]))
        self.tag_selection = Button(label="Tag selection", name="label-tag-selection")
        self.tag_open = Button(label="Tag open scan", name="label-tag-open")
        self.next = Button(label="Label these next", name="label-next")
        self.open_next = Button(label="Open next in queue", name="label-open-next")
        self.message = Div(text="", name="label-message", sizing_mode="stretch_width")
        self.queue_view = Div(text="", name="label-queue", sizing_mode="stretch_width")
        self.label_set.on_change("value", lambda _a, _o, new: self._set_changed(new))
        self.tag_selection.on_click(lambda _e: self.tag(self._selected_ids(), "selection"))
        self.tag_open.on_click(lambda _e: self.tag([self.opened] if self.opened else [],
                                                   "open scan"))
        self.next.on_click(lambda _e: self.show_next())
        self.open_next.on_click(lambda _e: self._open_next())
        self.layout = Column(Div(text="<b>Labels</b>"), self.label_set, self.value,
                             self.tag_selection, self.tag_open, self.next, self.open_next,
                             self.message, self.queue_view, sizing_mode="stretch_width")

    # -- tagging ---------------------------------------------------------------------------
    def _selected_ids(self) -> list[str]:
        panel = self.dashboard.active
        if panel.frame is None:
            return []
        return [str(i) for i in panel.frame.iloc[panel.selected]["id"]]

    def tag(self, ids: list[str], what: str) -> None:
        label_set, value = self.label_set.value, self.value.value.strip()
        if label_set == NO_SET or not value:
            return self.say("choose a label set and type a label first", "warn")
        if not ids:
            return self.say(f"no {what}: select points (box or lasso) or open a scan", "warn")
        self.dashboard.jobs.run(
            f"labelling {len(ids)} scan(s) {label_set} = {value}",
            lambda: self._tag(label_set, value, ids),
            lambda labels: self._tagged(label_set, value, len(ids), labels),
            failed=lambda exc: self.say(str(exc), "error"))
        return None

    def _tag(self, label_set: str, value: str, ids: list[str]) -> dict[str, str]:
        self.dashboard.catalog.labels.label(label_set, value, ids, by=current_user(),
                                            source="dashboard")
        return self._labels(label_set)

    def _labels(self, label_set: str) -> dict[str, str]:
        frame = self.dashboard.catalog.labels.frame(label_set, predictions=False)
        return dict(zip(frame["scan_id"].astype(str), frame["label"], strict=True))

    def _tagged(self, label_set: str, value: str, n: int, labels: dict[str, str]) -> None:
        self.say(f"{n} scan(s) labelled {label_set} = {value}", "ok")
        self.colour_by_labels(label_set, labels)

    # -- labels as a colour ----------------------------------------------------------------
    def colour_by_labels(self, label_set: str, labels: dict[str, str]) -> None:
        """Add `label.<set>` to the maps' columns and colour by it."""
        column = f"label.{label_set}"
        for panel in (self.dashboard.root_map, self.dashboard.sub_map):
            if panel.frame is not None:
                panel.frame[column] = panel.frame["id"].astype(str).map(labels).fillna(
                    "(unlabelled)")
        for proj in self.dashboard.stack:
            frame = getattr(proj, "frame", None)
            if frame is not None:
                frame[column] = frame["id"].astype(str).map(labels).fillna("(unlabelled)")
        colour = self.dashboard.colour
        if column not in colour.options:
            colour.options = [*colour.options, column]
        if colour.value == column:
            self.dashboard.recolour(column)
        else:
            colour.value = column  # recolours through the selector's callback

    # -- the queue -------------------------------------------------------------------------
    def show_next(self) -> None:
        label_set = self.label_set.value
        if label_set == NO_SET:
            return self.say("no label set yet", "warn")
        self.dashboard.jobs.run(f"finding what to label next in {label_set}",
                                lambda: self.dashboard.catalog.labels.next(label_set, 10),
                                self._show_queue, failed=lambda exc: self.say(str(exc), "error"))
        return None

    def _show_queue(self, frame: pd.DataFrame) -> None:
        self.queue = [str(i) for i in frame["id"]]
        if frame.empty:
            self.queue_view.text = "nothing left to label"
            return
        rows = "".join(
            f'<li data-id="{row.id}">{html.escape(str(row.file_name))}: '
            f"{html.escape(str(row.predicted))} p={row.predicted_p:.2f}</li>"
            for row in frame.itertuples())
        self.queue_view.text = f"<ol style='padding-left:18px;margin:4px 0'>{rows}</ol>"

    def _open_next(self) -> None:
        if not self.queue:
            return self.say("the queue is empty: press 'Label these next'", "warn")
        scan_id = self.queue.pop(0)
        self.dashboard.open_scan(scan_id)
        self.say(f"open: {scan_id[:8]}; type its label and press 'Tag open scan'", "ok")
        return None

    # -- helpers ---------------------------------------------------------------------------
    def _set_changed(self, name: str) -> None:
        sets = self.dashboard.catalog.labels.sets()
        self.value.placeholder = _classes(sets, name)
        self.queue, self.queue_view.text = [], ""

    def say(self, text: str, kind: str) -> None:
        colour = {"ok": "#2b6e2b", "warn": "#9a6700", "error": "#b00020"}[kind]
        self.message.text = (f'<span style="color:{colour}" data-state="{kind}">'
                             f"{html.escape(text)}</span>")


def _classes(sets: pd.DataFrame, name: str) -> str:
    row = sets[sets["label_set"] == name]
    return ", ".join(row["classes"].iloc[0]) if len(row) else ""

