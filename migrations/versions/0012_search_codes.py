"""search codes: a compact copy of the vectors for filtered exact kNN passes

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

`search_codes` holds per (scan, model) a 2-bit code of the vector (`symcat_search_code`,
below: each coordinate's quartile level, thermometer-coded in 3 bits so that pgvector's
Hamming distance is the L1 distance between levels) and the scan columns filters use most
(symcat.store.models.search_code). Triggers keep it
in step inside the transactions that write embeddings and scans, whoever writes them:
`symcat embed`, a COPY, a re-embedding, or a hub's replication apply workers (new vectors:
a statement trigger in a lab's own sessions, a row trigger enabled for replication only,
since apply workers fire no statement triggers; updates and deletes: row triggers enabled
ALWAYS). The table itself is never published: each catalog derives its own. The
foreign key to `embeddings` removes a row with its vector in a lab's own sessions; the
delete trigger does the same where foreign keys do not act (replicated deletes).
Existing catalogs are backfilled here (about 30 s per million vectors).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("site", "imaging_mode", "sample_name", "acquired_at", "scan_size_x_m",
          "drive_frequency_hz")
_COLUMNS = ", ".join(COPIED)
_FROM_SCAN = ", ".join(f"s.{c}" for c in COPIED)

# The quartiles of a coordinate of a random unit vector of d dimensions: +-0.674 / sqrt(d)
# (and 0). Fixed, so the code of a vector never depends on other vectors.
_LEVEL = "array_fill(0.674 / sqrt(vector_dims(v)), ARRAY[vector_dims(v)])::halfvec"
# One expression without a SET clause, so PostgreSQL can inline it into the statement
# that calls it instead of running a function per row.
CODE_FUNCTION = (
    "CREATE FUNCTION symcat_search_code(v halfvec) RETURNS varbit "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN "
    f"binary_quantize(v - {_LEVEL})::varbit || binary_quantize(v)::varbit "
    f"|| binary_quantize(v + {_LEVEL})::varbit"
)

TRIGGER_FUNCTIONS = {
    "symcat_search_code_write": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, {_COLUMNS})
          SELECT NEW.scan_id, NEW.model_id, symcat_search_code(NEW.vector), {_FROM_SCAN}
            FROM scans s WHERE s.id = NEW.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE SET code = EXCLUDED.code;
          RETURN NULL;
        END""",
    # One INSERT ... SELECT per statement in a lab's own sessions (a COPY of 10,000
    # vectors writes their codes in one go, not through 10,000 trigger calls);
    # PostgreSQL's apply workers fire row triggers only, so at a hub the row trigger
    # above does it (enabled REPLICA: never both).
    "symcat_search_code_insert": f"""
        BEGIN
          INSERT INTO search_codes (scan_id, model_id, code, {_COLUMNS})
          SELECT n.scan_id, n.model_id, symcat_search_code(n.vector), {_FROM_SCAN}
            FROM new_rows n JOIN scans s ON s.id = n.scan_id
          ON CONFLICT (scan_id, model_id) DO UPDATE SET code = EXCLUDED.code;
          RETURN NULL;
        END""",
    "symcat_search_code_delete": """
        BEGIN
          DELETE FROM search_codes WHERE scan_id = OLD.scan_id AND model_id = OLD.model_id;
          RETURN NULL;
        END""",
    "symcat_search_code_scan": "BEGIN UPDATE search_codes SET "
    + ", ".join(f"{c} = NEW.{c}" for c in COPIED)
    + " WHERE scan_id = NEW.id; RETURN NULL; END",
}
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)
# (name, table, event, function, row or statement and condition, enabled when)
TRIGGERS = [
    ("symcat_search_code_insert", "embeddings", "AFTER INSERT", "symcat_search_code_insert",
     "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT", "ENABLE"),
    ("symcat_search_code_replica", "embeddings", "AFTER INSERT", "symcat_search_code_write",
     "FOR EACH ROW", "ENABLE REPLICA"),
    ("symcat_search_code_write", "embeddings", "AFTER UPDATE OF vector",
     "symcat_search_code_write", "FOR EACH ROW", "ENABLE ALWAYS"),
    ("symcat_search_code_delete", "embeddings", "AFTER DELETE", "symcat_search_code_delete",
     "FOR EACH ROW", "ENABLE ALWAYS"),
    ("symcat_search_code_scan", "scans", f"AFTER UPDATE OF {_COLUMNS}",
     "symcat_search_code_scan", f"FOR EACH ROW WHEN ({_CHANGED})", "ENABLE ALWAYS"),
]


def upgrade() -> None:
    op.create_table(
        "search_codes",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("code", postgresql.BIT(varying=True), nullable=False,
                  comment="symcat_search_code(vector): 3 bits per dimension"),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("imaging_mode", sa.String(length=32), nullable=False),
        sa.Column("sample_name", sa.Text(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_size_x_m", sa.Float(), nullable=True),
        sa.Column("drive_frequency_hz", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["scan_id", "model_id"],
                                ["embeddings.scan_id", "embeddings.model_id"],
                                ondelete="CASCADE", name="fk_search_codes_embedding"),
        sa.PrimaryKeyConstraint("scan_id", "model_id", name=op.f("pk_search_codes")),
    )
    for column in COPIED:  # a selective filter reads its rows, not every code
        op.create_index(op.f(f"ix_search_codes_{column}"), "search_codes", [column])
    op.execute(CODE_FUNCTION)
    for name, body in TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $${body}$$")
    for trigger, table, when, function, each, enabled in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} ON {table} {each} "
                   f"EXECUTE FUNCTION {function}()")
        op.execute(f"ALTER TABLE {table} {enabled} TRIGGER {trigger}")
    op.execute(f"""
        INSERT INTO search_codes (scan_id, model_id, code, {_COLUMNS})
        SELECT e.scan_id, e.model_id, symcat_search_code(e.vector), {_FROM_SCAN}
          FROM embeddings e JOIN scans s ON s.id = e.scan_id""")
    op.execute("ANALYZE search_codes")


def downgrade() -> None:
    for trigger, table, *_ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("search_codes")
    op.execute("DROP FUNCTION IF EXISTS symcat_search_code(halfvec)")
