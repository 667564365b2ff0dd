"""Sharing flags: which scans a lab publishes to hubs, and what each carries.

The rules (table `sharing_rules`) are filter expressions, compiled once by
symcat.federation.rules into SQL over `scans` (`predicate_sql`). Publications filter on
each table's own `shared` column (PostgreSQL's row filters can see nothing else), so the
flags are kept in step here, in the transaction that writes a scan (`flags_for`, used by
store.load) and in the one that changes the rules (`refresh`). Child rows inserted later
(embeddings) take their scan's flag from a trigger (migration 0005).

A table added later follows the same pattern: a `shared` column, a unique index of its
key plus `shared` as replica identity, an insert trigger copying the scan's flag, a line
in `refresh`, and an entry in symcat.federation.lab.PUBLISHED_TABLES.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, cast, literal_column, select, text

from symcat.store.models import Scan, SharingRule

FLAGS = ("shared", "share_channels", "share_embeddings", "share_original")
NOT_SHARED = dict.fromkeys(FLAGS, False)


@dataclass(frozen=True)
class Rule:
    predicate_sql: str
    channels: bool
    embeddings: bool
    originals: bool


_RULES = (select(SharingRule.predicate_sql, SharingRule.channels, SharingRule.embeddings,
                 SharingRule.originals)
          .order_by(SharingRule.name))  # built once: it runs for every ingested file


def load_rules(conn: Connection) -> list[Rule]:
    return [Rule(*row) for row in conn.execute(_RULES).all()]


def flag_expressions(rules: Sequence[Rule]) -> dict[str, str]:
    """SQL over `scans` for each flag: shared if any rule matches, a part if any matching
    rule carries it."""
    if not rules:
        return {flag: "false" for flag in FLAGS}

    def any_of(parts: list[str]) -> str:
        return "(" + " OR ".join(parts) + ")" if parts else "false"

    matches = [f"coalesce(({rule.predicate_sql}), false)" for rule in rules]
    return {
        "shared": any_of(matches),
        "share_channels": any_of([m for m, r in zip(matches, rules, strict=True) if r.channels]),
        "share_embeddings": any_of([m for m, r in zip(matches, rules, strict=True)
                                    if r.embeddings]),
        "share_original": any_of([m for m, r in zip(matches, rules, strict=True) if r.originals]),
    }


def flags_for(conn: Connection, values: Mapping[str, Any]) -> dict[str, bool]:
    """The flags of a scan about to be inserted with these column values.

    Evaluated before the insert so the row is born with them: an UPDATE that makes a row
    match a row filter is sent to hubs as an INSERT without its unchanged out-of-line
    (TOAST) values, which a hub could not store.
    """
    rules = load_rules(conn)
    if not rules:
        return dict(NOT_SHARED)
    table = Scan.__table__
    columns = [
        (value if hasattr(value, "compile") else cast(bindparam(f"v_{name}", value,
                                                                type_=table.c[name].type),
                                                      table.c[name].type)).label(name)
        for name, value in values.items() if name in table.c
    ]
    scans = select(*columns).subquery("scans")
    expressions = flag_expressions(rules)
    row = conn.execute(
        select(*[literal_column(f"({sql})").label(flag) for flag, sql in expressions.items()])
        .select_from(scans)
    ).one()
    return {flag: bool(row._mapping[flag]) for flag in FLAGS}


# Rows that start to be shared get their out-of-line values rewritten (`|| ''`), so that
# the INSERT a hub receives carries them (see flags_for).
_REFRESH = (
    """UPDATE scans SET {sets},
           document = CASE WHEN NOT shared AND ({shared}) THEN document || '{{}}'::jsonb
                           ELSE document END
       WHERE ({flags}) IS DISTINCT FROM ({values})""",
    """UPDATE channels c SET shared = s.share_channels,
           pixels_u16 = CASE WHEN s.share_channels THEN c.pixels_u16 || ''::bytea
                             ELSE c.pixels_u16 END,
           thumbnail_png = CASE WHEN s.share_channels THEN c.thumbnail_png || ''::bytea
                                ELSE c.thumbnail_png END
       FROM scans s WHERE s.id = c.scan_id AND c.shared <> s.share_channels""",
    """UPDATE embeddings e SET shared = s.share_embeddings,
           vector = CASE WHEN s.share_embeddings THEN subvector(e.vector, 1, vector_dims(e.vector))
                         ELSE e.vector END
       FROM scans s WHERE s.id = e.scan_id AND e.shared <> s.share_embeddings""",
    # Labels and predictions follow their scan; a run is shared once one of its
    # predictions is (migration 0010), its JSON rewritten out of line when it starts.
    """UPDATE scan_labels l SET shared = s.shared
       FROM scans s WHERE s.id = l.scan_id AND l.shared <> s.shared""",
    """UPDATE predictions p SET shared = s.shared
       FROM scans s WHERE s.id = p.scan_id AND p.shared <> s.shared""",
    """UPDATE propagation_runs r SET shared = f.share,
           graph = CASE WHEN f.share THEN r.graph || '{}'::jsonb ELSE r.graph END,
           label_snapshot = CASE WHEN f.share THEN r.label_snapshot || '{}'::jsonb
                                 ELSE r.label_snapshot END,
           timings = CASE WHEN f.share THEN r.timings || '{}'::jsonb ELSE r.timings END
       FROM (SELECT r2.id, EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = r2.id
                 AND p.shared) AS share FROM propagation_runs r2) f
       WHERE f.id = r.id AND r.shared <> f.share""",
    # Plane groups follow their scan too (migration 0016).
    """UPDATE symmetry_predictions p SET shared = s.shared
       FROM scans s WHERE s.id = p.scan_id AND p.shared <> s.shared""",
    # Last: a hub keeps an original that another lab still shares (migration 0005).
    """UPDATE original_files o SET shared = f.share,
           content = CASE WHEN f.share THEN o.content || ''::bytea ELSE o.content END
       FROM (SELECT o2.file_sha256, EXISTS (SELECT 1 FROM scans s WHERE s.file_sha256 =
                 o2.file_sha256 AND s.share_original) AS share FROM original_files o2) f
       WHERE f.file_sha256 = o.file_sha256 AND o.shared <> f.share""",
)


TABLES = ("scans", "channels", "embeddings", "scan_labels", "predictions", "propagation_runs",
          "symmetry_predictions", "original_files")


def flagged_tables(conn: Connection) -> set[str]:
    """The tables of this catalog that have a `shared` flag: a catalog served by URL is
    upgraded only when asked, and one revision behind (before migration 0016) lacks
    `symmetry_predictions.shared`; its other tables are shared as before."""
    return set(conn.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND column_name = 'shared'")).scalars())


def refresh(conn: Connection) -> dict[str, int]:
    """Re-evaluate every scan against the current rules in the caller's transaction;
    returns the rows changed per table. A row that stops matching reaches hubs as a
    DELETE, one that starts matching as an INSERT."""
    expressions = flag_expressions(load_rules(conn))
    sets = ", ".join(f"{flag} = {sql}" for flag, sql in expressions.items())
    first = _REFRESH[0].format(sets=sets, shared=expressions["shared"], flags=", ".join(FLAGS),
                               values=", ".join(expressions.values()))
    changed = {}
    flagged = flagged_tables(conn)
    for table, statement in zip(TABLES, (first, *_REFRESH[1:]), strict=True):
        if table not in flagged:
            changed[table] = 0
            continue
        # Colons escaped: text() would read ':word' inside a rule's quoted value as a bind.
        changed[table] = int(conn.execute(text(statement.replace(":", r"\:"))).rowcount or 0)
    return changed
