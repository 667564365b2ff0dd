"""File readers, chosen by suffix.

A reader turns the exact bytes of one file into a `RawWave`: the numbers and
the text as the file holds them, with no interpretation. Everything that means
something (units, imaging mode, the standard document) happens later, in
`symcat.ingest.normalize`, so that a second vendor format only needs a reader.

A reader raises `ReadError` with a one-line reason a person can act on when
the file cannot be catalogued; any other exception is treated as a reader bug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class ReadError(Exception):
    """The file is not something we can catalogue; `str(exc)` is the reason."""


@dataclass
class RawWave:
    """One Igor wave as stored, before any normalization.

    `data` keeps Igor's axis order: dimension 0 (Igor "rows") is the fast scan
    axis x, dimension 1 the slow axis y, dimension 2 the layers (channels).
    `labels[d]` holds the element labels of dimension d (the label of the
    dimension as a whole is dropped), already cut at their NUL byte.
    """

    version: int
    byte_order: str  # "little" or "big"
    type_code: int
    data: np.ndarray
    name: str
    note: bytes
    labels: list[list[str]]
    labels_raw: list[list[bytes]]
    data_units: str
    dim_units: list[str]
    sf_a: list[float]
    sf_b: list[float]
    creation_date: int
    mod_date: int
    formula: str | None = None
    warnings: list[str] = field(default_factory=list)


Reader = Callable[[bytes], RawWave]

_READERS: dict[str, Reader] = {}


def register(suffix: str, reader: Reader) -> None:
    """Bind a lower-case suffix such as ".ibw" to a reader; a suffix has one reader."""
    key = suffix.lower()
    if not key.startswith("."):
        raise ValueError(f"suffix must start with a dot, got {suffix!r}")
    if key in _READERS:
        raise ValueError(f"a reader for {key!r} is already registered")
    _READERS[key] = reader


def reader_for(suffix: str) -> Reader | None:
    """The reader for a suffix (any case), or None when no reader handles it."""
    return _READERS.get(suffix.lower())


def suffixes() -> tuple[str, ...]:
    """Registered suffixes, sorted, for file discovery and messages."""
    return tuple(sorted(_READERS))


def _register_builtin() -> None:
    from symcat.ingest.readers import ibw

    register(".ibw", ibw.read_ibw)


_register_builtin()

# Suffixes with a reader, for callers that discover files (e.g. the ingest CLI).
SUFFIXES: tuple[str, ...] = suffixes()
