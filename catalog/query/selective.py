"""The selective compact pass: only the passing rows' codes, read through the filter's index.

A filter passing a few thousand to tens of thousands of rows, too sparse for a probe of
the query's neighbourhood to answer it, was answered by an exact pass over the full
vectors: 4-10 microseconds a row (a 2 kB halfvec looked up per passing row), 80-110 ms
for 1% of a million. Here PostgreSQL reads those rows' entries of `search_codes` through
the index of the filtered column (about 450 bytes a row, no vector), ranks them by their
2-bit codes (`symcat.query.compact.code_distance`) and re-ranks the nearest `candidates`
with the full vectors, all in one statement. How many candidates the model needs for a
filter of that many rows, spread over the model or grouped far from the query, is
simulated on its own vectors when its search lists are built
(`symcat.store.selective_rule`); the planner (`symcat.query.knn`) takes the pass only
where that simulated recall reaches its floor and the measured costs say it is cheaper
than the exact pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import Connection, and_, cast, literal, select, text

from symcat.query.compact import _on_codes, code_distance, reads_codes_only
from symcat.store.models import Embedding, Scan, SearchCode
from symcat.store.selective_rule import candidates_for

# The pass is taken only where the model's simulated recall@10 for the case reaches this.
MIN_RECALL = 0.95


def selective_choice(rule: Mapping[str, Any] | None, rows: float, far: bool | None,
                     exact_us_per_row: float, index_us_per_row: float
                     ) -> tuple[int, str]:
    """(candidates, why) for a filter of `rows` estimated passing rows: candidates 0 when
    the pass should not run. `far`: True where the filter is known to exclude the query's
    neighbourhood (a probe saw it, or the zone maps rule out its nearest lists), False
    where it is known to keep it, None where unknown (the costlier case's rule)."""
    cases = ["far"] if far else ["spread"] if far is False else ["spread", "far"]
    found = [candidates_for(dict(rule or {}), rows, case) for case in cases]
    if any(f is None for f in found):
        return 0, f"not selective: {rows:.0f} rows above the model's simulated sizes"
    candidates = max(f[0] for f in found)  # type: ignore[index]
    recall = min(f[1] for f in found)  # type: ignore[index]
    size = found[0][2]  # type: ignore[index]
    case = "/".join(cases)
    if recall < MIN_RECALL:
        return 0, (f"not selective: its {case} rule for {size} rows reaches recall "
                   f"{recall:.3f} only")
    if candidates >= rows:
        return 0, f"not selective: its {case} rule for {size} rows re-ranks every row"
    if not (exact_us_per_row and index_us_per_row):
        return 0, "not selective: costs never measured"
    selective_ms = (rows * index_us_per_row + candidates * exact_us_per_row) / 1e3
    exact_ms = rows * exact_us_per_row / 1e3
    costs = (f"{case} rule for {size} rows: {candidates} candidates (simulated recall "
             f"{recall:.3f}); codes of ~{rows:.0f} rows by index and the re-rank "
             f"~{selective_ms:.0f} ms against exact ~{exact_ms:.0f} ms")
    if selective_ms < exact_ms:
        return candidates, f"selective: {costs}"
    return 0, f"not selective: {costs}"


def selective_pass(conn: Connection, model_id: int, dim: int, q: Any, vector: np.ndarray,
                   clauses: Sequence[Any], k: int, candidates: int
                   ) -> list[tuple[uuid.UUID, float]]:
    """The k nearest passing rows: the `candidates` nearest by code among the passing
    rows' codes (read through the filter's index), re-ranked with the full vectors."""
    qv = cast(q, HALFVEC(dim))
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # small reads
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # the filter's index, the vectors' key
    codes_only = reads_codes_only(clauses)
    inner = select(SearchCode.scan_id, code_distance(SearchCode.code, vector)
                   .label("by_code")).select_from(SearchCode)
    if not codes_only:
        inner = inner.join(Scan, Scan.id == SearchCode.scan_id)
    ranked = inner.where(*_on_codes(clauses, codes_only)).offset(0).subquery()
    best = select(ranked.c.scan_id).order_by(ranked.c.by_code).limit(max(candidates, k)) \
        .cte("best")
    distance = Embedding.vector.cosine_distance(qv).label("distance")
    rows = conn.execute(
        select(best.c.scan_id, distance).select_from(best)
        .join(Embedding, and_(Embedding.scan_id == best.c.scan_id,
                              Embedding.model_id == literal(model_id, literal_execute=True)))
        .order_by(distance).limit(k)).all()
    conn.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    return [(r.scan_id, float(r.distance)) for r in rows]
