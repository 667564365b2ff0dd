"""What a reader hands to the catalog: one parsed file, or one refusal.

This is the only ingest module the catalog imports. A `ScanRecord` carries a
metadata *document* that conforms to ``schemas/scan/v1.json`` (the metadata
standard, so other sites and languages can validate the same thing), plus the
pixel or curve arrays, which are too large and too numeric for JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

SCHEMA_VERSION = "scan/v1"
PARSER_VERSION = "symcat-ibw/1"

RecordKind = Literal["image", "force_curve", "spectrum", "wave", "spectroscopy_map"]
RECORD_KINDS: tuple[str, ...] = ("image", "force_curve", "spectrum", "wave", "spectroscopy_map")

ImagingMode = Literal[
    "dart_pfm", "pfm", "ss_pfm", "ac", "contact", "kpfm", "efm", "nap", "force_curve", "stm",
    "unknown",
]
IMAGING_MODES: tuple[str, ...] = (
    "dart_pfm", "pfm", "ss_pfm", "ac", "contact", "kpfm", "efm", "nap", "force_curve", "stm",
    "unknown",
)


@dataclass(frozen=True)
class ScanRecord:
    """One accepted file.

    `document` follows ``schemas/scan/v1.json`` exactly (it is validated
    before it reaches the database). `arrays` holds the channels stacked on the
    first axis, float32: ``(n_channels, rows, cols)`` for images and
    ``(n_channels, n_points)`` for curves and 1-D waves; its first axis is
    aligned with ``document["channels"]``.
    """

    document: dict[str, Any]
    arrays: np.ndarray
    warnings: tuple[str, ...] = field(default=())
    # The path's bytes when its name is not UTF-8 (the document shows it with escapes).
    source_path_bytes: bytes | None = None

    @property
    def kind(self) -> str:
        return str(self.document["record_kind"])

    @property
    def file_sha256(self) -> str:
        return str(self.document["file_sha256"])


@dataclass(frozen=True)
class Refused:
    """A file the reader will not catalogue, and why, in words a person can act on."""

    path: str
    file_sha256: str | None
    reason: str
    file_size_bytes: int | None = None
    # The path's bytes when its name is not UTF-8 (`path` shows it with escapes).
    path_bytes: bytes | None = None


ReadResult = ScanRecord | Refused
