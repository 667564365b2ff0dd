"""What makes two projection requests identical, and a small in-process store of vectors.

The durable cache is the `projections` table itself: a request's key (`request_key`)
is unique there, so an identical request (same model, filter, parameters as asked,
exact subset of scans and parent) returns the stored map, from any process. The
in-process `VectorCache` keeps the vectors of recent projections so that re-projecting
a selection slices them instead of reading them from the database again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

VECTOR_CACHE_BYTES = 1 << 30


def subset_hash(ids: Iterable[uuid.UUID]) -> str:
    """sha256 of the sorted scan ids: names the exact set of scans projected."""
    digest = hashlib.sha256()
    for key in sorted(str(i) for i in ids):
        digest.update(key.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def canonical_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword filters as JSON values (tuples become lists, dates ISO text)."""
    return json.loads(json.dumps(dict(filters), sort_keys=True, default=str))


def request_key(*, model: str, where: str | None, filters: Mapping[str, Any],
                params_repr: str, subset: str, parent: uuid.UUID | None) -> str:
    """The cache key: sha256 over every input that decides a projection."""
    payload = {
        "model": model, "where": (where or "").strip() or None,
        "filters": canonical_filters(filters), "params": params_repr, "subset": subset,
        "parent": str(parent) if parent else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class VectorCache:
    """Least-recently-used (ids, vectors) per projection id, bounded in bytes."""

    def __init__(self, max_bytes: int = VECTOR_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[uuid.UUID, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: uuid.UUID, ids: np.ndarray, vectors: np.ndarray) -> None:
        if vectors.nbytes > self.max_bytes:
            return
        with self._lock:
            self._items[key] = (ids, vectors)
            self._items.move_to_end(key)
            while sum(v.nbytes for _, v in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)

    def get(self, key: uuid.UUID) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


vectors = VectorCache()
