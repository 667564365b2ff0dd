"""search lists assigned in bulk: new vectors' lists handed over by the writer

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

Migration 0013's statement trigger on `embeddings` looked up each new code's list among
the model's centroid codes, ~0.35 ms a vector at 1,000 lists: the bare vector write was
3.1 times slower with lists (benchmarks/RESULTS.md). `symcat.embed.run.store_vectors`
now assigns its batch in numpy (symcat.store.list_assignment) and copies the list ids
with the vectors into its temporary table `symcat_new_vectors`; with the
transaction-local setting `symcat.listed_vectors` on, the trigger takes each new row's
list from there, and leaves `list_id` NULL (a code every listed pass reads, assigned at
the next index check) where none was handed over or the list handed over does not exist.
Without the setting (other sessions, a hub's replication, which fires the row trigger
only, an UPDATE of a vector) nothing changes. The widening of the lists' summaries
(statement triggers on `search_codes`) is unchanged: it covers every row given a list.
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
# The writer's lists, kept only where the list exists (a NULL is always safe: read by
# every listed pass; a list id of no list would hide the row from them).
_HANDED_OVER = f"""
          INSERT INTO search_codes (scan_id, model_id, code, list_id, {_COLUMNS})
          SELECT n.scan_id, n.model_id, n.code, l.list_id, {_FROM_SCAN}
            FROM (SELECT scan_id, model_id, symcat_search_code(vector) AS code
                    FROM new_rows OFFSET 0) n JOIN scans s ON s.id = n.scan_id
            LEFT JOIN pg_temp.symcat_new_vectors h
                   ON h.scan_id = n.scan_id AND h.model_id = n.model_id
            LEFT JOIN search_lists l ON l.model_id = h.model_id AND l.list_id = h.list_id
          ON CONFLICT (scan_id, model_id) DO UPDATE
            SET code = EXCLUDED.code, list_id = EXCLUDED.list_id;"""
INSERT_FUNCTION = "symcat_search_code_insert"
BODY = f"""
        BEGIN
          IF current_setting('symcat.listed_vectors', true) = 'on' THEN{_HANDED_OVER}
          ELSE{_LOOKED_UP}
          END IF;
          RETURN NULL;
        END"""
OLD_BODY = f"""
        BEGIN{_LOOKED_UP}
          RETURN NULL;
        END"""


def _create_function(name: str, body: str) -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
               f"SET search_path FROM CURRENT AS $${body}$$")


def upgrade() -> None:
    _create_function(INSERT_FUNCTION, BODY)


def downgrade() -> None:
    _create_function(INSERT_FUNCTION, OLD_BODY)
