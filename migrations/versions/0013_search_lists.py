"""search lists: the compact copy grouped by nearest centroid, with per-list zone maps

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

`search_lists` holds per model about sqrt(N) centroids (spherical k-means of the model's
vectors, symcat.store.search_lists) and, per list, a conservative summary of the copied
filter columns: min/max of the numeric and time ones, the distinct values of the text
ones (NULL: too many to list). `search_codes.list_id` is each row's nearest centroid.
The 0012 trigger functions are replaced by ones that also assign `list_id` (NULL while a
model has no lists: such rows are always scanned), and statement triggers on
`search_codes` widen a list's summary when a row written there falls outside it (never
narrowed by deletes: a summary may over-state, never under-state, what a list holds).
Existing catalogs get their lists here (numpy batches: minutes at 1M vectors).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("site", "imaging_mode", "sample_name", "acquired_at", "scan_size_x_m",
          "drive_frequency_hz")
RANGED = ("acquired_at", "scan_size_x_m", "drive_frequency_hz")
LISTED = ("site", "imaging_mode", "sample_name")
MAX_VALUES = 32  # distinct text values a list summary names; more: NULL (any value)
_COLUMNS = ", ".join(COPIED)
_FROM_SCAN = ", ".join(f"s.{c}" for c in COPIED)

FUNCTIONS = [
    # The list of a new code (NULL while the model has no lists): the centroid whose code
    # is nearest by Hamming distance, about 0.1 ms a vector at 1,000 lists, where the
    # exact nearest centroid (inner products of 1,024-d halfvecs) cost 3-8 ms a vector:
    # 16 times the bare vector write. Lists built in numpy use the exact nearest.
    "CREATE FUNCTION symcat_search_list(model integer, code varbit) RETURNS integer "
    "LANGUAGE sql STABLE PARALLEL SAFE RETURN (SELECT l.list_id FROM search_lists l "
    "WHERE l.model_id = model ORDER BY l.centroid_code <~> code, l.list_id LIMIT 1)",
    # A list's distinct values widened by new ones; NULL once there are too many.
    "CREATE FUNCTION symcat_widen_values(old text[], add text[]) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN CASE WHEN add IS NULL OR add <@ old "
    "THEN old WHEN old IS NULL THEN NULL ELSE (SELECT CASE WHEN count(*) > "
    f"{MAX_VALUES} THEN NULL ELSE array_agg(x ORDER BY x) END FROM (SELECT DISTINCT "
    "unnest(old || add) AS x) d) END",
]

_SUMMARY = ", ".join([f"min({c}) AS min_{c}, max({c}) AS max_{c}" for c in RANGED]
                     + [f"array_agg(DISTINCT {c}::text) FILTER (WHERE {c} IS NOT NULL) "
                        f"AS {c}s" for c in LISTED])
_WIDENED = ", ".join([f"LEAST(l.min_{c}, a.min_{c}) AS min_{c}, "
                      f"GREATEST(l.max_{c}, a.max_{c}) AS max_{c}" for c in RANGED]
                     + [f"symcat_widen_values(l.{c}s, a.{c}s) AS {c}s" for c in LISTED])
_SUMMARY_COLUMNS = [*(f"{e}_{c}" for c in RANGED for e in ("min", "max")),
                    *(f"{c}s" for c in LISTED)]
TRIGGER_FUNCTIONS = {
    "symcat_search_code_write": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, list_id, {_COLUMNS})
          SELECT NEW.scan_id, NEW.model_id, c.code,
                 symcat_search_list(NEW.model_id, c.code), {_FROM_SCAN}
            FROM scans s, (SELECT symcat_search_code(NEW.vector) AS code) c
           WHERE s.id = NEW.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE
            SET code = EXCLUDED.code, list_id = EXCLUDED.list_id;
          RETURN NULL;
        END""",
    "symcat_search_code_insert": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, list_id, {_COLUMNS})
          SELECT n.scan_id, n.model_id, n.code, symcat_search_list(n.model_id, n.code),
                 {_FROM_SCAN}
            FROM (SELECT scan_id, model_id, symcat_search_code(vector) AS code
                    FROM new_rows OFFSET 0) n JOIN scans s ON s.id = n.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE
            SET code = EXCLUDED.code, list_id = EXCLUDED.list_id;
          RETURN NULL;
        END""",
    # Rows written to search_codes (new, re-embedded, edited metadata) widen their list's
    # summary where they fall outside it; a list already covering them is not written.
    "symcat_search_list_widen": f"""
        BEGIN
          UPDATE search_lists l SET ({", ".join(_SUMMARY_COLUMNS)}) =
                 ({", ".join(f"w.{c}" for c in _SUMMARY_COLUMNS)})
            FROM (SELECT l.model_id, l.list_id, {_WIDENED}
                    FROM (SELECT model_id, list_id, {_SUMMARY} FROM new_codes
                           WHERE list_id IS NOT NULL GROUP BY model_id, list_id) a
                    JOIN search_lists l USING (model_id, list_id)) w
           WHERE l.model_id = w.model_id AND l.list_id = w.list_id
             AND ({", ".join(f"l.{c}" for c in _SUMMARY_COLUMNS)}) IS DISTINCT FROM
                 ({", ".join(f"w.{c}" for c in _SUMMARY_COLUMNS)});
          RETURN NULL;
        END""",
}
# (name, table, event, function, row or statement and condition, enabled when)
TRIGGERS = [
    ("symcat_search_list_widen_insert", "search_codes", "AFTER INSERT",
     "symcat_search_list_widen", "REFERENCING NEW TABLE AS new_codes FOR EACH STATEMENT",
     "ENABLE ALWAYS"),
    ("symcat_search_list_widen_update", "search_codes", "AFTER UPDATE",
     "symcat_search_list_widen", "REFERENCING NEW TABLE AS new_codes FOR EACH STATEMENT",
     "ENABLE ALWAYS"),
]

# migration 0012's bodies, restored by the downgrade
OLD_TRIGGER_FUNCTIONS = {
    "symcat_search_code_write": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, {_COLUMNS})
          SELECT NEW.scan_id, NEW.model_id, symcat_search_code(NEW.vector), {_FROM_SCAN}
            FROM scans s WHERE s.id = NEW.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE SET code = EXCLUDED.code;
          RETURN NULL;
        END""",
    "symcat_search_code_insert": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, {_COLUMNS})
          SELECT n.scan_id, n.model_id, symcat_search_code(n.vector), {_FROM_SCAN}
            FROM new_rows n JOIN scans s ON s.id = n.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE SET code = EXCLUDED.code;
          RETURN NULL;
        END""",
}


def _create_function(name: str, body: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $${body}$$")


def upgrade() -> None:
    op.create_table(
        "search_lists",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("centroid", HALFVEC(), nullable=False, comment="unit vector"),
        sa.Column("centroid_code", postgresql.BIT(varying=True), nullable=False,
                  comment="symcat_search_code(centroid): new codes' list by Hamming distance"),
        sa.Column("rows", sa.Integer(), nullable=False,
                  comment="rows assigned when the lists were built"),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(f"{e}_acquired_at", sa.DateTime(timezone=True), nullable=True)
          for e in ("min", "max")),
        *(sa.Column(f"{e}_{c}", sa.Float(), nullable=True)
          for c in ("scan_size_x_m", "drive_frequency_hz") for e in ("min", "max")),
        *(sa.Column(f"{c}s", postgresql.ARRAY(sa.Text()), nullable=True,
                    comment=f"distinct {c} values; NULL: more than {MAX_VALUES}")
          for c in LISTED),
        sa.ForeignKeyConstraint(["model_id"], ["embedding_models.id"], ondelete="CASCADE",
                                name=op.f("fk_search_lists_model_id_embedding_models")),
        sa.PrimaryKeyConstraint("model_id", "list_id", name=op.f("pk_search_lists")),
    )
    op.add_column("search_codes", sa.Column("list_id", sa.Integer(), nullable=True,
                                            comment="nearest centroid in search_lists"))
    op.create_index(op.f("ix_search_codes_model_id_list_id"), "search_codes",
                    ["model_id", "list_id"])
    for statement in FUNCTIONS:
        op.execute(statement)
    for name, body in TRIGGER_FUNCTIONS.items():
        _create_function(name, body)
    for trigger, table, when, function, each, enabled in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} ON {table} {each} "
                   f"EXECUTE FUNCTION {function}()")
        op.execute(f"ALTER TABLE {table} {enabled} TRIGGER {trigger}")
    from symcat.store.search_lists import build_all_lists

    build_all_lists(op.get_bind())


def downgrade() -> None:
    for trigger, table, *_ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name, body in OLD_TRIGGER_FUNCTIONS.items():
        _create_function(name, body)
    op.execute("DROP FUNCTION IF EXISTS symcat_search_list_widen()")
    op.execute("DROP FUNCTION IF EXISTS symcat_widen_values(text[], text[])")
    op.execute("DROP FUNCTION IF EXISTS symcat_search_list(integer, varbit)")
    op.drop_index(op.f("ix_search_codes_model_id_list_id"), table_name="search_codes")
    op.drop_column("search_codes", "list_id")
    op.drop_table("search_lists")
