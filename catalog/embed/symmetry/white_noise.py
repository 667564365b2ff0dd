"""White noise on a scan, found and suppressed before the lattice search.

A probe's signal carries noise from its detector and feedback, independent from pixel
to pixel: white noise, spread evenly over the image's spectrum. A periodic pattern puts
its power into a few sharp peaks, so most of the spectrum's bins hold noise alone and
their median tells its level. Where that level is at least ``min_noise`` of the image's
range, each bin's power is reduced by ``over`` times the noise's (spectral subtraction:
the gain ``1 - over * noise / power``, at least 0), which leaves the pattern's peaks as
they are and takes most of the noise away. Noise buries the autocorrelation's lattice
points and the averaged cell's symmetry: symcat_symmetry.v35 abstains on many noisy
periodic scans ("no lattice: predicted lattice points are weak") (benchmarks/RESULTS.md,
"symcat_symmetry.v36").

The spectrum's row and column of no frequency across are left out of the median: a
scan's line offsets and a column's drift put their power there. Pixels that are NaN
are filled with the mean for the transform and are NaN again after. Images of more than
``max_pixels`` are left as they are, to bound the memory the transform takes (their
lattice is estimated on a block-averaged copy, `lattice.MAX_ESTIMATE_SIDE`, which averages
much of the noise away). Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from symcat.embed.symmetry.spread import pattern_range


class Spectrum(NamedTuple):
    """An image's spectrum as `WhiteNoise` measures it: scaled to the image's range."""

    spectrum: np.ndarray  # rfft2 of the image less its mean, over its range (NaN: 0)
    power: np.ndarray  # |spectrum|^2
    floor: float  # the noise's power per bin
    level: float  # the noise's standard deviation over the range
    spread: float  # the range (0.5-99.5 pct)
    finite: np.ndarray  # the pixels that are not NaN
    mean: float  # the finite pixels' mean


@dataclass(frozen=True)
class WhiteNoise:
    """Suppress white noise of at least ``min_noise`` of the range (see the module)."""

    min_noise: float = 0.03
    over: float = 2.0
    min_side: int = 16
    max_pixels: int = 1 << 24  # (4096 x 4096: the transform's arrays stay under 1 GB)

    @classmethod
    def from_config(cls, cfg: dict) -> WhiteNoise:
        return cls(min_noise=float(cfg.get("min_noise", 0.03)),
                   over=float(cfg.get("over", 2.0)),
                   min_side=int(cfg.get("min_side", 16)),
                   max_pixels=int(cfg.get("max_pixels", 1 << 24)))

    def level(self, grey: np.ndarray) -> float | None:
        """The white noise's standard deviation as a fraction of the image's range (its
        0.5th to 99.5th percentile); None where it cannot be told (too small, constant,
        no finite pixel) or is not looked for (over ``max_pixels``)."""
        found = self._spectrum(grey)
        return None if found is None else found.level

    def suppress(self, grey: np.ndarray) -> np.ndarray:
        """``grey`` with its white noise taken away where that is ``min_noise`` of its
        range or more (the same array otherwise)."""
        found = self._spectrum(grey)
        if found is None or found.level < self.min_noise:
            return grey
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.clip(1.0 - self.over * found.floor / found.power, 0.0, 1.0)
        gain[~np.isfinite(gain)] = 0.0
        gain[0, 0] = 1.0
        out = np.fft.irfft2(found.spectrum * gain, found.finite.shape) * found.spread \
            + found.mean
        out[~found.finite] = np.nan
        return out

    def _spectrum(self, grey: np.ndarray) -> Spectrum | None:
        """The image's spectrum and its noise; None where it cannot be measured."""
        a = np.asarray(grey, dtype=np.float64)
        if a.ndim != 2 or min(a.shape) < self.min_side or a.size > self.max_pixels:
            return None
        finite = np.isfinite(a)
        if finite.sum() < self.min_side**2:
            return None
        values = a[finite]
        spread = pattern_range(values)
        if spread is None:
            return None
        mean = float(values.mean())
        filled = np.where(finite, (a - mean) / spread, 0.0)  # scaled: no overflow
        spectrum = np.fft.rfft2(filled)
        power = spectrum.real**2 + spectrum.imag**2
        inner = power[1:, 1:]
        if inner.size < 16:
            return None
        floor = float(np.median(inner)) / np.log(2.0)  # |F|^2 of noise: exponential
        sigma = float(np.sqrt(floor / a.size))
        return Spectrum(spectrum, power, floor, sigma, spread, finite, mean)
