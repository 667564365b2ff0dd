"""The filter panel: the filter language in a text box, plus widgets for common columns.

Widgets become keyword filters (`Catalog.project(where, mode=[...], ...)`); a widget left
at its full range adds nothing, so scans with unknown values are not dropped by default.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from bokeh.models import Button, Column, DateRangeSlider, Div, MultiChoice, RangeSlider, TextInput

from symcat.client import Catalog
from symcat.query.expr import compile_expression


@dataclass(frozen=True)
class FilterOptions:
    """Choices offered by the widgets, read once from the catalog when the server starts."""

    modes: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    size_um: tuple[float, float] | None = None
    dates: tuple[date, date] | None = None

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> FilterOptions:
        scans = catalog.scans()

        def choices(column: str) -> list[str]:
            return sorted(str(v) for v in scans[column].dropna().unique())

        sizes = pd.to_numeric(scans["scan_size_x_m"], errors="coerce").dropna() * 1e6
        acquired = pd.to_datetime(scans["acquired_at"], errors="coerce", utc=True).dropna()
        return cls(
            modes=choices("imaging_mode"), samples=choices("sample_name"),
            materials=choices("material"), sites=choices("site"),
            size_um=(float(sizes.min()), float(sizes.max())) if len(sizes) else None,
            dates=(acquired.min().date(), acquired.max().date()) if len(acquired) else None,
        )


@dataclass(frozen=True)
class FilterRequest:
    """What to project: a filter-language expression and keyword filters."""

    where: str | None
    filters: dict[str, Any]

    def describe(self) -> str:
        parts = [self.where] if self.where else []
        parts += [f"{k}={v}" for k, v in self.filters.items()]
        return " and ".join(parts) or "all scans"


class FilterPanel:
    """Text box and widgets; `request()` validates and returns a `FilterRequest`."""

    def __init__(self, options: FilterOptions, initial_where: str | None = None) -> None:
        self.options = options
        self.text = TextInput(title="Filter (docs/filters.md)", value=initial_where or "",
                              placeholder="sample = PZT* and scan_size_x_m >= 2um",
                              name="filter-text", sizing_mode="stretch_width")
        self.modes = MultiChoice(title="Mode", options=options.modes, name="filter-mode",
                                 sizing_mode="stretch_width")
        self.samples = MultiChoice(title="Sample", options=options.samples,
                                   name="filter-sample", sizing_mode="stretch_width")
        self.materials = MultiChoice(title="Material", options=options.materials,
                                     name="filter-material", sizing_mode="stretch_width")
        self.sites = MultiChoice(title="Site", options=options.sites, name="filter-site",
                                 sizing_mode="stretch_width")
        self.size = _size_slider(options.size_um)
        self.dates = _date_slider(options.dates)
        self.apply = Button(label="Apply filter", button_type="primary", name="filter-apply",
                            sizing_mode="stretch_width")
        self.error = Div(text="", name="filter-error", sizing_mode="stretch_width")
        self.layout = Column(self.text, self.modes, self.samples, self.materials, self.sites,
                             self.size,
                             self.dates, self.apply, self.error, sizing_mode="stretch_width")

    def request(self) -> FilterRequest:
        """The filters as set; raises `FilterError` (shown to the user) for a bad expression."""
        where = self.text.value.strip() or None
        compile_expression(where)  # parse now, so a typo is reported before any work starts
        filters: dict[str, Any] = {}
        if self.modes.value:
            filters["mode"] = list(self.modes.value)
        if self.samples.value:
            filters["sample"] = list(self.samples.value)
        if self.materials.value:
            filters["material"] = list(self.materials.value)
        if self.sites.value:
            filters["site"] = list(self.sites.value)
        if self.options.size_um is not None and _narrowed(self.size.value, self.options.size_um):
            low, high = self.size.value
            filters["scan_size_x_m"] = (low * 1e-6 * (1 - 1e-9), high * 1e-6 * (1 + 1e-9))
        if self.options.dates is not None:
            low, high = self.dates.value_as_date
            if (low, high) != self.options.dates:
                filters["acquired_at"] = (datetime.combine(low, time.min),
                                          datetime.combine(high, time.max))
        return FilterRequest(where, filters)

    def show_error(self, message: str | None) -> None:
        self.error.text = "" if not message else (
            f'<div style="color:#b00020;white-space:pre-wrap">{html.escape(message)}</div>')


def _narrowed(value: tuple[float, float], full: tuple[float, float]) -> bool:
    tolerance = 1e-6 * max(abs(full[1]), 1.0)
    return value[0] > full[0] + tolerance or value[1] < full[1] - tolerance


def _size_slider(size_um: tuple[float, float] | None) -> RangeSlider:
    low, high = size_um or (0.0, 1.0)
    high = high if high > low else low + 1.0
    return RangeSlider(title="Scan size x (µm)", start=low, end=high, value=(low, high),
                       step=(high - low) / 200, name="filter-size", disabled=size_um is None,
                       sizing_mode="stretch_width")


def _date_slider(dates: tuple[date, date] | None) -> DateRangeSlider:
    low, high = dates or (date(2000, 1, 1), date(2000, 1, 2))
    end = high if high > low else date.fromordinal(low.toordinal() + 1)
    return DateRangeSlider(title="Acquired", start=low, end=end, value=(low, high), step=1,
                           name="filter-dates", disabled=dates is None,
                           sizing_mode="stretch_width")
