"""The zone-map rule as SQL over `search_lists`: the tests' oracle for the rule the planner
evaluates in memory (`symcat.query.zones`), written apart from it so that the two can be
compared, and checked against the rows PostgreSQL finds passing."""

from __future__ import annotations

import operator
from typing import Any

from sqlalchemy import and_, cast, func, or_, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseList,
    Grouping,
)

from symcat.store.models import Scan, SearchList
from symcat.store.models.search_code import LISTED_COLUMNS, RANGED_COLUMNS

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
