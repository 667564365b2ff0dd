"""Point colours for "colour by any column": categories get a palette, numbers a ramp."""

from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.palettes import Category20, Viridis256

MISSING = "#bbbbbb"


def colour_column(values: pd.Series) -> list[str]:
    """One CSS colour per value; unknown values are grey."""
    if pd.api.types.is_bool_dtype(values) or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
        return _categorical(values.astype("string"))
    numbers = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_datetime64_any_dtype(
        values) else values.astype("int64").where(values.notna())
    numbers = numbers.astype("float64").to_numpy()
    known = np.isfinite(numbers)
    if not known.any():
        return [MISSING] * len(values)
    low, high = np.nanmin(numbers[known]), np.nanmax(numbers[known])
    scaled = np.zeros(len(numbers)) if high == low else (numbers - low) / (high - low)
    index = np.clip(np.nan_to_num(scaled) * 255, 0, 255).astype(int)
    return [Viridis256[i] if ok else MISSING for i, ok in zip(index, known, strict=True)]


def _categorical(values: pd.Series) -> list[str]:
    palette = [*Category20[20][0::2], *Category20[20][1::2]]  # strong colours first
    codes, _ = pd.factorize(values, sort=True)
    return [palette[c % len(palette)] if c >= 0 else MISSING for c in codes]
