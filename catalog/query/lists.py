"""The listed compact pass: only the lists of codes near the query that a filter can match.

`search_codes` is grouped into lists by nearest centroid (`symcat.store.search_lists`),
each with a conservative summary of its copied filter columns. The pass

1. ranks the model's lists by centroid distance to the query, and drops those whose
   summary proves that no row passes the filter (`zone_clause`: ranges for the numeric
   and time columns, distinct values for the text ones; a condition it cannot read,
   or on a column the copy lacks, rules nothing out);
2. reads the nearest remaining lists, codes and filter, until it has seen `passing`
   passing rows (the stop rule; the share of a list's rows expected to pass is the
   filter's estimate over the rows of the lists not ruled out, corrected by what the
   first read saw);
3. re-ranks the `candidates` nearest by Hamming distance with the full vectors (all of
   them, i.e. an exact answer over the lists read, when no more passed).

Exhaustive when every list that may hold a passing row is read (the answer is then the
full compact pass's, and exact where at most `candidates` rows pass).
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import (
    Connection,
    Float,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseList,
    Grouping,
)

from symcat.query.compact import _on_codes, reads_codes_only, rerank
from symcat.store.models import Scan, SearchCode, SearchList
from symcat.store.models.search_code import LISTED_COLUMNS, RANGED_COLUMNS

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
FAR_PASSING = 2_500
NEAR_LISTS = 2  # the query's neighbourhood: its nearest lists


@dataclass(frozen=True)
class ListedPass:
    """What one listed pass read, for Plan.reason."""

    lists: int  # lists of the model
    possible: int  # lists the summaries did not rule out
    read: int  # lists read
    passing: int  # passing rows seen in them
    exhaustive: bool  # every possible list was read
    far: bool = False  # the query's nearest lists were ruled out

    def describe(self) -> str:
        return (f"lists: read {self.read} of {self.possible} not ruled out ({self.lists} "
                f"in all), {self.passing} passing rows" + (", exhaustive" if self.exhaustive
                                                           else "")
                + (", neighbourhood ruled out: all re-ranked" if self.far else ""))


_RANGES = {Scan.__table__.c[c]: (SearchList.__table__.c[f"min_{c}"],
                                 SearchList.__table__.c[f"max_{c}"]) for c in RANGED_COLUMNS}
_VALUES = {Scan.__table__.c[c]: SearchList.__table__.c[f"{c}s"] for c in LISTED_COLUMNS}
_LOWER = (operator.lt, operator.le)
_UPPER = (operator.gt, operator.ge)


def zone_clause(clause: Any) -> Any:
    """A condition on `search_lists` true for every list that may hold a row passing
    `clause` (a condition on `scans`); `true()` where it cannot tell."""
    if isinstance(clause, Grouping):
        return zone_clause(clause.element)
    if isinstance(clause, BooleanClauseList):
        parts = [zone_clause(c) for c in clause.clauses]
        if clause.operator is operators.and_:
            return and_(*parts)
        if clause.operator is operators.or_:
            return or_(*parts)
        return true()
    if not isinstance(clause, BinaryExpression):
        return true()
    column, op, right = clause.left, clause.operator, clause.right
    if column in _RANGES:
        low, high = _RANGES[column]
        if op in _LOWER and _bound(right):
            return low <= right
        if op in _UPPER and _bound(right):
            return high >= right
        if op is operator.eq and _bound(right):
            return and_(low <= right, high >= right)
        if op is operators.between_op and isinstance(right, ClauseList) \
                and len(right.clauses) == 2 and all(_bound(c) for c in right.clauses):
            return and_(high >= right.clauses[0], low <= right.clauses[1])
        return true()
    if column in _VALUES:
        values = _VALUES[column]
        if op is operator.eq and _bound(right):
            return or_(values.is_(None), cast(right, values.type.item_type) == func.any(values))
        if op is operators.in_op and isinstance(right, BindParameter) and right.expanding \
                and isinstance(right.value, list | tuple):
            wanted = [str(v) for v in right.value]
            return or_(values.is_(None), values.overlap(cast(wanted, values.type)))
    return true()


def _bound(element: Any) -> bool:
    return isinstance(element, BindParameter) and not element.expanding


def listed_pass(conn: Connection, model_id: int, dim: int, q: Any, clauses: Sequence[Any],
                k: int, estimated: float, *, passing: int | None = None,
                candidates: int | None = None) -> tuple[list[tuple[uuid.UUID, float]],
                                                      ListedPass] | None:
    """The pass of the module docstring; None when the model has too few lists."""
    passing = passing or PASSING
    candidates = candidates or CANDIDATES
    far = False
    qv = cast(q, HALFVEC(dim))
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # small reads
    zone = and_(true(), *(zone_clause(c) for c in clauses[1:]))
    lists = conn.execute(
        select(SearchList.list_id, SearchList.rows, zone.label("possible"))
        .where(SearchList.model_id == literal(model_id, literal_execute=True))
        .order_by(SearchList.centroid.cosine_distance(qv))).all()
    if len(lists) < MIN_LISTS:
        return None
    possible = [(r.list_id, r.rows) for r in lists if r.possible]
    if not any(r.possible for r in lists[:NEAR_LISTS]):
        passing = candidates = FAR_PASSING
        far = True
    rows_possible = sum(n for _, n in possible)
    share = min(1.0, max(estimated, 1.0) / max(rows_possible, 1))
    codes_only = reads_codes_only(clauses)
    query_code = func.symcat_search_code(qv)
    hamming = SearchCode.code.op("<~>", return_type=Float())(query_code).label("hamming")
    filtered = _on_codes(clauses, codes_only)
    found: dict[uuid.UUID, int] = {}
    seen, read, rows_read = 0, 0, 0
    while read < len(possible):
        wanted = passing - seen
        batch: list[int] = []
        while read < len(possible) and (wanted > 0 or not batch):
            list_id, n = possible[read]
            batch.append(list_id)
            wanted -= n * share
            rows_read += n
            read += 1
        unlisted = SearchCode.list_id.is_(None) if len(batch) == read else false()
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # the lists by their index
        statement = select(SearchCode.scan_id, hamming, func.count().over().label("n")) \
            .select_from(SearchCode)
        if not codes_only:
            statement = statement.join(Scan, Scan.id == SearchCode.scan_id)
        rows = conn.execute(
            statement.where(*filtered, or_(SearchCode.list_id == func.any(
                bindparam("lists", batch)), unlisted))
            .order_by(hamming).limit(candidates)).all()
        if rows:
            seen += int(rows[0].n)
        found.update((r.scan_id, int(r.hamming)) for r in rows)
        if seen >= passing:
            break
        share = max(seen, 1) / max(rows_read, 1)  # what the lists read so far held
    best = sorted(found, key=found.__getitem__)[:max(candidates, k)]
    exhaustive = read == len(possible)
    return rerank(conn, model_id, q, best, k), ListedPass(len(lists), len(possible), read,
                                                           seen, exhaustive, far)

