"""Fixtures for projection tests.

numba's compiled UMAP kernels are cached in one folder per machine for the test run
(NUMBA_CACHE_DIR), so only the first run on a machine pays the compilation.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "symcat-numba-tests"))

import pytest  # noqa: E402
from project_data import Clustered, add_scans  # noqa: E402

from symcat.client import Catalog  # noqa: E402


@pytest.fixture()
def clustered(catalog: Catalog) -> Clustered:
    return add_scans(catalog, 600)
