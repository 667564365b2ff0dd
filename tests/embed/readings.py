"""Shared by the symmetry version tests: two versions' readings of one image compared."""

from __future__ import annotations

from typing import Any

import numpy as np


def assert_read_alike(new: Any, old: Any) -> None:
    """``new`` (a `SymmetryResult`) is ``old`` in every field a user sees or stores: the
    answer, the likeliest group, its probability, the lattice and the features. A version
    whose added step left the image as it was must read it so."""
    assert (new.symmetry, new.top_group, new.p) == (old.symmetry, old.top_group, old.p)
    assert new.lattice == old.lattice
    assert np.array_equal(new.features, old.features)
