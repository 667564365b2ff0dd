"""Symmetry extractor: 512-d features and plane-group predictions with uncertainty.

Input: ``(N, C, H, W)`` float in [0, 1], C = 1 (grey) or 3 (RGB, averaged to grey);
numpy arrays are accepted. Non-square images are centre-cropped to a square (not
squashed: squashing breaks the lattice's symmetry), then resized to 224 x 224.
Patterns should span at least ~4 lattice cells and cells at least ~15 pixels after
the resize, as in training (cells of 17 to 56 pixels at 224).

Uncertainty comes from Monte-Carlo dropout on the head: the backbone runs once, the
dropout head ``mc_samples`` times, so it costs almost nothing beyond ``features``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from symcat.embed.symmetry import cell_symmetry, drift, motif, pixel_cell
from symcat.embed.symmetry.background import Background
from symcat.embed.symmetry.cell_symmetry import CellCheck, CellSymmetry
from symcat.embed.symmetry.drift import Drift
from symcat.embed.symmetry.equal_edges import EqualEdges
from symcat.embed.symmetry.groups import GROUPS
from symcat.embed.symmetry.lattice import (
    MIN_CELLS_FRACTION,
    NO_LATTICE,
    FineSearch,
    Lattice,
    as_grey,
    estimate,
    native_views,
    reduced,
    resize,
    scaled,
    square_pixels,
    views,
    within_aspect,
)
from symcat.embed.symmetry.margins import MarginTrim
from symcat.embed.symmetry.model import SymmetryNet
from symcat.embed.symmetry.pixel_blocks import PixelBlocks
from symcat.embed.symmetry.rectify import Rectify
from symcat.embed.symmetry.scan_lines import LineOffsets
from symcat.embed.symmetry.weights import load_split, overlay
from symcat.embed.symmetry.white_noise import WhiteNoise

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_V2_DIR = Path(__file__).parent / "weights_v2"
WEIGHTS_V3_DIR = Path(__file__).parent / "weights_v3"  # config only: v2's weight files
WEIGHTS_V4_DIR = Path(__file__).parent / "weights_v4"  # config only: v2's weight files
WEIGHTS_V5_DIR = Path(__file__).parent / "weights_v5"  # v2's weight files + a delta
WEIGHTS_V8_DIR = Path(__file__).parent / "weights_v8"  # config only: v5's network
WEIGHTS_V9_DIR = Path(__file__).parent / "weights_v9"  # config only: v5's network
WEIGHTS_V10_DIR = Path(__file__).parent / "weights_v10"  # config only: v5's network
WEIGHTS_V11_DIR = Path(__file__).parent / "weights_v11"  # config only: v5's network
WEIGHTS_V12_DIR = Path(__file__).parent / "weights_v12"  # config only: v5's network
NONE = "none"
LOW_CONFIDENCE = "low confidence"  # how an abstention for a low top probability begins
WHOLE_VIEW = 224


@dataclass(frozen=True)
class NativeRule:
    """symcat_symmetry.v4: where the network sees native-resolution views, not lattice views.

    Cells under ``below_px`` (the found lattice's longer period) are read from
    ``native_views(factors)``; a scan without a lattice (other than stripes: one period
    direction is a finding, not a miss) from ``native_views(no_lattice_factors)``,
    answered only at a calibrated ``no_lattice_min_p`` or more (so that non-periodic scans
    still abstain). Measured in training/symmetry/small_cells.py.
    """

    below_px: float = 12.0
    factors: tuple[int, ...] = (2, 3, 4)
    no_lattice_factors: tuple[int, ...] = (3, 4)
    no_lattice_min_p: float = 0.7
    temperature: float | None = None  # for native views; None: the model's temperature
    # symcat_symmetry.v8: a one-direction finding (stripes, over 3:1) is also read from the
    # no-lattice native views at no_lattice_min_p, instead of refused outright: small
    # cells that alias often look like stripes to the autocorrelation
    one_direction_native: bool = False

    @classmethod
    def from_config(cls, cfg: dict) -> NativeRule:
        t = cfg.get("temperature")
        return cls(float(cfg["below_px"]), tuple(int(k) for k in cfg["factors"]),
                   tuple(int(k) for k in cfg["no_lattice_factors"]),
                   float(cfg["no_lattice_min_p"]), None if t is None else float(t),
                   bool(cfg.get("one_direction_native", False)))


@dataclass(frozen=True)
class MotifRule:
    """symcat_symmetry.v9: small cells are read from their averaged cell (`motif`).

    Where the averaged cell's longer edge is under ``below_px`` and it explains at least
    ``min_r2`` of the scan's variance, the network reads views of it (``targets``: cell
    edges in px) instead of the scan's own pixels, which alias at such cells. Anything
    else goes the v8 way. Measured in benchmarks/RESULTS.md (Symmetry model).
    """

    below_px: float = 12.0
    min_r2: float = 0.85
    screen_min_r2: float = 0.2
    targets: tuple[float, ...] = (30.0, 45.0)
    search: motif.Search = motif.V9_SEARCH  # which supercell is the scan's own cell
    # symcat_symmetry.v11: a small cell that explains too little of the scan is averaged
    # again with the scan lines' drift undone (`drift`); None: not tried
    drift: Drift | None = None
    # symcat_symmetry.v20: the small cell gives way to the autocorrelation's lattice, of
    # cells at least 1.5 times as large, where that lattice's averaged cell explains the
    # scan within this of the small cell (`yields_to`); None: never (v9-v19)
    lattice_tie: float | None = None
    # symcat_symmetry.v22: ... or where that lattice's averaged cell explains the scan
    # within ``fourier_tie`` of the small cell, and explains ``fourier_gain`` more of it
    # (at least ``fourier_min``) in the frequencies the pixels resolve
    # (`motif.fourier_r2`): the small cell then bins the pixels as well only through
    # content above the Nyquist limit; None: never (v9-v21)
    fourier_gain: float | None = None
    fourier_min: float = 0.9
    fourier_tie: float = 0.01
    # symcat_symmetry.v23: a small cell whose lattice resolves less than ``alias_max`` of
    # the scan in band explains it only through content above the Nyquist limit (an
    # alias); it gives way to the autocorrelation's lattice or to the lattice of the
    # spectrum's peaks (`motif.peak_lattice`), whichever resolves more, where that
    # resolves ``alias_min`` or more, ``fourier_gain`` more than the small cell, and
    # explains the scan within ``alias_tie`` of it (`unaliased`); None: never (v9-v22)
    alias_max: float | None = None
    alias_min: float = 0.6
    alias_tie: float = 0.05
    # symcat_symmetry.v24: a small cell that stands gives way to the lattice of the
    # spectrum's peaks where that is a supercell of it resolving ``extinction_gain`` more
    # of the scan in band, within ``alias_tie`` of its R^2 (`supercell`); None: never
    extinction_gain: float | None = None
    # symcat_symmetry.v43: ... and is not held to ``alias_tie`` where the two lattices
    # bin the pixels alike (`motif.pixel_equivalent`); False: always held (v24-v42)
    equivalent_supercell: bool = False

    @classmethod
    def from_config(cls, cfg: dict) -> MotifRule:
        tie = cfg.get("lattice_tie")
        return cls(float(cfg["below_px"]), float(cfg["min_r2"]), float(cfg["screen_min_r2"]),
                   tuple(float(t) for t in cfg["targets"]),
                   motif.Search.from_config(cfg.get("search", {})),
                   Drift.from_config(cfg["drift"]) if "drift" in cfg else None,
                   None if tie is None else float(tie),
                   None if cfg.get("fourier_gain") is None else float(cfg["fourier_gain"]),
                   float(cfg.get("fourier_min", 0.9)), float(cfg.get("fourier_tie", 0.01)),
                   None if cfg.get("alias_max") is None else float(cfg["alias_max"]),
                   float(cfg.get("alias_min", 0.6)), float(cfg.get("alias_tie", 0.05)),
                   None if cfg.get("extinction_gain") is None
                   else float(cfg["extinction_gain"]),
                   bool(cfg.get("equivalent_supercell", False)))

    def gives_way(self, grey: np.ndarray, lat: Lattice, cell: motif.Cell,
                  ) -> tuple[motif.Cell, Lattice] | None:
        """The cell and lattice the small ``cell`` gives way to (`yields_to`), unless
        that, or ``cell`` where it gives way to nothing, is an alias (`unaliased`); None
        where it stands."""
        spectrum = _Spectrum(grey)  # the rules ask for the same prepared square and peaks
        own = self.yields_to(grey, lat, cell, spectrum)
        if self.alias_max is None:
            return None if own is None else (own, lat)
        unaliased = self.unaliased(grey, lat, cell if own is None else own, spectrum)
        if unaliased is not None:
            return unaliased
        if own is not None:
            return own, lat
        return self.supercell(grey, cell, spectrum)

    def supercell(self, grey: np.ndarray, cell: motif.Cell,
                  spectrum: _Spectrum | None = None,
                  ) -> tuple[motif.Cell, Lattice] | None:
        """The cell and lattice of the spectrum's peaks (`motif.peak_lattice`) where that
        lattice is a supercell of the small ``cell``'s that resolves ``extinction_gain``
        more of the scan in band and explains it within ``alias_tie``; None otherwise.

        Glides cancel a cell's lowest peaks, and on a noisy scan the supercell's coarser
        bins cost it the binned R^2 that its extra frequencies gain (`Search.
        supercell_gain` is never reached): a distorted held-out pgg of 9.4 px cells was
        averaged on a subcell of index 4 (R^2 0.648, in band 0.689) and read cmm; the
        peaks' lattice, that subcell's supercell, resolves 0.78 at R^2 0.634 and reads pgg.
        A true cell's supercells resolve nothing more: their extra frequencies hold only
        noise. Measured in benchmarks/RESULTS.md ("symcat_symmetry.v24").

        With ``equivalent_supercell`` (v43) a supercell holding the small cell's
        frequencies modulo the pixels (`motif.pixel_equivalent`) need not tie on R^2: the
        two bin the same patterns, the supercell in bins four to seven times as coarse. A
        styled p31m of 6 px hexagonal cells, one edge along x, averaged on its index-4
        alias (R^2 0.955, in band 0.12) and read p1; its own lattice bins it at 0.893 and
        resolves 0.57, and reads p31m. Measured in benchmarks/RESULTS.md
        ("symcat_symmetry.v43")."""
        mine = cell.resolved
        if self.extinction_gain is None or math.isnan(mine):
            return None
        spectrum = spectrum or _Spectrum(grey)
        img, peaks = spectrum.img, spectrum.peaks
        if img is None or peaks is None or not motif.is_supercell(peaks, cell.reciprocal):
            return None
        # on the small cell's scan lines: with their drift undone where it had them
        theirs = motif.averaged(img, peaks, cell.line_shift, search=self.search)
        if not theirs.found:
            return None
        if theirs.r2 < cell.r2 - self.alias_tie and not (
                self.equivalent_supercell and
                motif.pixel_equivalent(peaks, cell.reciprocal, max(img.shape))):
            return None
        if motif.in_band(img, theirs) < mine + self.extinction_gain:
            return None
        return theirs, Lattice(True, "", *theirs.vectors, score=theirs.r2)

    def unaliased(self, grey: np.ndarray, lat: Lattice, cell: motif.Cell,
                  spectrum: _Spectrum | None = None,
                  ) -> tuple[motif.Cell, Lattice] | None:
        """Where the small ``cell`` is an alias (it resolves less than ``alias_max`` of
        the scan in band), the cell and lattice of the autocorrelation's lattice ``lat``
        or of the spectrum's peaks (`motif.peak_lattice`) that resolves the most, of
        those that resolve ``alias_min`` or more and ``fourier_gain`` more than ``cell``
        and explain the scan within ``alias_tie`` of it; None otherwise.

        A tiled 8 x 6 px pmm whose autocorrelation reads stripes is binned exactly (R^2
        1.000) by a 2.8 px cell whose frequencies hold 0.01 of the scan in band; every
        peak of its spectrum lies on the 8 x 6 px lattice (R^2 1.000, in band 1.000).
        Measured in benchmarks/RESULTS.md ("symcat_symmetry.v23")."""
        mine = cell.resolved
        if self.alias_max is None or math.isnan(mine) or mine >= self.alias_max:
            return None
        spectrum = spectrum or _Spectrum(grey)
        img, peaks = spectrum.img, spectrum.peaks
        if img is None:
            return None
        candidates: list[tuple[motif.Cell, Lattice]] = []
        if lat.found:
            candidates.append((motif.average_on(grey, lat.a1, lat.a2, self.search), lat))
        if peaks is not None:
            found = motif.averaged(img, peaks, search=self.search)
            candidates.append((found, Lattice(True, "", *found.vectors, score=found.r2)))
        best: tuple[float, motif.Cell, Lattice] | None = None
        bar = max(self.alias_min, mine + (self.fourier_gain or 0.0))
        for theirs, lattice in candidates:
            if not theirs.found or theirs.r2 < cell.r2 - self.alias_tie:
                continue
            share = motif.in_band(img, theirs)
            if share >= bar and (best is None or share > best[0]):
                best = (share, theirs, lattice)
        return None if best is None else (best[1], best[2])

    def yields_to(self, grey: np.ndarray, lat: Lattice, cell: motif.Cell,
                  spectrum: _Spectrum | None = None) -> motif.Cell | None:
        """The averaged cell of the autocorrelation's lattice ``lat`` where the small
        ``cell`` gives way to it; None where it does not.

        A scan tiled from a cell of a whole number of pixels (as many generators make
        them, and any pixel-exact repeat) holds only that many pixel values, and lattices
        smaller than its cell, taken from its spectrum's peaks, can bin each value into a
        bin of its own: the averaged cell then explains the scan exactly as well as the
        true cell does (R^2 equal to many decimals, noise or not), and the smaller wins,
        its motif scrambled. A true small cell's supercell explains less than it (coarser
        bins of the same motif). So where the autocorrelation's lattice has cells at
        least 1.5 times as large and its averaged cell (supercells tried as the check
        tries them) explains within ``lattice_tie`` of the small cell, it is the scan's
        lattice. Measured in benchmarks/RESULTS.md (symcat_symmetry.v20).

        Binned R^2 is biased towards such small cells wherever a bin holds few distinct
        positions (also a lattice nearly commensurate with the pixels, as an 8.05 px p4
        at 7.1 degrees: 8 a1 + a2 is 64.94 px along x). With ``fourier_gain`` (v22) the
        small cell also gives way where the lattice is within ``fourier_tie`` on R^2 and
        explains ``fourier_gain`` more in the frequencies the pixels resolve: that p4's
        2.85 px subcell bins it at 0.997 (its lattice 0.993) but resolves 0.41 of it (its
        lattice 1.00). Measured in benchmarks/RESULTS.md (symcat_symmetry.v22)."""
        if self.lattice_tie is None or not lat.found:
            return None
        if _area(lat.a1, lat.a2) < 1.5 * _area(*cell.vectors):
            return None  # the same lattice, or a smaller one: nothing to give way to
        own = motif.average_on(grey, lat.a1, lat.a2, self.search)
        if not own.found:
            return None
        if own.r2 >= cell.r2 - self.lattice_tie:
            return own
        if self.fourier_gain is None or own.r2 < cell.r2 - self.fourier_tie:
            return None
        shares = [c.resolved for c in (own, cell)]
        if any(math.isnan(x) for x in shares):  # a cell not made exact: no share yet
            img = (spectrum or _Spectrum(grey)).img
            if img is None:
                return None
            shares = [motif.in_band(img, c) for c in (own, cell)]
        theirs, mine = shares
        return own if theirs >= max(self.fourier_min, mine + self.fourier_gain) else None

    def estimate(self, grey: np.ndarray) -> motif.Cell:
        """The scan's averaged cell as this rule searches for it (before any drift)."""
        return motif.estimate(grey, self.screen_min_r2, self.search)

    def views(self, grey: np.ndarray, cell: motif.Cell | None = None,
              ) -> tuple[Lattice, list[np.ndarray], motif.Cell] | None:
        """The averaged cell's lattice, views and cell; None where the rule does not apply
        (no small cell, or one that explains too little of the scan, drift undone or not).
        ``cell``: `estimate`'s, where the caller has it already."""
        if cell is None:
            cell = self.estimate(grey)
        if not cell.found or cell.period >= self.below_px:
            return None
        bar = self.min_r2
        if cell.r2 < self.min_r2 and self.drift is not None:
            cell = drift.estimate(grey, self.screen_min_r2, self.search, self.drift)
            bar = self.drift.min_r2 if self.drift.min_r2 is not None else self.min_r2
        if not cell.found or cell.period >= self.below_px or cell.r2 < bar:
            return None
        return (Lattice(True, "", *cell.vectors, score=cell.r2), motif.views(cell, self.targets),
                cell)


class _Spectrum:
    """A scan's `motif.prepared` square and the lattice of its spectrum's peaks
    (`motif.peak_lattice`), each computed when first asked, once."""

    def __init__(self, grey: np.ndarray) -> None:
        self.grey = grey

    @functools.cached_property
    def img(self) -> np.ndarray | None:
        return motif.prepared(self.grey)[0]

    @functools.cached_property
    def peaks(self) -> np.ndarray | None:
        return None if self.img is None else motif.peak_lattice(self.img)


def _area(a1: tuple[float, float], a2: tuple[float, float]) -> float:
    """The area of the cell of ``a1``, ``a2`` in square pixels."""
    return abs(a1[0] * a2[1] - a1[1] * a2[0])


@dataclass(frozen=True)
class SpectrumRule:
    """symcat_symmetry.v19: the spectrum's averaged cell stands in for a lattice the
    autocorrelation missed.

    A plane-wave pattern dominated by one wave has an autocorrelation of ridges, which the
    lattice search reads as stripes, though its averaged cell (`MotifRule.estimate`)
    explains 0.77-0.99 of the scan (held-out seeds 37 and 41). Where the lattice search
    found none (one direction, or weak points; never "too few cells") and that cell
    is ``below_px`` or more (smaller ones are `MotifRule`'s), explains ``min_r2``, is at
    most ``max_aspect`` long for its width, spans 1 / MIN_CELLS_FRACTION cells or more
    along the scan's shorter side and explains ``min_gain`` more than the best single
    wave (`motif.one_wave_r2`: stripes are one wave; those that wobble periodically, a
    long cell), its lattice is the scan's. Measured in benchmarks/RESULTS.md
    ("symcat_symmetry.v19").
    """

    below_px: float = 12.0
    min_r2: float = 0.75
    min_gain: float = 0.1
    max_aspect: float = 2.5

    @classmethod
    def from_config(cls, cfg: dict) -> SpectrumRule:
        return cls(float(cfg["below_px"]), float(cfg["min_r2"]), float(cfg["min_gain"]),
                   float(cfg["max_aspect"]))

    def lattice(self, grey: np.ndarray, missed: Lattice, cell: motif.Cell | None,
                ) -> Lattice | None:
        """``cell``'s lattice where it stands in for ``missed``; None where it does not."""
        if missed.found or not (missed.one_direction or missed.reason.startswith(NO_LATTICE)):
            return None
        if cell is None or not cell.found or cell.period < self.below_px or \
                cell.r2 < self.min_r2:
            return None
        a1, a2 = (np.array(v) for v in cell.vectors)
        short, long_ = sorted(float(np.hypot(*v)) for v in reduced(a1, a2))
        if long_ > self.max_aspect * short or long_ > MIN_CELLS_FRACTION * min(grey.shape):
            return None
        if cell.r2 < motif.one_wave_r2(grey, cell.reciprocal) + self.min_gain:
            return None
        return Lattice(True, "", *cell.vectors, score=cell.r2)


@dataclass(frozen=True)
class GroupPredictions:
    """Per-image top-k groups, their MC-mean probabilities and uncertainty scores.

    The network's answer for a batch; what the catalog stores per scan is
    `symcat.store.models.SymmetryPrediction` (written by `symcat.embed.symmetry_store`).

    ``entropy`` is the predictive entropy of the mean distribution (0 to ln 17);
    ``mutual_info`` is its epistemic part (entropy minus mean per-sample entropy);
    ``top1_std`` is the spread of the top-1 probability across dropout samples.
    """

    groups: list[list[str]]
    probs: np.ndarray  # (N, k)
    mean_probs: np.ndarray  # (N, 17)
    entropy: np.ndarray  # (N,)
    mutual_info: np.ndarray  # (N,)
    top1_std: np.ndarray  # (N,)


class SymmetryExtractor:
    """Loads the shipped weights (offline, CPU by default) and embeds image batches."""

    def __init__(self, weights_dir: Path | str = WEIGHTS_DIR, device: str = "cpu",
                 mc_samples: int = 32, batch_size: int = 32, verify: bool = True) -> None:
        self.weights_dir = Path(weights_dir)
        self.device = device
        self.mc_samples = mc_samples
        self.batch_size = batch_size
        self.verify = verify
        self.config = json.loads((self.weights_dir / "config.json").read_text())
        # a version that changes only the inference recipe (v3) reuses an older one's files
        self.files_dir = (self.weights_dir / self.config.get("weights_from", ".")).resolve()
        # a fine-tuned version (v5) ships only the tensors it changed, over those files; a
        # later recipe on that network (v8) names v5's delta through the delta's "from"
        self.delta: dict | None = self.config.get("delta")
        self.delta_dir = (self.weights_dir / self.delta.get("from", ".")).resolve() \
            if self.delta is not None else None
        self.name: str = self.config["name"]
        self.groups: tuple[str, ...] = tuple(self.config["groups"])
        self.temperature = float(self.config.get("temperature", 1.0))
        self.abstain_below = float(self.config.get("abstain_below", 0.0))
        lattice_cfg = self.config.get("lattice", {})
        self.max_aspect: float | None = lattice_cfg.get("max_aspect")
        # v30: ``max_aspect`` also refuses the lattice of an averaged cell (stripes)
        self.aspect_everywhere = bool(lattice_cfg.get("max_aspect_everywhere", False))
        self.fine = FineSearch(**lattice_cfg["fine"]) if "fine" in lattice_cfg else None
        self.native = NativeRule.from_config(self.config["native"]) \
            if "native" in self.config else None
        self.motif = MotifRule.from_config(self.config["motif"]) \
            if "motif" in self.config else None
        self.cell_check = CellCheck.from_config(self.config["cell_check"]) \
            if "cell_check" in self.config else None
        self.spectrum = SpectrumRule.from_config(self.config["spectrum_lattice"]) \
            if "spectrum_lattice" in self.config else None
        # v32: square and hexagonal groups need a cell with two equal edges, and scans of
        # non-square pixels are resampled to square ones before anything is read
        self.equal_edges = EqualEdges.from_config(self.config["equal_edges"]) \
            if "equal_edges" in self.config else None
        self.square_pixels = bool(self.config.get("square_pixels", False))
        # v33: flat margins around the pattern are trimmed before anything is read
        self.margins = MarginTrim.from_config(self.config["trim_margins"]) \
            if "trim_margins" in self.config else None
        # v34: a tilt or bow far larger than the pattern is levelled after the trim
        self.background = Background.from_config(self.config["level_background"]) \
            if "level_background" in self.config else None
        # v35: rows offset from each other (scan lines out of step) are levelled last
        self.lines = LineOffsets.from_config(self.config["level_lines"]) \
            if "level_lines" in self.config else None
        # v36: white noise of a few percent of the range or more is suppressed after that
        self.noise = WhiteNoise.from_config(self.config["suppress_noise"]) \
            if "suppress_noise" in self.config else None
        # v37: a picture enlarged by repeating pixels is also read at its own pixels ...
        self.blocks = PixelBlocks.from_config(self.config["reduce_blocks"]) \
            if "reduce_blocks" in self.config else None
        # ... and read as it is too, the surer answer kept
        self.blocks_as_is = bool(self.config.get("reduce_blocks", {}).get("also_as_is", False))
        # v38: a lattice near a more symmetric one is also read with the scan resampled
        # onto it (rows kept as rows: drift, shear, a fast-axis gain), the surer kept
        self.rectify = Rectify.from_config(self.config["rectify"]) \
            if "rectify" in self.config else None
        self.model = SymmetryNet(self.config["arch"], self.config["input_mode"],
                                 self.config["dropout"], num_classes=len(self.groups),
                                 resize=bool(self.config.get("resize", True)))
        # every part is checked against its sha256 in config.json as it is read
        state = load_split(self.files_dir, "model", self.config["files"] if verify else None)
        if self.delta_dir is not None:
            state = overlay(state, load_split(self.delta_dir, self.delta["name"],
                                              self.delta["files"] if verify else None))
        state = {k: v.float() for k, v in state.items()}
        self.model.load_state_dict(state)
        self.model.eval().to(device)

    @property
    def has_none_class(self) -> bool:
        """v2 and later: an 18th output that says "no lattice"."""
        return self.groups[-1] == NONE

    @property
    def dim(self) -> int:
        return self.model.feature_dim

    def _as_tensor(self, images) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(images) if not torch.is_tensor(images) else images)
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(x.shape)}")
        return x.float()

    @torch.no_grad()
    def features(self, images) -> np.ndarray:
        """``(N, 512)`` float32 penultimate features (global-average-pooled ResNet)."""
        x = self._as_tensor(images)
        out = [self.model.forward_features(x[i : i + self.batch_size].to(self.device)).cpu()
               for i in range(0, len(x), self.batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.dim), np.float32)

    @torch.no_grad()
    def predict_from_features(self, feats: np.ndarray, k: int = 3,
                              mc_samples: int | None = None, seed: int = 0) -> GroupPredictions:
        """Top-k groups from stored features, with MC-dropout uncertainty."""
        t = mc_samples or self.mc_samples
        f = torch.as_tensor(feats, dtype=torch.float32, device=self.device)
        torch.manual_seed(seed)
        self.model.dropout.train()
        try:
            probs = torch.stack([self.model.forward_head(f).softmax(-1) for _ in range(t)])
        finally:
            self.model.dropout.eval()
        mean = probs.mean(0)
        ent = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
        per = -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean(0)
        top_p, top_i = mean.topk(k, dim=-1)
        top1 = probs.gather(-1, top_i[None, :, :1].expand(t, -1, 1))[..., 0]
        return GroupPredictions(
            groups=[[self.groups[j] for j in row] for row in top_i.tolist()],
            probs=top_p.cpu().numpy(),
            mean_probs=mean.cpu().numpy(),
            entropy=ent.cpu().numpy(),
            mutual_info=(ent - per).clamp_min(0).cpu().numpy(),
            top1_std=top1.std(0).cpu().numpy(),
        )

    def predict(self, images, k: int = 3, mc_samples: int | None = None) -> GroupPredictions:
        """Top-k plane groups of each image with probabilities and uncertainty."""
        return self.predict_from_features(self.features(images), k, mc_samples)


    @torch.no_grad()
    def _run_views(self, views_: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Features and logits of many square views, batched by size."""
        feats = np.zeros((len(views_), self.dim), np.float32)
        logits = np.zeros((len(views_), len(self.groups)), np.float32)
        by_size: dict[int, list[int]] = {}
        for i, v in enumerate(views_):
            by_size.setdefault(v.shape[0], []).append(i)
        for idx in by_size.values():
            for k in range(0, len(idx), self.batch_size):
                part = idx[k : k + self.batch_size]
                x = torch.from_numpy(np.stack([views_[i] for i in part]).astype(np.float32))
                weight = next(self.model.parameters())  # the module may have been moved/cast
                f = self.model.forward_features(
                    x[:, None].to(weight.device, weight.dtype)).float()
                feats[part] = f.cpu().numpy()
                logits[part] = self.model.head(f.to(weight.dtype)).float().cpu().numpy()
        return feats, logits

    def analyse(self, images: Sequence[Any], use_lattice: bool | None = None,
                workers: int = 0, pixel_aspects: Sequence[float | None] | None = None,
                ) -> list[SymmetryResult]:
        """Whole images as a user passes them (2-D, any size; 1 or 3 channels) -> results.

        With ``use_lattice`` (default: for v2 and later) the lattice is estimated and the
        network sees views whose cells are in its trained range; without a lattice it
        sees the whole (square-cropped) image, and v2 answers "none". Never raises on
        bad pixel values: such an image gets symmetry "none" with the reason.
        ``workers`` > 0 estimates lattices in that many processes. ``pixel_aspects``: each
        image's pixel height over its width (`symcat.ingest.pictures.pixel_aspect`; None or
        left out: square). v32 reads such an image resampled to square pixels
        (`lattice.square_pixels`) and compares cell edges in physical units; the lattice
        it reports is in the image's pixel widths, as every lattice is. v33 first trims
        flat margins around the pattern (`margins.MarginTrim`; a crop keeps the pixel
        widths). v34 then levels a tilt or bow far larger than the pattern
        (`background.Background`). v37 also reads a picture enlarged by repeating pixels
        at its own pixels (`pixel_blocks.PixelBlocks`) and keeps the surer reading; its
        lattice is reported in the picture's pixel widths. v38 reads a scan whose lattice
        lies near a more symmetric one again, resampled onto it with its rows kept as rows
        (`rectify.Rectify`), and keeps the surer reading; its lattice is reported in the
        scan's own pixels. v39 takes that second reading where the first abstained only
        where it is sure (p 0.9 or more).
        """
        if use_lattice is None:
            use_lattice = self.has_none_class
        aspects = list(pixel_aspects) if pixel_aspects is not None else [None] * len(images)
        if len(aspects) != len(images):
            raise ValueError(f"{len(aspects)} pixel aspects for {len(images)} images")
        # the width of a pixel of the image read, in the scan's pixel widths: a lattice
        # found on a resampled scan is reported in the scan's own pixel widths
        units = [1.0] * len(images)
        as_is: list[int] = []  # enlarged pictures read as they are too (v37)
        if self.blocks is not None:
            unblocked = [_unblocked(img, self.blocks) for img in images]
            if self.blocks_as_is:
                as_is = [i for i, (_, k) in enumerate(unblocked) if k > 1]
            images = [img for img, _ in unblocked] + [images[i] for i in as_is]
            units = [float(k) for _, k in unblocked] + [1.0] * len(as_is)
            aspects += [aspects[i] for i in as_is]
        if any(step is not None
               for step in (self.margins, self.background, self.lines, self.noise)):
            images = [_cleared(img, self.margins, self.background, self.lines, self.noise)
                      for img in images]
        if self.square_pixels:
            squared = [square_pixels(img, a) for img, a in zip(images, aspects, strict=True)]
            units = [unit * np.shape(img)[-1] / np.shape(sq)[-1] if np.ndim(img) == 2
                     else unit for img, (sq, _), unit in zip(images, squared, units,
                                                             strict=True)]
            images, aspects = [img for img, _ in squared], [a for _, a in squared]
        read = self._read(images, aspects, use_lattice, workers)
        if self.rectify is not None:
            read = self._rectified(images, aspects, read, use_lattice, workers)
        out = [replace(r, lattice=scaled(r.lattice, unit)) if unit != 1.0 else r
               for r, unit in zip(read, units, strict=True)]
        if as_is:
            n = len(out) - len(as_is)
            for j, i in enumerate(as_is):
                out[i] = _surer(out[i], out[n + j])
            del out[n:]
        return out

    def _read(self, images: list[Any], aspects: list[float | None], use_lattice: bool,
              workers: int) -> list[SymmetryResult]:
        """Each (cleared) image's result; its lattice in the image's own pixels."""
        jobs = [(img, use_lattice, self.max_aspect, self.fine, self.native, self.motif,
                 self.cell_check, self.spectrum, self.aspect_everywhere) for img in images]
        if workers > 0 and len(jobs) > 1:
            import multiprocessing as mp

            # chunks of 4 keep the pool's overhead small on long lists; a short one is
            # dealt out one image at a time, or one worker would get it all
            chunk = max(1, min(4, len(jobs) // (4 * workers)))
            with mp.get_context("fork").Pool(workers) as pool:
                prepared = pool.starmap(_prepare, jobs, chunksize=chunk)
        else:
            prepared = [_prepare(*job) for job in jobs]
        flat = [v for _, vs, _, _, _ in prepared for v in vs]
        feats, logits = self._run_views(flat)
        out, k = [], 0
        for (lat, vs, refused, seen, found), aspect in zip(prepared, aspects, strict=True):
            if refused:
                out.append(_refused(refused, self.dim, lat))
                continue
            out.append(self._decide(lat, feats[k : k + len(vs)], logits[k : k + len(vs)],
                                    use_lattice, seen, found, aspect))
            k += len(vs)
        return out

    def _rectified(self, images: list[Any], aspects: list[float | None],
                   read: list[SymmetryResult], use_lattice: bool, workers: int,
                   ) -> list[SymmetryResult]:
        """``read`` with each image whose lattice lies near a more symmetric one read
        again, resampled onto it (`rectify.Rectify`), and the surer reading kept (v38; v39:
        an abstention answered only by a sure second reading, `Rectify.answer_min_p`)."""
        assert self.rectify is not None
        todo: list[tuple[int, np.ndarray, str]] = []
        warped: list[np.ndarray] = []
        for i, (img, res) in enumerate(zip(images, read, strict=True)):
            found = self.rectify.map_for(res.lattice) if res.seen else None
            if found is None:
                continue
            try:
                grey = as_grey(img)
            except (ValueError, TypeError):
                continue
            picture = self.rectify.warp(grey, found[0])
            if picture is not None:
                todo.append((i, found[0], found[1]))
                warped.append(picture)
        if not todo:
            return read
        again = self._read(warped, [aspects[i] for i, _, _ in todo], use_lattice, workers)
        out = list(read)
        for (i, matrix, kind), res in zip(todo, again, strict=True):
            res = replace(res, lattice=Rectify.back(res.lattice, matrix),
                          seen=f"{res.seen}, rectified ({kind})" if res.seen else res.seen)
            out[i] = _surer(read[i], res, self.rectify.answer_min_p)
        return out

    def _decide(self, lat: Lattice, feats: np.ndarray, logits: np.ndarray,
                use_lattice: bool, seen: str = "lattice",
                found: CellSymmetry | None = None, aspect: float | None = None,
                ) -> SymmetryResult:
        t = self.temperature
        if seen.startswith("native") and self.native is not None and \
                self.native.temperature is not None:
            t = self.native.temperature
        z = logits.mean(0) / t
        probs = np.exp(z - z.max())
        probs /= probs.sum()
        answer = self._answer(lat, probs, use_lattice, seen)
        if self.equal_edges is not None and not answer[-1]:
            # like the cell check below: moves an answer, never makes one where the
            # network abstained
            probs = self.equal_edges.adjust(probs, lat, aspect)
            answer = self._answer(lat, probs, use_lattice, seen)
        check = self.cell_check
        network = answer  # the network's own answer, before the cell moves it
        # a scan that repeats exactly on a trusted cell of whole pixels has a lattice:
        # the groups that cell leaves are read without "none", whatever the network saw
        exact = self._read_exactly(lat, probs, found, use_lattice, seen)
        if exact is not None:
            answer = exact
        elif check is not None and not answer[-1]:
            # the cell may move an answer to a group it allows, never make one where the
            # network abstained (renormalising would lift a spread-out abstention over
            # the bar: stripes read as p2) ...
            answer = self._answer(lat, check.adjust(probs, found), use_lattice, seen)
        elif check is not None and check.rescue is not None and \
                answer[-1].startswith(LOW_CONFIDENCE) and check.trusts(found) and \
                lat.found and min(lat.periods) >= check.rescue_min_px:
            # ... unless the model rescues: the group left must have had the network's
            # ``rescue`` before renormalising
            rescued = self._answer(lat, check.adjust(probs, found), use_lattice, seen)
            if not rescued[-1] and probs[GROUPS.index(rescued[0])] >= check.rescue:
                answer = rescued
        if check is not None and check.hexagonal_turn is not None and lat.found and \
                not network[-1] and \
                check.keeps_turn(motif.hexagonal_vectors(lat.a1, lat.a2), network[0],
                                 network[1], answer[0]):
            # a 3-fold turn the pixels cannot measure well: a sure network on a
            # hexagonal lattice stands over a cell that measures none
            answer = network
        top, p, top3, p_none, reason = answer
        return SymmetryResult(NONE if reason else top, p, top, top3, p_none, reason, lat,
                              feats.mean(0).astype(np.float32), z, seen, found)

    def _read_exactly(self, lat: Lattice, probs: np.ndarray, found: CellSymmetry | None,
                      use_lattice: bool, seen: str,
                      ) -> tuple[str, float, list[tuple[str, float]], float, str] | None:
        """`_answer` of the groups a trusted cell of whole pixels leaves, without "none",
        where the scan repeats on it exactly (`CellCheck.repeats_exactly`): it has a
        lattice, whatever the network saw; None elsewhere."""
        check = self.cell_check
        if check is None or not lat.found or not check.repeats_exactly(found):
            return None
        kept = check.adjust(probs, found)[: len(GROUPS)]
        if kept.sum() <= 0:
            return None
        kept = kept / kept.sum()
        return self._answer(lat, np.append(kept, 0.0) if self.has_none_class else kept,
                            use_lattice, seen)

    def _answer(self, lat: Lattice, probs: np.ndarray, use_lattice: bool, seen: str,
                ) -> tuple[str, float, list[tuple[str, float]], float, str]:
        """(top group, its p, top 3, p_none, why it abstains or "") of ``probs``."""
        n = len(GROUPS)
        order = np.argsort(-probs[:n])
        top = GROUPS[int(order[0])]
        p = float(probs[order[0]])
        top3 = [(GROUPS[int(i)], float(probs[i])) for i in order[:3]]
        p_none = float(probs[n]) if self.has_none_class else 0.0
        reason = ""
        if seen == "native, no lattice" and self.native is not None and \
                p < self.native.no_lattice_min_p:
            reason = (f"{lat.reason}; native views not confident enough (p {p:.2f} < "
                      f"{self.native.no_lattice_min_p:g})")
        elif use_lattice and not lat.found and seen != "native, no lattice":
            reason = lat.reason
        elif self.has_none_class and p_none > p:
            reason = f"the network sees no lattice (p_none {p_none:.2f})"
        elif p < self.abstain_below:
            reason = f"{LOW_CONFIDENCE} (p {p:.2f} < {self.abstain_below:g})"
        return top, p, top3, p_none, reason


def _surer(first: SymmetryResult, second: SymmetryResult, answer_min_p: float = 0.0,
           ) -> SymmetryResult:
    """Of two readings of one picture (an enlarged picture at its own pixels, then as it
    is; a scan as it is, then rectified), the one that answers a group with the larger
    probability (the first where they tie or both abstain); where the first abstains, the
    second only at ``answer_min_p`` or more."""
    if first.abstained:
        return second if not second.abstained and second.p >= answer_min_p else first
    return second if not second.abstained and second.p > first.p else first


def _unblocked(image: Any, blocks: PixelBlocks) -> tuple[Any, int]:
    """``image`` as grey with its blocks of repeated pixels averaged, and the factor
    (`pixel_blocks.PixelBlocks`); as it is and 1 where it shows none or is no image."""
    try:
        grey = as_grey(image)
    except (ValueError, TypeError):
        return image, 1
    reduced, k = blocks.reduce(grey)
    return (reduced, k) if k > 1 else (image, 1)


def _cleared(image: Any, margins: MarginTrim | None, background: Background | None,
             lines: LineOffsets | None = None, noise: WhiteNoise | None = None) -> Any:
    """``image`` as grey without its flat margins (`margins.MarginTrim`), then without a
    background far larger than the pattern (`background.Background`), then without its
    rows' offsets (`scan_lines.LineOffsets`), then without most of its white noise
    (`white_noise.WhiteNoise`); as it is where it has none of them or is no image (its
    reason is given where it is read)."""
    try:
        grey = as_grey(image)
    except (ValueError, TypeError):
        return image
    cut = margins.trim(grey) if margins is not None else grey
    level = background.level(cut) if background is not None else cut
    level = lines.level(level) if lines is not None else level
    level = noise.suppress(level) if noise is not None else level
    return image if level is grey else level


def _prepare(image: Any, use_lattice: bool, max_aspect: float | None = None,
             fine: FineSearch | None = None, native: NativeRule | None = None,
             cell_rule: MotifRule | None = None, check: CellCheck | None = None,
             spectrum: SpectrumRule | None = None, aspect_everywhere: bool = False,
             ) -> tuple[Lattice, list[np.ndarray], str, str, CellSymmetry | None]:
    """Lattice and network views of one image (and which views: ``SymmetryResult.seen``;
    what its averaged cell obeys, where ``check`` asks), or the reason it cannot have any.

    ``aspect_everywhere``: ``max_aspect`` also refuses the lattice the views came from
    where that is not the autocorrelation's (an averaged cell's): the network still reads
    the views (their features are kept), and the answer is `none` for that reason. The
    harmonics of a non-periodic stripe scan on the pixel grid average into pseudo-cells
    of 2-4 x 8-16 px that explain 0.9 of it, read pmm or pmg at 0.6-0.9."""
    lat, vs, refused, seen, cell, estimated = _views(image, use_lattice, max_aspect, fine,
                                                     native, cell_rule, spectrum)
    if aspect_everywhere and max_aspect is not None and not refused:
        lat = within_aspect(lat, max_aspect)
    found = None
    if check is not None and not refused and lat.found:
        if cell is None:
            search = cell_rule.search if check.supercells and cell_rule is not None else None
            cell = motif.average_on(image, lat.a1, lat.a2, search)
            if check.refit and estimated is not None and estimated.found and \
                    cell.r2 < check.min_r2 and estimated.r2 > cell.r2:
                cell = estimated  # the spectrum's cell explains the scan better
        if cell.found and cell.average is not None:
            found = cell_symmetry.measure(cell.average, cell.reciprocal, check.tol, cell.r2,
                                          cell.agreement, _footprint(check, cell.reciprocal))
            if check.pixel_slack is not None:
                found = _on_pixels(cell, check, found) or found
        kept = check.pixel_over_band and found is not None and found.pixels and \
            check.trusts(found)  # whole pixels, its bands agreeing: the scan does not drift
        if check.band_min_r2 is not None and (found is None or found.r2 < check.min_r2) and \
                not kept:
            band = motif.average_band(image, lat.a1, lat.a2,
                                      cell_rule.search if cell_rule else motif.V9_SEARCH)
            if band.found and band.average is not None and \
                    band.r2 >= (cell.r2 if cell.found else 0.0) + check.band_gain:
                found = replace(cell_symmetry.measure(band.average, band.reciprocal,
                                                      check.band_tol, band.r2, band.agreement,
                                                      _footprint(check, band.reciprocal)),
                                band=True)
    return lat, vs, refused, seen, found


def _footprint(check: CellCheck, reciprocal: np.ndarray) -> float:
    """The pixel footprint (px) the check measures a cell of ``reciprocal`` through: its
    ``footprint_px`` on hexagonal lattices (or on every lattice) whose shortest vector is
    ``footprint_min_px`` or more, else none."""
    if check.footprint_px <= 0 or (check.footprint_hexagonal and
                                   not motif.is_hexagonal(reciprocal)) or \
            cell_symmetry.shortest_vector(reciprocal) < check.footprint_min_px:
        return 0.0
    return check.footprint_px


def _on_pixels(cell: motif.Cell, check: CellCheck, found: CellSymmetry,
               ) -> CellSymmetry | None:
    """`pixel_cell.measure` of a cell whose vectors are whole pixels (within the check's
    ``pixel_slack`` and ``pixel_slack_share``) averaged from every pixel of the scan, none
    of its lines moved; None for any other cell, where the pixel values do not stand for
    it, or where the pixels obey none of the operations the averaged cell obeys nor one
    exactly (`pixel_cell.confirms`), unless they stand alone (`CellCheck.pixels_alone`)."""
    binner = cell.binner
    if check.min_support is None or cell.line_shift is not None or binner is None or \
            binner.values.size != binner.n_pixels:
        return None  # (without a bar the check moves no answer)
    whole = motif.whole_vectors(np.linalg.inv(cell.reciprocal), check.pixel_slack,
                                check.pixel_slack_share)
    if whole is None:
        return None
    pixels = np.rint(binner.xy - 0.5).astype(np.int64)
    measured = pixel_cell.measure(pixels, binner.values, whole.astype(np.int64),
                                  check.repeat_bar(True), cell.r2, found.agreement, check.tol,
                                  check.pixel_max_area)
    if measured is None:
        return None
    if pixel_cell.confirms(measured, found, check.min_support, check.pixel_exact):
        return measured
    alone = check.pixels_alone(measured, found, motif.is_hexagonal(cell.reciprocal))
    return measured if alone else None


def _views(image: Any, use_lattice: bool, max_aspect: float | None,
           fine: FineSearch | None, native: NativeRule | None, cell_rule: MotifRule | None,
           spectrum: SpectrumRule | None = None,
           ) -> tuple[Lattice, list[np.ndarray], str, str, motif.Cell | None, motif.Cell | None]:
    """`_prepare`'s lattice, views, refusal and ``seen``, the averaged cell where the
    views came from one, and the cell ``cell_rule`` estimated (whether or not the views
    came from it; None where it was not asked)."""
    try:
        grey = as_grey(image)
    except ValueError as exc:
        return Lattice(False, str(exc)), [], str(exc), "", None, None
    lat = estimate(grey, max_aspect, fine) if use_lattice else Lattice(False, "lattice not used")
    if not _usable(grey):
        reason = lat.reason or "image unusable (too small, constant or mostly NaN)"
        return lat, [], reason, "", None, None
    finite = np.isfinite(grey)
    grey = grey / float(np.abs(grey[finite]).max())  # no overflow for huge values
    lo, hi = float(grey[finite].min()), float(grey[finite].max())
    grey = np.where(finite, (grey - lo) / (hi - lo) if hi > lo else 0.0, np.nan)
    estimated = None
    if cell_rule is not None and use_lattice:
        estimated = cell_rule.estimate(grey)
        averaged = cell_rule.views(grey, estimated)
        if averaged is not None:
            gave = cell_rule.gives_way(grey, lat, averaged[2])
            if gave is None:
                return averaged[0], averaged[1], "", "averaged cell", averaged[2], estimated
            own, lattice = gave
            # the lattice's own cell, as the cell check would average it again (the same
            # search), read as the rule reads a small cell where it is one; the small cell
            # stands in for nothing (the check's refit)
            if own.period < cell_rule.below_px:
                return (Lattice(True, "", *own.vectors, score=own.r2),
                        motif.views(own, cell_rule.targets), "", "averaged cell", own, None)
            return lattice, views(grey, lattice), "", "lattice", own, None
        stand_in = spectrum.lattice(grey, lat, estimated) if spectrum is not None else None
        if stand_in is not None:
            return stand_in, views(grey, stand_in), "", "spectrum lattice", None, estimated
    if native is not None and use_lattice:
        if lat.found and max(lat.periods) < native.below_px:
            return (lat, native_views(grey, native.factors), "", "native, small cells", None,
                    estimated)
        if not lat.found and (not lat.one_direction or native.one_direction_native):
            return (lat, native_views(grey, native.no_lattice_factors), "", "native, no lattice",
                    None, estimated)
    if lat.found:
        return lat, views(grey, lat), "", "lattice", None, estimated
    return lat, [_whole_view(grey)], "", "whole", None, estimated


@dataclass(frozen=True)
class SymmetryResult:
    """One image's answer: a plane group or "none", calibrated probabilities, features.

    ``p`` is the calibrated probability of ``top_group`` (the likeliest plane group),
    also when ``symmetry`` is "none"; ``reason`` says why it abstained ("" otherwise).
    """

    symmetry: str
    p: float
    top_group: str
    top3: list[tuple[str, float]]
    p_none: float
    reason: str
    lattice: Lattice
    features: np.ndarray  # (512,) mean over the views
    logits: np.ndarray | None = None  # temperature-scaled, mean over the views
    # which views the network saw: "lattice" (cells rescaled to the trained size),
    # "whole" (no lattice: v1's input), "native, small cells" / "native, no lattice"
    # (v4's NativeRule), "averaged cell" (v9's MotifRule), "spectrum lattice" (lattice
    # views on the lattice of v19's SpectrumRule),
    # "" (refused before the network)
    seen: str = ""
    # what the averaged cell obeys (`cell_symmetry`), where the model checks it
    cell_symmetry: CellSymmetry | None = None

    @property
    def abstained(self) -> bool:
        return self.symmetry == NONE


def _usable(grey: np.ndarray) -> bool:
    """Big enough, finite enough and not constant: worth a network pass."""
    if min(grey.shape) < 32 or grey.size > (1 << 28):
        return False
    finite = np.isfinite(grey)
    if finite.mean() <= 0.9:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.ptp(grey[finite]) > 0)


def _whole_view(grey: np.ndarray) -> np.ndarray:
    """The centred square, resized to 224 (the v1 input policy)."""
    if not np.isfinite(grey).all():
        grey = np.where(np.isfinite(grey), grey, np.nanmean(np.where(np.isfinite(grey), grey,
                                                                      np.nan)))
    h, w = grey.shape
    s = min(h, w)
    return resize(grey[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s],
                  WHOLE_VIEW)


def _refused(reason: str, dim: int, lat: Lattice | None = None) -> SymmetryResult:
    return SymmetryResult(NONE, 0.0, NONE, [], 1.0, reason, lat or Lattice(False, reason),
                          np.zeros(dim, np.float32))


MAX_ENTROPY = math.log(len(GROUPS))
