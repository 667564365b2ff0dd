"""The dashboard document: filter panel, initial map beside its image tiles, recursive
maps with breadcrumbs, the scan viewer with neighbours, saved selections and export,
wired together. One `Dashboard` per browser session; the address bar carries its view.

    app = make_app(Catalog(), where="sample = PZT*")     # a bokeh Application

Panels live in `symcat.serve.panels`, one module each; a new panel is a module there
plus a few lines in `Dashboard.__init__` (its widgets) and `Dashboard.layout`.
"""

from __future__ import annotations

import base64
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.document import Document
from bokeh.models import Button, Column, Div, Row, Select, TextInput

from symcat.client import Catalog
from symcat.query.filters import FilterError
from symcat.render.channels import ROLES, default_role
from symcat.render.image import panel_png
from symcat.render.scan import role_image, scan_panels
from symcat.serve import jobs
from symcat.serve.panels.breadcrumbs import Breadcrumbs
from symcat.serve.panels.export import ExportPanel, Format, export_bytes
from symcat.serve.panels.filters import FilterOptions, FilterPanel, FilterRequest
from symcat.serve.panels.labels import LabelPanel
from symcat.serve.panels.maps import MapPanel
from symcat.serve.panels.metadata import ScanView, ScanViewer, SelectionTable
from symcat.serve.panels.selections import SelectionsPanel
from symcat.serve.panels.tiles import TilePanel
from symcat.serve.urlstate import AddressBar, ViewState

SEED = 0  # a fixed seed: the same filter gives the same map, answered from the cache
DEFAULT_COLOUR = "sample_name"
NEIGHBOURS = 9
NEIGHBOUR_PANEL = 110


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


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class Dashboard:
    """State of one session: the stack of projections (root first) and the level shown."""

    def __init__(self, doc: Document, catalog: Catalog, options: FilterOptions, *,
                 where: str | None, model: str | None) -> None:
        self.doc, self.catalog, self.model = doc, catalog, model
        request = doc.session_context.request if doc.session_context else None
        state = ViewState.from_arguments(request.arguments if request is not None else None)
        self.stack: list[Any] = []        # symcat.project.Projection, root first
        self.level = 0                    # the level shown in the recursive map
        self.open_id: str | None = None
        self.status = Div(text="starting…", name="status", sizing_mode="stretch_width")
        self.jobs = jobs.Jobs(doc, self.status)
        self.address = AddressBar(state)

        self.filters = FilterPanel(options, state.where or where)
        self.colour = Select(title="Colour by", value=state.colour or DEFAULT_COLOUR,
                             name="colour-by", options=[state.colour or DEFAULT_COLOUR],
                             sizing_mode="stretch_width")
        self.channel = Select(title="Channel shown (thumbnails, tiles)",
                              value=state.channel if state.channel in ROLES else "height",
                              options=list(ROLES), name="channel",
                              sizing_mode="stretch_width")
        self.channel_chosen = state.channel in ROLES
        self.root_map = MapPanel("root", "Initial projection")
        self.tiles = TilePanel(self.root_map.figure.x_range, self.root_map.figure.y_range)
        self.sub_map = MapPanel("recursive", "Recursive projection")
        self.project_root = Button(label="Re-project selection ▸", name="project-root",
                                   button_type="success")
        self.project_sub = Button(label="Re-project selection ▸", name="project-recursive",
                                  button_type="success")
        self.crumbs = Breadcrumbs(self.go_to_level)
        self.table = SelectionTable(self.open_scan)
        self.viewer = ScanViewer()
        self.export = ExportPanel()
        self.saved = SelectionsPanel()
        self.open_request = TextInput(value="", name="open-request", visible=False)
        self.active = self.root_map
        self.labels = LabelPanel(self)  # tagging, labels as colour, label-next (issue 14)

        self.filters.apply.on_click(lambda _e: self.apply_filter())
        self.colour.on_change("value", lambda _a, _o, new: self.recolour(new))
        self._quiet = False  # set while the server itself changes the channel widget
        self.channel.on_change("value", lambda _a, _o, new: None if self._quiet
                               else self.set_channel(new, chosen=True))
        self.project_root.on_click(lambda _e: self.project_selection(self.root_map))
        self.project_sub.on_click(lambda _e: self.project_selection(self.sub_map))
        self.root_map.on_select(partial(self.selected, self.root_map))
        self.sub_map.on_select(partial(self.selected, self.sub_map))
        self.tiles.on_ranges(self.root_map.figure, self.tiles.figure)
        self.export.csv.on_click(lambda _e: self.export_selection("csv"))
        self.export.parquet.on_click(lambda _e: self.export_selection("parquet"))
        self.saved.save.on_click(lambda _e: self.save_selection())
        self.saved.open.on_click(lambda _e: self.use_selection())
        self.saved.export.on_click(lambda _e: self.export_saved())
        self.open_request.on_change("value", lambda _a, _o, new: self._open_requested(new))

        doc.add_root(self.layout())
        for hidden in (self.export.source, self.address.div, self.open_request):
            doc.add_root(hidden)  # not drawn; carry files, the address and clicks
        doc.title = "symcat dashboard"
        self.saved.list(self.catalog.selections())
        if state.projection:
            self.open_projection(state.projection, scan=state.scan)
        else:
            self.apply_filter(scan=state.scan)

    def layout(self) -> Row:
        side = Column(Div(text="<h2 style='margin:0'>symcat</h2>"), self.filters.layout,
                      self.colour, self.channel, self.saved.layout, self.labels.layout,
                      width=300)
        maps = Row(Column(self.root_map.figure, self.root_map.legend, self.project_root,
                          sizing_mode="stretch_width"),
                   Column(self.tiles.figure, sizing_mode="stretch_width"),
                   sizing_mode="stretch_width")
        recursive = Column(self.crumbs.layout, self.sub_map.figure, self.sub_map.legend,
                           self.project_sub, sizing_mode="stretch_width")
        lower = Row(Column(self.table.layout, self.export.layout, sizing_mode="stretch_width"),
                    self.viewer.layout, sizing_mode="stretch_width")
        main = Column(self.status, maps, Row(recursive, sizing_mode="stretch_width"), lower,
                      sizing_mode="stretch_width")
        return Row(side, main, sizing_mode="stretch_width")

    # -- filter -> initial projection ------------------------------------------------
    def apply_filter(self, scan: str | None = None) -> None:
        try:
            request = self.filters.request()
        except FilterError as exc:
            self.filters.show_error(str(exc))
            self.jobs.show("the filter has an error", kind="error")
            return
        self.filters.show_error(None)
        self.jobs.run(f"projecting {request.describe()}", partial(self._project_root, request),
                      partial(self._show_stack, scan=scan),
                      failed=lambda exc: self.filters.show_error(str(exc)))

    def _project_root(self, request: FilterRequest) -> list[Any]:
        return [self.catalog.project(request.where, model=self.model, random_state=SEED,
                                     **request.filters)]

    def open_projection(self, projection_id: str, scan: str | None = None) -> None:
        """A stored projection (from a link): its lineage is the breadcrumb stack."""
        self.jobs.run(f"opening projection {projection_id[:8]}",
                      partial(self._lineage, projection_id),
                      partial(self._show_stack, scan=scan),
                      failed=lambda exc: self.filters.show_error(
                          f"cannot open projection {projection_id}: {exc}"))

    def _lineage(self, projection_id: str) -> list[Any]:
        chain = [self.catalog.projection(projection_id)]
        while chain[0].parent_id is not None:
            chain.insert(0, chain[0].parent())
        return chain

    def _show_stack(self, stack: list[Any], scan: str | None = None) -> None:
        root = stack[0]
        self.stack = stack
        if root.where is not None or len(stack) > 1:
            self.filters.text.value = root.where or ""
        columns = [c for c in root.columns if c not in ("id", "x", "y")]
        self.colour.options = columns
        if self.colour.value not in columns:
            self.colour.value = columns[0]
        if not self.channel_chosen:
            modes = root.frame["imaging_mode"].mode()
            self.set_channel(default_role(modes.iloc[0] if len(modes) else None))
        role = self.channel.value
        self.root_map.show(root.frame, f"Initial projection · {len(root)} scans",
                           self.colour.value, role)
        ranges = self.root_map.figure
        self.tiles.show(root.frame, role, (ranges.x_range.start, ranges.x_range.end,
                                           ranges.y_range.start, ranges.y_range.end))
        if len(stack) > 1:
            self.show_level(len(stack) - 1)
        else:
            self.sub_map.clear("Recursive projection: select points, then re-project")
            self.crumbs.show([len(root)], 0)
            self.table.show(root.frame, list(range(len(root))), "All scans of the map")
            self.address.update(projection=str(root.id), where=root.where)
        self.jobs.show(f"initial projection: {len(root)} scans, {self._how(stack[-1])}")
        if scan:
            self.open_scan(scan)

    # -- selection -> recursive projection ---------------------------------------------
    def selected(self, panel: MapPanel, indices: list[int]) -> None:
        self.active = panel
        self.table.show(panel.frame, indices)
        if len(indices) == 1 and panel.frame is not None:  # a click on a point opens it
            self.open_scan(str(panel.frame["id"].iloc[indices[0]]))

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

    def _project_child(self, parent: Any, mask: np.ndarray) -> Any:
        # The map is drawn while its points are stored (symcat.project.writes).
        return parent.select(mask).project(store_later=True)

    def _show_child(self, base: int, child: Any) -> None:
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
        self.sub_map.show(proj.frame, title, self.colour.value, self.channel.value,
                          reference=self.stack[0].frame)
        self.crumbs.show([len(p) for p in self.stack], level)
        self.active = self.sub_map
        self.table.show(self.sub_map.frame, list(range(len(proj))),
                        f"Level {level}: all scans" if level else "All scans of the map")
        self.address.update(projection=str(proj.id), where=self.stack[0].where)
        self._mark()

    def recolour(self, column: str) -> None:
        self.root_map.recolour(column)
        self.sub_map.recolour(column)
        self.address.update(colour=column)

    def set_channel(self, role: str, *, chosen: bool = False) -> None:
        """Show `role` in thumbnails and tiles; until the user picks one (`chosen`), the
        default follows the imaging mode of the scans shown."""
        self.channel_chosen = self.channel_chosen or chosen
        if self.channel.value != role:
            self._quiet = True
            self.channel.value = role
            self._quiet = False
        for panel in (self.root_map, self.sub_map, self.tiles):
            panel.set_role(role)
        self.address.update(channel=role if self.channel_chosen else None)

    # -- one scan: metadata, channels, neighbours --------------------------------------
    def open_scan(self, scan_id: str) -> None:
        self.labels.opened = scan_id
        self.jobs.run(f"opening scan {scan_id[:8]}", partial(self._load_scan, scan_id),
                      self._show_scan,
                      failed=lambda exc: self.viewer.show_message(str(exc)))

    def _open_requested(self, value: str) -> None:
        if value:
            self.open_scan(value.split("|")[0])

    def _load_scan(self, scan_id: str) -> ScanView:
        scan = self.catalog.scan(scan_id)
        model = self.stack[0].model if self.stack else self.model
        neighbours = self.catalog.neighbors(scan_id, k=NEIGHBOURS, model=model)
        panels = {str(key): self._neighbour_panels(key) for key in neighbours["id"]}
        return ScanView(
            id=str(scan.id), document=scan.document,
            channels=[(p.name, data_uri(p.png)) for p in scan_panels(scan.document,
                                                                     scan.channels, size=150)],
            neighbours=pd.DataFrame(neighbours), neighbour_panels=panels)

    def _neighbour_panels(self, scan_id: Any) -> list[tuple[str, str]]:
        """Amplitude and phase (where the domains are), else what the scan has."""
        scan = self.catalog.scan(scan_id)
        size = (scan.document.get("scan") or {}).get("size_x_m")
        drawn = [(r, role_image(scan.document, scan.channels, r))
                 for r in ("amplitude", "phase", "height")]
        shown = [(r, d) for r, d in drawn if d is not None][:2]
        return [(role, data_uri(panel_png(image, kind=kind, unit=unit, scan_size_m=size,
                                          size=NEIGHBOUR_PANEL)))
                for role, (_name, image, kind, unit) in shown]

    def _show_scan(self, view: ScanView) -> None:
        self.open_id = view.id
        self.neighbour_ids = [str(i) for i in view.neighbours["id"]]
        self.viewer.show(view)
        self._mark()
        self.address.update(scan=view.id)

    def _mark(self) -> None:
        if self.open_id is None:
            return
        for panel in (self.root_map, self.sub_map):
            panel.mark(self.open_id, getattr(self, "neighbour_ids", []))

    # -- saved selections ------------------------------------------------------------
    def save_selection(self) -> None:
        panel = self.active
        name = self.saved.name.value.strip()
        if panel.frame is None or not panel.selected:
            self.saved.say("select scans on a map first (box or lasso)", error=True)
            return
        ids = [panel.frame["id"].iloc[i] for i in panel.selected]
        projection = self.stack[0 if panel is self.root_map else self.level]
        try:
            count = self.catalog.save_selection(name, ids, where=self.filters.text.value or None,
                                                projection_id=projection.id)
        except FilterError as exc:
            self.saved.say(str(exc), error=True)
            return
        self.saved.list(self.catalog.selections(), chosen=name)
        self.saved.say(f"saved {count} scans as {name!r}; use it as the filter "
                       f'selection = "{name}"')

    def use_selection(self) -> None:
        name = self.saved.saved.value
        if not name:
            self.saved.say("no saved selection chosen", error=True)
            return
        self.filters.text.value = f'selection = "{name}"'
        self.apply_filter()

    def export_saved(self) -> None:
        name = self.saved.saved.value
        if not name:
            self.saved.say("no saved selection chosen", error=True)
            return
        self.jobs.run(f"exporting selection {name}",
                      lambda: export_bytes(self.catalog.scans(selection=name), "csv"),
                      lambda content: self.export.deliver(f"{name}.csv", content, "csv"))

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

    @staticmethod
    def _how(proj: Any) -> str:
        if proj.cached:
            return "from the cache"
        return f"computed in {proj.timings.get('total_s', 0):.2f} s"
