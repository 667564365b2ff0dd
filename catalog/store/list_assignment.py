"""New vectors' search lists, assigned in bulk by the writer rather than per row in SQL.

Migration 0013's trigger found a new code's list by its Hamming distance to each of the
model's centroid codes: ~0.35 ms a vector at 1,000 lists, which made the bare vector
write 3.1 times slower (benchmarks/RESULTS.md). `symcat.embed.run.store_vectors` now
assigns each batch in numpy (the exact nearest stored centroid, as a build assigns:
~20 us a 1,024-d vector at 1,000 lists on one core) and copies the list ids with the
vectors into its temporary table, where the trigger writing the codes takes them
(migration 0014), so no row is written twice. In `symcat embed` the batch's lists are
computed in the inference thread from the centroids the process holds (`assign_ahead`),
while the writer stores the batch before; the writer uses them only if the lists are
still of that build once it holds its lock. Other writers (a hub's replication, an
UPDATE of a vector, SQL by hand) keep the per-row lookup.

Codes without a list (`list_id` NULL: written while the model had no lists) are read by
every listed pass (`symcat.query.lists`), so they are never missed, only paid for; a
build assigns them, and `assign_unlisted` gives any left over their lists at every
index check (`symcat.embed.run.ensure_index`, the end of each `symcat embed` run).

The writer holds ROW EXCLUSIVE on `search_codes` from before it reads the centroids to
its commit, so a rebuild of the lists (SHARE) cannot slip in between: the ids it hands
over are those of the lists it read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from symcat.store.engine import model_key
from symcat.store.search_lists import (
    nearest_in_batches,
    read_vectors,
    stored_centroids,
    write_assignment,
)

log = logging.getLogger(__name__)

try:  # BLAS's threads on 2 busy cores made the 100 x 1,024 x 1,000 product many times
    # slower than one thread does it (the writer runs beside inference and the server)
    from threadpoolctl import ThreadpoolController

    _THREADS: Any = ThreadpoolController()
except ImportError:  # pragma: no cover - it comes with scikit-learn and scipy's stack
    _THREADS = None

# A rebuild writes every list again, list 0 included, with a new `built_at`
# (clock_timestamp): that one key tells whether the centroids held are current.
_STAMP = "SELECT built_at FROM search_lists WHERE model_id = {m} AND list_id = 0"
_LOCK = "LOCK TABLE search_codes IN ROW EXCLUSIVE MODE"
_CENTROIDS: dict[tuple[str, int], tuple[datetime, np.ndarray, np.ndarray]] = {}


def held_lists(conn: Connection, model_id: int
               ) -> tuple[datetime, np.ndarray, np.ndarray] | None:
    """(build stamp, list ids, unit centroids as float32) of the model's lists, None when
    it has none; read once per build and held (one primary-key lookup to check). First
    takes ROW EXCLUSIVE on `search_codes`, in the same round trip, so the lists stay as
    read until this transaction ends (a rebuild waits)."""
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.execute(f"{_LOCK}; {_STAMP.format(m=int(model_id))}")
        cursor.nextset()
        found = cursor.fetchone()
    if found is None:
        return None
    stamp, key = found[0], model_key(conn, model_id)
    held = _CENTROIDS.get(key)
    if held is not None and held[0] == stamp:
        return held
    _CENTROIDS[key] = (stamp, *stored_centroids(conn, model_id))
    return _CENTROIDS[key]


def model_centroids(conn: Connection, model_id: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(list ids, centroids) of `held_lists`, the lists kept as read (see there)."""
    held = held_lists(conn, model_id)
    return None if held is None else (held[1], held[2])


@dataclass(frozen=True)
class Ahead:
    """Lists of a batch computed before its write (beside inference, not in the writer's
    transaction), with the build whose centroids gave them."""

    stamp: datetime
    lists: np.ndarray


def assign_ahead(url: Any, model_id: int, vectors: np.ndarray) -> Ahead | None:
    """The batch's lists from the centroids this process holds for the model (no round
    trip; None when it holds none yet). The writer uses them only if the model's lists
    are still of that build once it holds its lock (`new_lists`)."""
    held = _CENTROIDS.get(model_key(url, model_id))
    if held is None:
        return None
    return Ahead(held[0], assign(vectors, held[1], held[2]))


def assign(vectors: np.ndarray, ids: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The list id of each vector's nearest centroid, computed on the vectors as stored
    (float16), as a build from scratch assigns them; on one BLAS thread."""
    stored = np.asarray(vectors).astype(np.float16)
    if _THREADS is None:
        return ids[nearest_in_batches(stored, centroids)]
    with _THREADS.limit(limits=1, user_api="blas"):
        return ids[nearest_in_batches(stored, centroids)]


def new_lists(conn: Connection, model_id: int, vectors: np.ndarray,
              ahead: Ahead | None = None) -> np.ndarray | None:
    """The lists of vectors about to be written in this transaction (None: the model has
    no lists); the lists stay as read until the transaction ends. `ahead`: the lists
    computed before (`assign_ahead`), used where they are of the current build."""
    held = held_lists(conn, model_id)
    if held is None:
        return None
    if ahead is not None and ahead.stamp == held[0] and len(ahead.lists) == len(vectors):
        return ahead.lists
    return assign(vectors, held[1], held[2])


def assign_unlisted(conn: Connection, model_id: int) -> int:
    """Give every code of the model that has no list its nearest list, widening the
    lists' summaries, in the caller's transaction; returns how many (0 when the model
    has no lists: then every code is read anyway)."""
    held = model_centroids(conn, model_id)
    if held is None:
        return 0
    waiting = conn.execute(text("SELECT EXISTS (SELECT 1 FROM search_codes WHERE "
                                "model_id = :m AND list_id IS NULL)"), {"m": model_id})
    if not waiting.scalar_one():
        return 0
    scan_ids, vectors = read_vectors(conn, model_id, unlisted=True)
    write_assignment(conn, model_id, scan_ids, assign(vectors, *held), widen=True)
    log.info("model %s: %s codes without a list assigned", model_id, len(scan_ids))
    return len(scan_ids)
