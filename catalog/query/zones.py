"""A model's search lists held in memory: centroids and zone maps, checked by a version.

Ordering the lists for a query and asking PostgreSQL which of them a filter may match
(the same rule as SQL over every `search_lists` row of the model) cost 10-40 ms at 1,000
lists on 2 busy cores: too much to pay before the probe of every filtered query, so the
planner used to learn only after the probe that a filter excludes the query's
neighbourhood. Here the lists are read once per model and kept with a version (row
count, the sum of the rows' `xmin`, the newest build time: any rebuild, widened summary
or removed list changes it; about 1 ms to read), and `possible` evaluates the rule in
numpy: a list may match unless its ranges or distinct values prove that no row passes.
Where it cannot read a condition it keeps every list. (The SQL form is the tests'
oracle, tests/query/zone_oracle.py.)
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, literal, select, text
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseList,
    Grouping,
)

from symcat.store.engine import model_key
from symcat.store.models import Scan, SearchList
from symcat.store.models.search_code import LISTED_COLUMNS, RANGED_COLUMNS
from symcat.store.search_lists import stored_centroids

_VERSION = text("SELECT count(*), coalesce(sum(xmin::text::bigint), 0), max(built_at) "
                "FROM search_lists WHERE model_id = :m")


@dataclass(frozen=True)
class Zones:
    """One model's lists in list_id order: ids, rows, unit centroids and summaries."""

    version: tuple[Any, ...]
    ids: list[int]
    rows: list[int]
    centroids: np.ndarray
    ranges: dict[str, tuple[np.ndarray, np.ndarray]]  # column: (min, max), NaN for NULL
    values: dict[str, list[frozenset[str] | None]]  # column: distinct values, None: any

    def possible(self, clauses: list[Any]) -> np.ndarray:
        """Which lists may hold a row passing every clause (conditions on `scans`)."""
        mask = np.ones(len(self.ids), dtype=bool)
        for clause in clauses:
            mask &= self._mask(clause)
        return mask

    def _mask(self, clause: Any) -> np.ndarray:
        everything = np.ones(len(self.ids), dtype=bool)
        if isinstance(clause, Grouping):
            return self._mask(clause.element)
        if isinstance(clause, BooleanClauseList):
            parts = [self._mask(c) for c in clause.clauses]
            if clause.operator is operators.and_:
                return np.logical_and.reduce(parts) if parts else everything
            if clause.operator is operators.or_:
                return np.logical_or.reduce(parts) if parts else everything
            return everything
        if not isinstance(clause, BinaryExpression):
            return everything
        column, op, right = clause.left, clause.operator, clause.right
        name = getattr(column, "name", None)
        if getattr(column, "table", None) is not Scan.__table__:
            return everything
        if name in self.ranges:
            low, high = self.ranges[name]
            with np.errstate(invalid="ignore"):  # NaN (no values): compares False, as NULL
                if op in (operator.lt, operator.le) and (v := _number(right)) is not None:
                    return low <= v
                if op in (operator.gt, operator.ge) and (v := _number(right)) is not None:
                    return high >= v
                if op is operator.eq and (v := _number(right)) is not None:
                    return (low <= v) & (high >= v)
                if op is operators.between_op and isinstance(right, ClauseList) \
                        and len(right.clauses) == 2:
                    a, b = (_number(c) for c in right.clauses)
                    if a is not None and b is not None:
                        return (high >= a) & (low <= b)
            return everything
        if name in self.values:
            held = self.values[name]
            if op is operator.eq and _bound(right):
                wanted = {str(right.value)}
            elif op is operators.in_op and isinstance(right, BindParameter) \
                    and right.expanding and isinstance(right.value, list | tuple):
                wanted = {str(v) for v in right.value}
            else:
                return everything
            return np.array([h is None or not h.isdisjoint(wanted) for h in held], dtype=bool)
        return everything


def _bound(element: Any) -> bool:
    return isinstance(element, BindParameter) and not element.expanding


def _number(element: Any) -> float | None:
    """A bound value as a float (timestamps: epoch seconds); None where it is not one."""
    if not _bound(element):
        return None
    value = element.value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    return None


# Keyed by database and model (`model_key`): a process that searches several catalogs
# would otherwise reload one model's lists each time it switched between them.
_CACHE: dict[tuple[str, int], Zones] = {}


def zones(conn: Connection, model_id: int) -> Zones:
    """The model's lists as of this transaction, from memory when their version is
    unchanged. Where only summaries changed (a write widened one: the same lists, the
    same build), the summaries are read again and the centroids kept: they are 2 MB at
    1,000 lists of 1,024-d, read after every ingest batch otherwise."""
    version = tuple(conn.execute(_VERSION, {"m": model_id}).one())
    key = model_key(conn, model_id)
    cached = _CACHE.get(key)
    if cached is not None and cached.version == version:
        return cached
    same_build = cached is not None and (cached.version[0], cached.version[2]) == (
        version[0], version[2])
    columns = [SearchList.list_id, SearchList.rows,
               *(getattr(SearchList, f"{e}_{c}") for c in RANGED_COLUMNS for e in ("min", "max")),
               *(getattr(SearchList, f"{c}s") for c in LISTED_COLUMNS)]
    rows = conn.execute(select(*columns)
                        .where(SearchList.model_id == literal(model_id, literal_execute=True))
                        .order_by(SearchList.list_id)).all()
    ids = [r.list_id for r in rows]
    if same_build:
        held, centroids = cached.ids, cached.centroids  # type: ignore[union-attr]
    else:
        centroid_ids, centroids = stored_centroids(conn, model_id)
        held = centroid_ids.tolist()
    if ids != held:  # not the lists held, or a rebuild between the reads: read them whole
        _CACHE.pop(key, None)
        return zones(conn, model_id)
    ranges = {c: (np.array([_float(getattr(r, f"min_{c}")) for r in rows], dtype=np.float64),
                  np.array([_float(getattr(r, f"max_{c}")) for r in rows], dtype=np.float64))
              for c in RANGED_COLUMNS}
    values = {c: [None if getattr(r, f"{c}s") is None else frozenset(getattr(r, f"{c}s"))
                  for r in rows] for c in LISTED_COLUMNS}
    loaded = Zones(version, ids, [r.rows for r in rows], centroids, ranges, values)
    _CACHE[key] = loaded
    return loaded


def _float(value: Any) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)
