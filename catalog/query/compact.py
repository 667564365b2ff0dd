"""The compact exact pass: every passing row ranked by its 2-bit code, the best re-ranked.

Where a filter excludes the query's neighbourhood, graph search cannot reach the passing
rows and the answer must come from a pass over all of them. Over the full vectors that
costs 4-8 microseconds a row (a 2 kB halfvec looked up per row); over `search_codes`
(symcat.store.models.search_code) it is one sequential scan of ~450-byte rows that also
hold the most-filtered scan columns. The `candidates` rows nearest by code (the query's
dot product with each row's levels, `code_distance`) are then re-ranked with the full
vectors. The code is approximate, so how many candidates a model needs is measured on
its own vectors (`calibrate_compact`), with a margin for the hard case (a filter that
excludes the query's neighbourhood).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import (
    Column,
    Connection,
    Float,
    Select,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import BIT
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import ClauseElement

from symcat.store.code_levels import CODE_BITS, QUERY_BITS, RANKING, query_quantized
from symcat.store.models import Embedding, Scan, SearchCode
from symcat.store.models.search_code import COPIED_COLUMNS

# Candidate counts tried by the calibration. An unfiltered query needs the fewest: the
# recall@K its re-rank reaches is measured for each count, and the smallest that reaches
# TARGET_RECALL is multiplied by HARD_CASE_FACTOR, because a filter that excludes the
# query's neighbourhood leaves it among rows nearly as far as each other, which the code
# separates less well: on 100k vectors of both benchmark recipes (numpy, the same code)
# unfiltered recall 0.98 took 200 candidates (embedding-like) and 400 (isotropic),
# correlated filters of 50/15/4% 400-800 and 1600 for recall >= 0.95; at 200k vectors
# (benchmarks/knn.py) 4 times the unfiltered count gave recall 0.973 (embedding-like,
# correlated 15%) and 0.88 (isotropic, correlated 50%): 8 times it is.
CANDIDATES = (100, 200, 400, 800, 1600)
HARD_CASE_FACTOR = 8
MIN_CANDIDATES = 400
DEFAULT_CANDIDATES = 1600
TARGET_RECALL = 0.98
K = 10
QUERIES = 10

_SWAP: dict[Any, Any] = {Scan.__table__.c.id: SearchCode.__table__.c.scan_id,
                         Embedding.__table__.c.scan_id: SearchCode.__table__.c.scan_id,
                         Embedding.__table__.c.model_id: SearchCode.__table__.c.model_id}
_SWAP.update({Scan.__table__.c[name]: SearchCode.__table__.c[name] for name in COPIED_COLUMNS})


def compact_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The measured compact-pass record of a model's config ({} when never measured)."""
    return dict((config or {}).get("compact") or {})


def reads_codes_only(clauses: Sequence[Any]) -> bool:
    """True when every column the clauses use is copied into `search_codes` (no subquery):
    the pass then never reads `scans`."""
    for clause in clauses:
        for element in visitors.iterate(clause):
            if isinstance(element, Select):
                return False
            if isinstance(element, Column) and element not in _SWAP:
                return False
    return True


def _on_codes(clauses: Sequence[Any], codes_only: bool) -> list[Any]:
    """The filter clauses rewritten onto `search_codes` (all columns, or the vector keys)."""
    def swap(element: ClauseElement, **_: Any) -> Any:
        if isinstance(element, Column) and element in _SWAP \
                and (codes_only or element.table is Embedding.__table__):
            return _SWAP[element]
        return None

    return [visitors.replacement_traverse(c, {}, swap) for c in clauses]


def code_distance(code: Any, vector: np.ndarray) -> Any:
    """SQL: the distance by code of `code` (a `search_codes.code` column) to the query,
    lower is nearer (`symcat.store.code_levels`: minus the quantized query's dot product
    with the row's levels, up to a positive factor and a constant).

    With the query's bit planes Q_k (u = sum 2^k Q_k), each repeated over the code's 3
    thermometer segments, hamming(Q_k, code) = |Q_k| + |code| - 2 popcount(Q_k & code),
    so sum_k 2^k hamming(Q_k, code) = const + 15 |code| - 2 u.levels; on the query's
    grid symmetric about zero the |code| term cancels against the grid's offset, and
    that sum is the score: QUERY_BITS Hamming distances a row (0.035 us each at 1M, the
    row itself 0.4 us)."""
    u, _, _ = query_quantized(vector)
    distance: Any = None
    for k in range(QUERY_BITS):
        plane = "".join("1" if b else "0" for b in ((u >> k) & 1).tolist()) * CODE_BITS
        bits = bindparam(f"plane{k}", value=plane, type_=BIT(varying=True), unique=True)
        term = code.op("<~>", return_type=Float())(bits) * float(2 ** k)
        distance = term if distance is None else distance + term
    return distance


def code_candidates(conn: Connection, vector: np.ndarray, clauses: Sequence[Any],
                    candidates: int) -> list[uuid.UUID]:
    """The passing rows nearest to the query by code (`code_distance`)."""
    codes_only = reads_codes_only(clauses)
    statement = select(SearchCode.scan_id).select_from(SearchCode)
    if not codes_only:
        statement = statement.join(Scan, Scan.id == SearchCode.scan_id)
    statement = (statement.where(*_on_codes(clauses, codes_only))
                 .order_by(code_distance(SearchCode.code, vector)).limit(candidates))
    return list(conn.execute(statement).scalars())


def rerank(conn: Connection, model_id: int, q: Any, ids: Sequence[uuid.UUID], k: int
           ) -> list[tuple[uuid.UUID, float]]:
    """The k of `ids` nearest by true (cosine) distance of the full vectors."""
    if not ids:
        return []
    # By primary key: with a few thousand ids the planner may prefer a sequential scan
    # of every vector, 100 times the work.
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    distance = Embedding.vector.cosine_distance(cast(q, HALFVEC())).label("distance")
    rows = conn.execute(select(Embedding.scan_id, distance)
                        .where(Embedding.model_id == model_id,
                               Embedding.scan_id == func.any(bindparam("ids", list(ids))))
                        .order_by(distance).limit(k)).all()
    conn.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    return [(r.scan_id, float(r.distance)) for r in rows]


def compact_pass(conn: Connection, model_id: int, q: Any, vector: np.ndarray,
                 clauses: Sequence[Any], k: int, candidates: int
                 ) -> list[tuple[uuid.UUID, float]]:
    """Exact pass over the compact copy, then re-rank `max(candidates, k)` rows."""
    ids = code_candidates(conn, vector, clauses, max(candidates, k))
    return rerank(conn, model_id, q, ids, k)


def calibrate_compact(conn: Connection, model_id: int, dim: int, *, queries: int = QUERIES,
                      seed: int = 1) -> dict[str, Any]:
    """Measure, on the model's own vectors, how many code candidates the re-rank needs and
    what each pass costs per row; store it in `embedding_models.config["compact"]`.

    For each sample query an exact pass gives the true K nearest, and one compact pass the
    CANDIDATES[-1] nearest by code: the recall of each prefix. Then an exact pass and a
    compact pass of the whole model are timed, serial, for the per-row costs the planner
    compares (about 10 s at 200k vectors on 2 cores). Commits what `conn` holds first.
    """
    from symcat.query.calibrate import _sample_vectors, store_measurement
    from symcat.query.knn import _exact

    started = time.perf_counter()
    if conn.in_transaction():
        conn.commit()
    with conn.begin():
        sample = _sample_vectors(conn, model_id, queries, seed)
        total = conn.execute(select(func.count()).select_from(SearchCode)
                             .where(SearchCode.model_id == model_id)).scalar_one()
    if not sample or total < 10 * K:
        return {}
    model_clause = [Embedding.model_id == model_id]
    # A filter passing 1/8 of the rows that an index finds (the primary key's scan_id
    # prefix; uuids are uniform), for the per-row cost of an index-driven compact pass
    # (with 1/50 of them it measured 13.9 us a row where a 15% filter's whole compact
    # pass took 4 us a row: the statement's own cost dominated; 200k rows, busy).
    some = [*model_clause, Embedding.scan_id < uuid.UUID("20000000-0000-0000-0000-000000000000")]
    found: dict[int, list[float]] = {c: [] for c in CANDIDATES}
    exact, compact, indexed, reranks = [], [], [], []
    for vector in sample:
        q = bindparam("q", value=vector, type_=HALFVEC(dim))
        with conn.begin():
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            t0 = time.perf_counter()
            truth = {scan_id for scan_id, _ in _exact(conn, q, model_clause, K)}
            t1 = time.perf_counter()
            ids = code_candidates(conn, vector, model_clause, CANDIDATES[-1])
            t2 = time.perf_counter()
            rerank(conn, model_id, q, ids[:DEFAULT_CANDIDATES], K)  # reads the vectors in
            t2 = time.perf_counter()
            rerank(conn, model_id, q, ids[:DEFAULT_CANDIDATES], K)  # as a server in use
            t3 = time.perf_counter()
            code_candidates(conn, vector, some, MIN_CANDIDATES)
            t4 = time.perf_counter()
        exact.append(t1 - t0)
        compact.append(t2 - t1)
        reranks.append((t3 - t2) / max(1, min(len(ids), DEFAULT_CANDIDATES)))
        indexed.append(t4 - t3)
        for c in CANDIDATES:
            found[c].append(len(truth & set(ids[:c])) / max(1, len(truth)))
    recall = {c: float(np.mean(v)) for c, v in found.items()}
    unfiltered = next((c for c in CANDIDATES if recall[c] >= TARGET_RECALL), CANDIDATES[-1])
    chosen = max(MIN_CANDIDATES, HARD_CASE_FACTOR * unfiltered)
    record = {
        "candidates": chosen, "unfiltered_candidates": unfiltered, "recall": recall,
        "queries": len(sample), "rows": total,
        "exact_us_per_row": round(1e6 * float(np.median(exact)) / total, 3),
        "compact_us_per_row": round(1e6 * float(np.median(compact)) / total, 3),
        "compact_index_us_per_row": round(1e6 * float(np.median(indexed)) / (total / 8), 3),
        "rerank_ms": round(1e3 * chosen * float(np.median(reranks)), 2),
        "seconds": round(time.perf_counter() - started, 1), "ranking": RANKING,
    }
    return store_measurement(conn, model_id, "compact", record)
