"""Sharing rules at a lab: filter expressions (symcat.query.expr) and what matches carry.

Adding, changing or removing a rule re-evaluates every scan in the same transaction
(symcat.store.sharing.refresh): hubs receive the newly shared scans and lose the ones
that no longer match.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert

from symcat.federation import FederationError
from symcat.query.expr import compile_expression
from symcat.store.models import SharingRule
from symcat.store.sharing import refresh

PARTS = ("pixels", "embeddings", "originals")


@dataclass(frozen=True)
class RuleChange:
    """Rows whose flags changed, per table, after a rule was added or removed."""

    name: str
    changed: dict[str, int]


def compile_rule(where: str) -> str:
    """The expression as SQL over `scans`, values written as literals (they were parsed
    by the filter language, never pasted)."""
    if not where or not where.strip():
        raise FederationError("a sharing rule needs a filter expression, e.g. project = 'open'")
    clause = compile_expression(where)
    dialect = postgresql.dialect(paramstyle="named")
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _parts(share: tuple[str, ...] | list[str]) -> dict[str, bool]:
    unknown = sorted(set(share) - set(PARTS))
    if unknown:
        raise FederationError(f"unknown part(s) {', '.join(unknown)}; a shared scan carries its "
                              f"metadata and any of: {', '.join(PARTS)}")
    return {"channels": "pixels" in share, "embeddings": "embeddings" in share,
            "originals": "originals" in share}


def set_rule(engine: Engine, name: str, where: str,
             share: tuple[str, ...] | list[str] = ()) -> RuleChange:
    """Add the rule `name`, or replace it; `share` lists what matching scans carry beyond
    metadata: pixels (channels with their thumbnails), embeddings, originals."""
    values = {"where_text": where, "predicate_sql": compile_rule(where), **_parts(share)}
    with engine.begin() as conn:
        statement = insert(SharingRule).values(name=name, **values)
        conn.execute(statement.on_conflict_do_update(
            index_elements=["name"], set_={**values, "updated_at": func.now()}))
        return RuleChange(name, refresh(conn))


def remove_rule(engine: Engine, name: str) -> RuleChange:
    with engine.begin() as conn:
        removed = conn.execute(delete(SharingRule).where(SharingRule.name == name)).rowcount
        if not removed:
            known = ", ".join(conn.execute(select(SharingRule.name)).scalars()) or "none"
            raise FederationError(f"no sharing rule named {name!r}; rules: {known}")
        return RuleChange(name, refresh(conn))


def list_rules(engine: Engine) -> pd.DataFrame:
    """The rules, in name order."""
    with engine.connect() as conn:
        rows = conn.execute(select(SharingRule.name, SharingRule.where_text,
                                   SharingRule.channels, SharingRule.embeddings,
                                   SharingRule.originals, SharingRule.updated_at)
                            .order_by(SharingRule.name)).all()
        records = []
        for rule in rows:
            records.append({
                "name": rule.name, "where": rule.where_text,
                "share": ",".join(p for p, on in (("pixels", rule.channels),
                                                  ("embeddings", rule.embeddings),
                                                  ("originals", rule.originals)) if on),
                "updated_at": rule.updated_at,
            })
    return pd.DataFrame.from_records(records, columns=["name", "where", "share", "updated_at"])
