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
