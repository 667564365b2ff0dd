"""Point colours for "colour by any column": categories get a palette, numbers a ramp,
sent to the browser as small integer codes into a palette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from bokeh.palettes import Category20, Viridis256

MISSING = "#bbbbbb"


def _numbers(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.astype("int64").where(values.notna())
    return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()


@dataclass(frozen=True)
class Colouring:
    """Point colours as small integers into `palette` (-1: unknown, drawn grey), so that a
    map of any size sends one binary array, plus what the legend shows."""

    codes: np.ndarray
    palette: list[str]
    categories: list[str] | None = None      # categorical: the label of each palette entry
    value_range: tuple[float, float] | None = None  # numeric: the ends of the ramp
    dates: bool = False


def colour_codes(values: pd.Series, reference: pd.Series | None = None) -> Colouring:
    """Codes for "colour by" `values`, on the scale (categories or range) of `reference`
    (the initial map's column), so a recursive map keeps its parent's colours."""
    reference = values if reference is None else reference
    if pd.api.types.is_bool_dtype(values) or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
        labels = sorted(str(v) for v in reference.dropna().astype("string").unique())
        index = {v: i for i, v in enumerate(labels)}
        text = values.astype("string")
        codes = np.array([-1 if pd.isna(v) else index.get(str(v), -1) for v in text],
                         dtype=np.int32)
        palette = [*Category20[20][0::2], *Category20[20][1::2]]
        return Colouring(codes, [palette[i % len(palette)] for i in range(len(labels))] or
                         [MISSING], categories=labels)
    numbers, scale = _numbers(values), _numbers(reference)
    known = np.isfinite(numbers)
    dates = pd.api.types.is_datetime64_any_dtype(values)
    if not known.any() or not np.isfinite(scale).any():
        return Colouring(np.full(len(values), -1, dtype=np.int32), list(Viridis256),
                         value_range=None, dates=dates)
    low, high = float(np.nanmin(scale)), float(np.nanmax(scale))
    scaled = np.zeros(len(numbers)) if high == low else (numbers - low) / (high - low)
    codes = np.clip(np.nan_to_num(scaled) * 255, 0, 255).astype(np.int32)
    codes[~known] = -1
    return Colouring(codes, list(Viridis256), value_range=(low, high), dates=dates)
