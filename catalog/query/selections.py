"""Saved selections: save a named set of scans, list, read and delete them, and the
filter clause `selection = "name"` (and `selection in (a, b)`) compiles to.

A name is unique; saving under a taken name fails unless `replace=True`, so nobody
overwrites a colleague's selection by accident. Each save is one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Text, delete, event, func, insert, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import ExceptionContext

from symcat.query.filters import FilterError
from symcat.store.models import SavedSelection, Scan, SelectionScan

MAX_NAME = 200
UNKNOWN_SELECTION = "SC404"  # raised by symcat_require_selections (migration 0015)


class SelectionError(FilterError):
    """A selection that does not exist, or a name that cannot be used."""


def as_names(value: str | Iterable[str]) -> list[str]:
    """The `selection=` keyword filter's value: one name or several."""
    return [value] if isinstance(value, str) else list(value)


def membership(names: Iterable[str], *, negated: bool = False) -> ColumnElement[bool]:
    """Scans belonging to any of the saved selections `names` (or, `negated`, to none)."""
    members = (select(SelectionScan.scan_id).join(SavedSelection)
               .where(SavedSelection.name.in_(list(names))))
    return Scan.id.not_in(members) if negated else Scan.id.in_(members)


def required(names: Iterable[str]) -> ColumnElement[bool]:
    """True when every name is a saved selection; otherwise the query fails with
    SelectionError (migration 0015), since an unknown name is a mistake to report, not an
    empty answer. ANDed at the top of a query's WHERE (symcat.query.expr.scan_conditions),
    so that it is evaluated whatever the rest of the expression decides."""
    return func.symcat_require_selections(array(sorted(set(names)), type_=Text))


@event.listens_for(Engine, "handle_error")
def _unknown_selection(context: ExceptionContext) -> None:
    """The database's refusal of an unknown selection name (SQLSTATE SC404), as the one
    line it says, for every engine (the CLI, the client and the dashboard show it)."""
    original = context.original_exception
    if getattr(original, "sqlstate", None) == UNKNOWN_SELECTION:
        raise SelectionError(str(original.diag.message_primary)) from None


def save_selection(engine: Engine, name: str, ids: Sequence[uuid.UUID | str], *,
                   where: str | None = None, projection_id: uuid.UUID | str | None = None,
                   replace: bool = False) -> int:
    """Store `ids` under `name`; returns how many scans it holds."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise SelectionError(f"a selection needs a name of 1 to {MAX_NAME} characters")
    keys = sorted({uuid.UUID(str(i)) for i in ids})
    if not keys:
        raise SelectionError(f"selection {name!r} would be empty: select scans first")
    with engine.begin() as conn:
        taken = conn.execute(select(SavedSelection.id).where(SavedSelection.name == name)
                             .with_for_update()).scalar()
        if taken is not None:
            if not replace:
                raise SelectionError(f"a selection named {name!r} exists already; choose "
                                     "another name or replace it")
            conn.execute(delete(SavedSelection).where(SavedSelection.id == taken))
        known = conn.execute(select(func.count()).select_from(Scan)
                             .where(Scan.id.in_(keys))).scalar_one()
        if known != len(keys):
            raise SelectionError(f"{len(keys) - known} of the {len(keys)} scans are not in "
                                 "the catalog")
        selection_id = uuid.uuid4()
        conn.execute(insert(SavedSelection).values(
            id=selection_id, name=name, where_text=where, n_scans=len(keys),
            projection_id=uuid.UUID(str(projection_id)) if projection_id else None))
        conn.execute(insert(SelectionScan), [{"selection_id": selection_id, "scan_id": k}
                                             for k in keys])
    return len(keys)


def list_selections(engine: Engine) -> pd.DataFrame:
    """Every saved selection: name, n_scans, where_text, projection_id, created_at."""
    query = select(SavedSelection.name, SavedSelection.n_scans, SavedSelection.where_text,
                   SavedSelection.projection_id, SavedSelection.created_at
                   ).order_by(SavedSelection.created_at.desc(), SavedSelection.name)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["name", "n_scans", "where_text", "projection_id",
                                       "created_at"])


def selection_ids(engine: Engine, name: str) -> list[uuid.UUID]:
    """The scans of one saved selection; SelectionError lists the names when unknown."""
    with engine.connect() as conn:
        found = conn.execute(select(SavedSelection.id).where(SavedSelection.name == name)
                             ).scalar()
        if found is None:
            names = conn.execute(select(SavedSelection.name).order_by(SavedSelection.name)
                                 ).scalars().all()
            known = ", ".join(repr(n) for n in names) or "none saved yet"
            raise SelectionError(f"no saved selection named {name!r} (saved: {known})")
        return list(conn.execute(select(SelectionScan.scan_id)
                                 .where(SelectionScan.selection_id == found)).scalars())


def delete_selection(engine: Engine, name: str) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(delete(SavedSelection).where(SavedSelection.name == name)
                                 ).rowcount)
