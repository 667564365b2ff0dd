"""Shared by the symmetry version tests: two versions' readings of one image compared."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


def assert_read_alike(new: Any, old: Any) -> None:
    """``new`` (a `SymmetryResult`) is ``old`` in every field a user sees or stores: the
    answer, the likeliest group, its probability, the lattice and the features. A version
    whose added step left the image as it was must read it so."""
    assert (new.symmetry, new.top_group, new.p) == (old.symmetry, old.top_group, old.p)
    assert new.lattice == old.lattice
    assert np.array_equal(new.features, old.features)


def drawn_once(draw: Callable[..., list[np.ndarray]]) -> Callable[..., list[np.ndarray]]:
    """``draw`` (images drawn from fixed seeds) run once a session for each of its
    arguments: a file's tests (and each parameter of one) read the same patterns, and
    drawing them is most of a pure-numpy test's time. Each call gets a new list of the
    same arrays, made read-only: a test that changes an image changes a copy."""

    @functools.cache
    def drawn(*args: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        images = tuple(draw(*args, **kwargs))
        for image in images:
            image.setflags(write=False)
        return images

    @functools.wraps(draw)
    def fresh(*args: Any, **kwargs: Any) -> list[np.ndarray]:
        return list(drawn(*args, **kwargs))

    return fresh


def styled_scans(rows: tuple[tuple[str, float, int, bool, int], ...]) -> list[np.ndarray]:
    """Held-out styled scans (benchmarks/heldout_wallpaper.py), one for each (group, cells,
    size, distort, seed) of ``rows``."""
    return [_heldout().make({"group": g, "cells": c, "size": s, "distort": d, "seed": seed,
                             "motif": "styled"}) for g, c, s, d, seed in rows]


def _heldout() -> Any:
    """benchmarks/heldout_wallpaper.py, imported once its folder is on the path."""
    import sys
    from pathlib import Path

    benchmarks = str(Path(__file__).resolve().parents[2] / "benchmarks")
    if benchmarks not in sys.path:
        sys.path.insert(0, benchmarks)
    import heldout_wallpaper

    return heldout_wallpaper


def read_alike_scans(pattern: dict, pairs: tuple[tuple[str, str], ...],
                     seed: int) -> list[np.ndarray]:
    """Scans a version's added step should leave as they were: a plane-wave p4 on a lattice
    of whole pixels (`P4_WAVES`), one held-out scan of ``pattern`` for each (group, motif)
    of ``pairs``, and a stripe domain scan of 256 px drawn from ``seed``."""
    from symcat.ingest.synth.domains import random_scene, render
    from tests.embed.test_symmetry_v26 import P4_WAVES

    heldout = _heldout()
    scans = [heldout.make(P4_WAVES)]
    scans += [heldout.make({**pattern, "group": g, "motif": m}) for g, m in pairs]
    rng = np.random.default_rng(seed)
    scans.append(np.asarray(render(random_scene("stripe", rng, points=256), rng).phase1,
                            float))
    return scans
