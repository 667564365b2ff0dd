"""The listed compact pass: only the lists of codes near the query that a filter can match.

`search_codes` is grouped into lists by nearest centroid (`symcat.store.search_lists`),
each with a conservative summary of its copied filter columns. The pass

1. ranks the model's lists by centroid distance to the query, and drops those whose
   summary proves that no row passes the filter (`symcat.query.zones`: ranges for the
   numeric and time columns, distinct values for the text ones; a condition it cannot
   read, or on a column the copy lacks, rules nothing out);
2. reads the nearest remaining lists, codes and filter, until it has seen `passing`
   passing rows (the stop rule; the share of a list's rows expected to pass is the
   filter's estimate over the rows of the lists not ruled out, corrected by what the
   first read saw);
3. re-ranks the `candidates` nearest by code (`symcat.query.compact.code_distance`) with
   the full vectors (all of them, i.e. an exact answer over the lists read, when no more
   passed), in the same statement.

The stop rule (rows, candidates) is measured per model when its lists are built, once
for a filter that keeps the query's nearest lists and once for one that rules them out
("far": every passing row is far, and the codes rank far rows worse), by a numpy
simulation of this pass (`symcat.store.search_lists.stop_rule`). Exhaustive when every
list that may hold a passing row is read (the answer is then the full compact pass's,
and exact where at most `candidates` rows pass).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import (
    ARRAY,
    Column,
    Connection,
    Integer,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import visitors

from symcat.query.compact import _on_codes, code_distance, reads_codes_only
from symcat.query.zones import zones
from symcat.store.models import Embedding, Scan, SearchCode

# A model with fewer lists gains nothing from them (tests and small catalogs: exact).
MIN_LISTS = 8
# Passing rows the pass reads before it stops, and candidates it re-ranks by code, when
# the filter keeps the query's nearest lists (200k embedding-like vectors, 447 lists:
# 8,000 / 400 gave recall@10 0.99-1.00 at 0.15-1.0 selectivity, 4,000 / 200 0.93-0.99;
# benchmarks/RESULTS.md, "Search lists").
PASSING = 8_000
CANDIDATES = 400
# When the summaries rule out the query's nearest lists (a filter that excludes its
# neighbourhood), the passing rows are all far and nearly as far as each other, where
# the 2-bit codes rank poorly (8,000 / 400: recall 0.86-0.91 at 1-4%): the pass then
# reads fewer rows and re-ranks all of them, an exact answer over the nearest passing
# lists (2,500 rows: recall 0.99-1.00 at 1-15%; 1,500: 0.93-1.00).
FAR_PASSING = 20_000
FAR_CANDIDATES = 2_500
NEAR_LISTS = 2  # the query's neighbourhood: its nearest lists
# A far filter whose lists hold at most this many rows, no more than the stop rule reads
# and at most EXHAUSTIVE_FACTOR times its candidates, has all its rows ranked exactly
# (the planner takes the exact pass for it). The far stop rule is simulated with 2-10%
# of the rows ruled out, and undershot a filter leaving one far cluster (1M: 10.4k
# rows, 2,500 candidates, recall 0.933); at 200k (7.6k rows, 800 candidates) it held
# (0.993). A stopgap: the principled fix is that case in the simulation.
EXHAUSTIVE_EXACT_ROWS = 20_000
EXHAUSTIVE_FACTOR = 5
# Benchmarks only: {"near": (rows, candidates), "far": (...)} instead of the measured rule.
FORCED: dict[str, tuple[int, int]] = {}


@dataclass(frozen=True)
class ListedPass:
    """What one listed pass read, for Plan.reason."""

    lists: int  # lists of the model
    possible: int  # lists the summaries did not rule out
    read: int  # lists read
    passing: int  # passing rows seen in them (-1: not counted, every list was read)
    exhaustive: bool  # every possible list was read
    far: bool = False  # the query's nearest lists were ruled out

    def describe(self) -> str:
        seen = f"{self.passing} passing rows" if self.passing >= 0 else "passing rows not counted"
        return (f"lists: read {self.read} of {self.possible} not ruled out ({self.lists} "
                f"in all), {seen}" + (", exhaustive" if self.exhaustive else "")
                + (", neighbourhood ruled out: all re-ranked" if self.far else ""))


def _swapped(clause: Any, swap: dict[Any, Any]) -> Any:
    """`clause` with `search_codes` columns replaced by the fenced subquery's."""
    return visitors.replacement_traverse(clause, {}, lambda e, **_: swap.get(e)
                                         if isinstance(e, Column) else None)


@dataclass(frozen=True)
class ListOrder:
    """A model's lists nearest first, each with its rows and whether the filter may
    match it (its summary does not rule it out)."""

    lists: list[tuple[int, int, bool]]
    excluded: bool = False  # a probe found the filter excludes the query's neighbourhood

    @property
    def far(self) -> bool:
        """The filter excludes the query's neighbourhood: the summaries rule out its
        nearest lists (no probe needed to tell), or a probe saw it."""
        return self.excluded or not any(ok for _, _, ok in self.lists[:NEAR_LISTS])

    def stop(self, stop_rule: Mapping[str, Any] | None) -> tuple[int, int, float | None]:
        """(passing rows to read, candidates to re-rank, simulated recall or None)."""
        case = "far" if self.far else "near"
        rule = (stop_rule or {}).get(case) or {}
        default = (FAR_PASSING, FAR_CANDIDATES) if self.far else (PASSING, CANDIDATES)
        passing, candidates = FORCED.get(case, (int(rule.get("rows", default[0])),
                                                int(rule.get("candidates", default[1]))))
        recall = None if case in FORCED else rule.get("recall")
        return passing, candidates, recall

    @property
    def possible_rows(self) -> int:
        return sum(n for _, n, possible in self.lists if possible)

    def rows_to_read(self, passing: int, estimated: float) -> float:
        """Codes read to see `passing` passing rows, if the estimated passing rows are
        spread evenly over the lists not ruled out."""
        possible = max(self.possible_rows, 1)
        return min(possible, passing * possible / max(estimated, 1.0))


def order_lists(conn: Connection, model_id: int, vector: np.ndarray, clauses: Sequence[Any]
                ) -> ListOrder | None:
    """The model's lists nearest to `vector` first, each marked with whether the filter
    may match it (`symcat.query.zones`: held in memory, checked by version); None when
    it has fewer than MIN_LISTS (its lists would not pay)."""
    held = zones(conn, model_id)
    if len(held.ids) < MIN_LISTS:
        return None
    possible = held.possible(list(clauses[1:]))
    # einsum, not `@`: in a process that has loaded the embedding stack, BLAS's threads
    # took 5-10 ms for this 1,000 x 1,024 product on 2 busy cores, einsum 0.2 ms
    similarity = np.einsum("ij,j->i", held.centroids, np.asarray(vector, dtype=np.float32))
    order = np.argsort(-similarity, kind="stable")
    return ListOrder([(held.ids[i], held.rows[i], bool(possible[i])) for i in order.tolist()])


def listed_pass(conn: Connection, model_id: int, dim: int, q: Any, vector: np.ndarray,
                clauses: Sequence[Any], k: int, estimated: float, order: ListOrder,
                stop_rule: Mapping[str, Any] | None = None,
                ) -> tuple[list[tuple[uuid.UUID, float]], ListedPass]:
    """The pass of the module docstring over the lists in `order` (`order_lists`), with
    the model's measured stop rule (`symcat.store.search_lists.stop_rule`) or the
    defaults above."""
    passing, candidates, _ = order.stop(stop_rule)
    if order.far and order.possible_rows <= min(passing, EXHAUSTIVE_EXACT_ROWS,
                                                 EXHAUSTIVE_FACTOR * candidates):
        # Every passing row will be read, all far from the query: rank them all exactly
        # (at 1M, one far cluster of 10k rows: recall 0.93 with 2,500 candidates by
        # code), the cost of the exact pass the plan would otherwise take.
        candidates = max(candidates, order.possible_rows)
    qv = cast(q, HALFVEC(dim))
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # small reads
    possible = [(list_id, n) for list_id, n, ok in order.lists if ok]
    rows_possible = sum(n for _, n in possible)
    share = min(1.0, max(estimated, 1.0) / max(rows_possible, 1))
    codes_only = reads_codes_only(clauses)
    filtered = _on_codes(clauses, codes_only)[1:]  # the model: in the fenced scan
    distance = Embedding.vector.cosine_distance(qv).label("distance")
    found: list[tuple[uuid.UUID, float]] = []
    seen, read, rows_read = 0, 0, 0
    # Codes without a list (list_id NULL: symcat.store.list_assignment) are read by
    # every statement, also where the summaries rule out every list.
    while True:
        wanted = passing
        batch: list[int] = []
        for list_id, n in possible:  # the nearest lists holding `passing` passing rows
            if wanted <= 0 and len(batch) > read:
                break
            batch.append(list_id)
            wanted -= n * share
        read, rows_read = len(batch), sum(n for _, n in possible[:len(batch)])
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # lists and vectors by index
        # The lists' rows by the (model, list) index, fenced (OFFSET 0) so the filter is
        # checked on them rather than ANDed with a column index that reads every passing
        # row of the model (a 15% filter: 150k index entries, 7 ms at 1M).
        listed = select(SearchCode).where(
            SearchCode.model_id == literal(model_id, literal_execute=True),
            or_(SearchCode.list_id == func.any(bindparam("lists", batch, ARRAY(Integer))),
                SearchCode.list_id.is_(None))).offset(0).subquery("listed")
        codes = aliased(SearchCode, listed)
        swap = {SearchCode.__table__.c[c.name]: listed.c[c.name] for c in listed.c}
        inner = select(codes.scan_id, code_distance(codes.code, vector).label("by_code")
                       ).select_from(codes)
        if not codes_only:
            inner = inner.join(Scan, Scan.id == codes.scan_id)
        # Codes ranked, counted and re-ranked in one statement: a few thousand ids sent to
        # the client and back cost more than the re-rank itself (50 against 10 ms). The
        # distance is computed below the count (fenced too), which then keeps (id,
        # distance) pairs, not codes.
        ranked = inner.where(*(_swapped(c, swap) for c in filtered)).offset(0).subquery()
        # The count of passing rows decides whether to read more lists; where every list
        # left is read, nothing is left to decide, and the window that counts (it holds
        # every ranked row: 13 of 55 ms for 40k codes, benchmarks/RESULTS.md) is skipped.
        last = read == len(possible)
        counted = literal(-1).label("n") if last else func.count().over().label("n")
        best = select(ranked.c.scan_id, counted) \
            .order_by(ranked.c.by_code).limit(max(candidates, k)).cte("best")
        rows = conn.execute(
            select(best.c.scan_id, distance, best.c.n).select_from(best)
            .join(Embedding, and_(Embedding.scan_id == best.c.scan_id,
                                  Embedding.model_id == literal(model_id,
                                                                literal_execute=True)))
            .order_by(distance).limit(k)).all()
        seen = int(rows[0].n) if rows else 0
        found = [(r.scan_id, float(r.distance)) for r in rows]
        if last or seen >= passing * 0.5:
            break
        share = max(seen, 1) / max(rows_read, 1)  # what the lists read so far held
    conn.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    return found, ListedPass(
        len(order.lists), len(possible), read, seen, read == len(possible), order.far)
