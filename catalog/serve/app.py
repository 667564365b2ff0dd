"""The dashboard document: filter panel, initial and recursive maps with breadcrumbs,
metadata viewer and export, wired together. One `Dashboard` per browser session.

    app = make_app(Catalog(), where="sample = PZT*")     # a bokeh Application
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.document import Document
from bokeh.models import Button, Column, Div, Row, Select

from symcat.client import Catalog
from symcat.query.filters import FilterError
from symcat.serve import jobs
from symcat.serve.panels.breadcrumbs import Breadcrumbs
from symcat.serve.panels.export import ExportPanel, Format, export_bytes
from symcat.serve.panels.filters import FilterOptions, FilterPanel, FilterRequest
from symcat.serve.panels.labels import LabelPanel
from symcat.serve.panels.maps import MapPanel
from symcat.serve.panels.metadata import ScanView, ScanViewer, SelectionTable
from symcat.serve.thumbnails import TOOLTIP_LIMIT, data_uri, height_thumbnails

SEED = 0  # a fixed seed: the same filter gives the same map, answered from the cache
DEFAULT_COLOUR = "sample_name"


def make_app(catalog: Catalog, *, where: str | None = None, model: str | None = None
             ) -> Application:
    """A Bokeh application serving the dashboard for `catalog`; compiles UMAP's kernels
    in the background so the first projection a user asks for is already warm."""
    from symcat.project.warm import warm_up

    jobs.submit(warm_up, catalog.settings.data_dir)
    options = FilterOptions.from_catalog(catalog)
    return Application(FunctionHandler(partial(build_document, catalog=catalog,
                                               options=options, where=where, model=model)))


def build_document(doc: Document, *, catalog: Catalog, options: FilterOptions,
                   where: str | None, model: str | None) -> None:
    Dashboard(doc, catalog, options, where=where, model=model)


class Dashboard:
    """State of one session: the stack of projections (root first) and the level shown."""

    def __init__(self, doc: Document, catalog: Catalog, options: FilterOptions, *,
                 where: str | None, model: str | None) -> None:
        self.doc, self.catalog, self.model = doc, catalog, model
        self.stack: list[Any] = []        # symcat.project.Projection, root first
        self.level = 0                    # the level shown in the recursive map
        self.thumbs: dict[uuid.UUID, str] = {}
        self.status = Div(text="starting…", name="status", sizing_mode="stretch_width")
        self.jobs = jobs.Jobs(doc, self.status)

        self.filters = FilterPanel(options, where)
        self.colour = Select(title="Colour by", value=DEFAULT_COLOUR, name="colour-by",
                             options=[DEFAULT_COLOUR], sizing_mode="stretch_width")
        self.root_map = MapPanel("root", "Initial projection")
        self.sub_map = MapPanel("recursive", "Recursive projection")
        self.project_root = Button(label="Re-project selection ▸", name="project-root",
                                   button_type="success")
        self.project_sub = Button(label="Re-project selection ▸", name="project-recursive",
                                  button_type="success")
        self.crumbs = Breadcrumbs(self.go_to_level)
        self.table = SelectionTable(self.open_scan)
        self.viewer = ScanViewer()
        self.export = ExportPanel()
        self.active = self.root_map
        self.labels = LabelPanel(self)  # tagging, labels as colour, label-next (issue 14)

        self.filters.apply.on_click(lambda _e: self.apply_filter())
        self.colour.on_change("value", lambda _a, _o, new: self.recolour(new))
        self.project_root.on_click(lambda _e: self.project_selection(self.root_map))
        self.project_sub.on_click(lambda _e: self.project_selection(self.sub_map))
        self.root_map.on_select(partial(self.selected, self.root_map))
        self.sub_map.on_select(partial(self.selected, self.sub_map))
        self.export.csv.on_click(lambda _e: self.export_selection("csv"))
        self.export.parquet.on_click(lambda _e: self.export_selection("parquet"))

        side = Column(Div(text="<h2 style='margin:0'>symcat</h2>"), self.filters.layout,
                      self.colour, self.labels.layout, width=300)
        maps = Row(Column(self.root_map.figure, self.project_root, sizing_mode="stretch_width"),
                   Column(self.crumbs.layout, self.sub_map.figure, self.project_sub,
                          sizing_mode="stretch_width"), sizing_mode="stretch_width")
        lower = Row(Column(self.table.layout, self.export.layout, sizing_mode="stretch_width"),
                    self.viewer.layout, sizing_mode="stretch_width")
        main = Column(self.status, maps, lower, sizing_mode="stretch_width")
        doc.add_root(Row(side, main, sizing_mode="stretch_width"))
        doc.add_root(self.export.source)  # not drawn; carries files to the browser
        doc.title = "symcat dashboard"
        self.apply_filter()

    # -- filter -> initial projection ------------------------------------------------
    def apply_filter(self) -> None:
        try:
            request = self.filters.request()
        except FilterError as exc:
            self.filters.show_error(str(exc))
            self.jobs.show("the filter has an error", kind="error")
            return
        self.filters.show_error(None)
        self.jobs.run(f"projecting {request.describe()}", partial(self._project_root, request),
                      self._show_root,
                      failed=lambda exc: self.filters.show_error(str(exc)))

    def _project_root(self, request: FilterRequest) -> tuple[Any, dict[uuid.UUID, str]]:
        root = self.catalog.project(request.where, model=self.model, random_state=SEED,
                                    **request.filters)
        return root, self._thumbnails(list(root["id"]))

    def _show_root(self, result: tuple[Any, dict[uuid.UUID, str]]) -> None:
        root, thumbs = result
        self.thumbs.update(thumbs)
        self.stack, self.level = [root], 0
        columns = [c for c in root.columns if c not in ("id", "x", "y")]
        self.colour.options = columns
        if self.colour.value not in columns:
            self.colour.value = columns[0]
        self.root_map.show(root.frame, f"Initial projection · {len(root)} scans",
                           self.colour.value, self.thumbs)
        self.sub_map.clear("Recursive projection: select points, then re-project")
        self.crumbs.show([len(root)], 0)
        self.table.show(self.root_map.source.data, [])
        self.jobs.show(f"initial projection: {len(root)} scans, {self._how(root)}")

    # -- selection -> recursive projection ---------------------------------------------
    def selected(self, panel: MapPanel, indices: list[int]) -> None:
        self.active = panel
        self.table.show(panel.source.data, indices)

    def project_selection(self, panel: MapPanel) -> None:
        if not self.stack:
            return
        base = 0 if panel is self.root_map else self.level
        parent = self.stack[base]
        mask = np.zeros(len(parent), dtype=bool)
        mask[panel.selected] = True
        if not mask.any():
            self.jobs.show("select points first (box or lasso tool)", kind="warn")
            return
        self.jobs.run(f"re-projecting {int(mask.sum())} selected scans",
                      partial(self._project_child, parent, mask),
                      partial(self._show_child, base))

    def _project_child(self, parent: Any, mask: np.ndarray) -> tuple[Any, dict[uuid.UUID, str]]:
        child = parent.select(mask).project()
        return child, self._thumbnails(list(child["id"]))

    def _show_child(self, base: int, result: tuple[Any, dict[uuid.UUID, str]]) -> None:
        child, thumbs = result
        self.thumbs.update(thumbs)
        self.stack = [*self.stack[:base + 1], child]
        self.show_level(len(self.stack) - 1)
        self.jobs.show(f"level {self.level}: {len(child)} scans, {self._how(child)}")

    def go_to_level(self, level: int) -> None:
        """A breadcrumb: show that level again; deeper levels stay until a new selection."""
        if 0 <= level < len(self.stack):
            self.show_level(level)
            self.jobs.show(f"level {level}: {len(self.stack[level])} scans")

    def show_level(self, level: int) -> None:
        self.level = level
        proj = self.stack[level]
        title = ("Recursive projection · all" if level == 0 else
                 f"Recursive projection · level {level}") + f" · {len(proj)} scans"
        self.sub_map.show(proj.frame, title, self.colour.value, self.thumbs,
                          reference=self.stack[0].frame)
        self.crumbs.show([len(p) for p in self.stack], level)
        self.active = self.sub_map
        self.table.show(self.sub_map.source.data, [])

    def recolour(self, column: str) -> None:
        self.root_map.recolour(column)
        self.sub_map.recolour(column)

    # -- one scan: metadata, channels, neighbours --------------------------------------
    def open_scan(self, scan_id: str) -> None:
        self.labels.opened = scan_id
        self.jobs.run(f"opening scan {scan_id[:8]}", partial(self._load_scan, scan_id),
                      self.viewer.show,
                      failed=lambda exc: self.viewer.show_message(str(exc)))

    def _load_scan(self, scan_id: str) -> ScanView:
        scan = self.catalog.scan(scan_id)
        model = self.stack[0].model if self.stack else self.model
        neighbours = self.catalog.neighbors(scan_id, k=9, model=model)
        return ScanView(
            id=scan_id, document=scan.document,
            channels=[(name, data_uri(png)) for name, png in scan.thumbnails.items()],
            neighbours=neighbours,
            neighbour_thumbnails=height_thumbnails(self.catalog, list(neighbours["id"])))

    # -- export ----------------------------------------------------------------------
    def export_selection(self, fmt: Format) -> None:
        panel = self.active
        if panel.frame is None:
            self.jobs.show("nothing to export yet", kind="warn")
            return
        indices = panel.selected or list(range(len(panel.frame)))
        points = panel.frame.iloc[indices][["id", "x", "y"]]
        name = f"symcat-selection-{len(points)}.{fmt}"
        self.jobs.run(f"exporting {len(points)} scans as {fmt}",
                      partial(self._export, points, fmt),
                      lambda content: self.export.deliver(name, content, fmt))

    def _export(self, points: pd.DataFrame, fmt: Format) -> bytes:
        meta = self.catalog.scans(id=list(points["id"]))
        return export_bytes(points.merge(meta, on="id", how="left"), fmt)

    # -- helpers -----------------------------------------------------------------------
    def _thumbnails(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if len(ids) > TOOLTIP_LIMIT:
            return {}
        missing = [i for i in ids if i not in self.thumbs]
        return height_thumbnails(self.catalog, missing)

    @staticmethod
    def _how(proj: Any) -> str:
        if proj.cached:
            return "from the cache"
        return f"computed in {proj.timings.get('total_s', 0):.2f} s"
