"""Shared by the symmetry version tests: a shipped version's extractor, loaded once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SYMMETRY = Path(__file__).resolve().parents[2] / "catalog" / "embed" / "symmetry"


@pytest.fixture(scope="session")
def symmetry_extractor() -> Callable[[str], Any]:
    """``symmetry_extractor("v18")``: that version's `SymmetryExtractor`, a new one each
    call (tests change its ``cell_check``); skips where its weights are not installed."""
    from symcat.embed.registry import available
    from symcat.embed.symmetry.extract import SymmetryExtractor

    def load(version: str) -> Any:
        if not available(f"symcat_symmetry.{version}"):
            pytest.skip("symmetry weights are not installed")
        return SymmetryExtractor(SYMMETRY / f"weights_{version}")

    return load


@pytest.fixture(scope="session")
def stock_readings(symmetry_extractor: Callable[[str], Any]) -> Callable[..., list]:
    """``stock_readings("v38", images)``: that version's shipped extractor's `analyse` of
    ``images`` (in 2 worker processes), read once a session: several version tests read
    the same scans with the same unchanged version (v34 reads v33's plain patterns as
    v33's test does). The whole list is the key (a batch is read as one, as `analyse` reads
    it); a test that changes an extractor's settings reads with its own."""
    import hashlib

    import numpy as np

    models: dict[str, Any] = {}
    cache: dict[tuple, list] = {}

    def digest(image: Any) -> str:
        a = np.asarray(image)
        return hashlib.sha256(f"{a.dtype}{a.shape}".encode() + a.tobytes()).hexdigest()

    def read(version: str, images: list, **kwargs: Any) -> list:
        key = (version, tuple(digest(image) for image in images), repr(sorted(kwargs.items())))
        if key not in cache:
            if version not in models:
                models[version] = symmetry_extractor(version)
            cache[key] = models[version].analyse(images, workers=2, **kwargs)
        return list(cache[key])

    return read
