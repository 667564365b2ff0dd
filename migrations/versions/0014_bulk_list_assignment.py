"""search lists assigned in bulk: new vectors' lists handed over by the writer

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

Migration 0013's statement trigger on `embeddings` looked up each new code's list among
the model's centroid codes, ~0.35 ms a vector at 1,000 lists: the bare vector write was
3.1 times slower with lists (benchmarks/RESULTS.md). `symcat.embed.run.store_vectors`
now assigns its batch in numpy (symcat.store.list_assignment: the exact nearest
centroid, as a build assigns) and copies the list ids with the vectors into its
session's temporary table `symcat_new_vectors`, from which it inserts them. The trigger
takes a new row's list from there where the row is there with the very same vector and
the list exists; any other row (another writer's, a session without that table, a list
id of no list) has its list looked up as before. A hub's replication fires the row
trigger only, and an UPDATE of a vector too: both unchanged. The widening of the lists'
summaries (statement triggers on `search_codes`) covers every row given a list, however
it was found, as before; its function now compares the new rows' summary with each
list's first and computes widened values only for the lists that change.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("site", "imaging_mode", "sample_name", "acquired_at", "scan_size_x_m",
          "drive_frequency_hz")
RANGED = ("acquired_at", "scan_size_x_m", "drive_frequency_hz")
LISTED = ("site", "imaging_mode", "sample_name")
_COLUMNS = ", ".join(COPIED)
_FROM_SCAN = ", ".join(f"s.{c}" for c in COPIED)

# migration 0013's body: each new code's list looked up among the centroid codes
_LOOKED_UP = f"""
          INSERT INTO search_codes (scan_id, model_id, code, list_id, {_COLUMNS})
          SELECT n.scan_id, n.model_id, n.code, symcat_search_list(n.model_id, n.code),
                 {_FROM_SCAN}
            FROM (SELECT scan_id, model_id, symcat_search_code(vector) AS code
                    FROM new_rows OFFSET 0) n JOIN scans s ON s.id = n.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE
            SET code = EXCLUDED.code, list_id = EXCLUDED.list_id;"""
# The writer's lists, for the rows it wrote with the vectors they were computed for, and
# only where the list exists (a primary-key lookup a row: a join read every model's
# lists); the lookup for every other row.
_HANDED_OVER = f"""
          INSERT INTO search_codes (scan_id, model_id, code, list_id, {_COLUMNS})
          SELECT n.scan_id, n.model_id, n.code,
                 coalesce((SELECT l.list_id FROM search_lists l WHERE l.model_id = n.model_id
                              AND l.list_id = h.list_id),
                          symcat_search_list(n.model_id, n.code)), {_FROM_SCAN}
            FROM (SELECT scan_id, model_id, vector, symcat_search_code(vector) AS code
                    FROM new_rows OFFSET 0) n JOIN scans s ON s.id = n.scan_id
            LEFT JOIN pg_temp.symcat_new_vectors h ON h.scan_id = n.scan_id
                  AND h.model_id = n.model_id AND h.vector = n.vector
          ON CONFLICT (scan_id, model_id) DO UPDATE
            SET code = EXCLUDED.code, list_id = EXCLUDED.list_id;"""
INSERT_FUNCTION = "symcat_search_code_insert"
# The table exists only in sessions that ran `store_vectors` (empty after each commit).
BODY = f"""
        BEGIN
          IF to_regclass('pg_temp.symcat_new_vectors') IS NOT NULL THEN{_HANDED_OVER}
          ELSE{_LOOKED_UP}
          END IF;
          RETURN NULL;
        END"""
OLD_BODY = f"""
        BEGIN{_LOOKED_UP}
          RETURN NULL;
        END"""

# The summaries' widening (migration 0013's statement triggers on search_codes, which
# stay): the same lists written with the same values, but the new rows' summary is
# compared with each list's cheaply (ranges, array containment) and the widened values
# are computed for the lists that change only, in one join: 0013's body computed them
# for every list touched, in a second join, as dear when nothing widened
# (benchmarks/compact_writes.py --old-widening).
WIDEN_FUNCTION = "symcat_search_list_widen"
_SUMMARY = ", ".join([f"min({c}) AS min_{c}, max({c}) AS max_{c}" for c in RANGED]
                     + [f"array_agg(DISTINCT {c}::text) FILTER (WHERE {c} IS NOT NULL) "
                        f"AS {c}s" for c in LISTED])
_SUMMARY_COLUMNS = [*(f"{e}_{c}" for c in RANGED for e in ("min", "max")),
                    *(f"{c}s" for c in LISTED)]
_RANGES = [(f"LEAST(l.min_{c}, a.min_{c})", f"GREATEST(l.max_{c}, a.max_{c})") for c in RANGED]
_OUTSIDE = " OR ".join(
    [f"l.min_{c} IS DISTINCT FROM {low} OR l.max_{c} IS DISTINCT FROM {high}"
     for c, (low, high) in zip(RANGED, _RANGES, strict=True)]
    # NULL: the list may hold any value (or no row has one): nothing to widen
    + [f"NOT coalesce(a.{c}s <@ l.{c}s, true)" for c in LISTED])
WIDEN_BODY = f"""
        BEGIN
          UPDATE search_lists l SET ({", ".join(_SUMMARY_COLUMNS)}) =
                 ({", ".join([x for pair in _RANGES for x in pair]
                             + [f"symcat_widen_values(l.{c}s, a.{c}s)" for c in LISTED])})
            FROM (SELECT model_id, list_id, {_SUMMARY} FROM new_codes
                   WHERE list_id IS NOT NULL GROUP BY model_id, list_id) a
           WHERE l.model_id = a.model_id AND l.list_id = a.list_id AND ({_OUTSIDE});
          RETURN NULL;
        END"""
_WIDENED = ", ".join([f"LEAST(l.min_{c}, a.min_{c}) AS min_{c}, "
                      f"GREATEST(l.max_{c}, a.max_{c}) AS max_{c}" for c in RANGED]
                     + [f"symcat_widen_values(l.{c}s, a.{c}s) AS {c}s" for c in LISTED])
OLD_WIDEN_BODY = f"""
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
        END"""


def _create_function(name: str, body: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $${body}$$")


def upgrade() -> None:
    _create_function(INSERT_FUNCTION, BODY)
    _create_function(WIDEN_FUNCTION, WIDEN_BODY)


def downgrade() -> None:
    _create_function(WIDEN_FUNCTION, OLD_WIDEN_BODY)
    _create_function(INSERT_FUNCTION, OLD_BODY)
