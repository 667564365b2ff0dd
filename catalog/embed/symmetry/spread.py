"""The range a pattern spans, robust to a few wild pixels: the levelling steps' yardstick.

The 0.5th to 99.5th percentile of an image's finite values (at most about a million of
them, evenly taken), so that a spike or a dead pixel does not set the scale that offsets
and noise are measured against. Numpy only.
"""

from __future__ import annotations

import numpy as np


def pattern_range(values: np.ndarray) -> float | None:
    """The 0.5-99.5 percentile range of the finite ``values`` (1-D); None where it is not
    a positive finite number (a constant image, overflow)."""
    lo, hi = np.percentile(values[:: max(1, values.size >> 20)], [0.5, 99.5])
    spread = float(hi - lo)
    if not np.isfinite(spread) or spread <= 0:
        return None
    return spread
