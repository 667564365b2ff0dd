"""federation: sharing rules and flags, per-lab file identity, model ids from names, hub state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Labs publish to hubs through PostgreSQL logical replication (symcat.federation). Row
filters of a publication may use only the table's own columns, and only columns of its
replica identity, so every published table gets a `shared` flag and a unique index of
its key plus `shared` that becomes its replica identity. Flags of child rows are copied
from their scan by triggers at insert (origin mode only: at a hub, rows arrive with the
lab's flags). A hub receives the same file from several labs, so a scan's file is unique
per (site, sha256); the same model from several labs must meet under one id, so a model's
id becomes a function of its name (existing models are renumbered here, with their
vectors, projections and HNSW indexes). Two triggers enabled only for replication
(ENABLE REPLICA: they fire in a hub's apply workers, never in a lab's own sessions) keep
one row per model and per original file at a hub instead of stopping replication on the
second copy; PostgreSQL 18 does not resolve apply conflicts itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> its key columns (the replica identity is key + shared)
PUBLISHED_KEYS = {
    "scans": ("id",),
    "channels": ("scan_id", "index"),
    "embeddings": ("scan_id", "model_id"),
    "original_files": ("file_sha256",),
}

MODEL_ID_FUNCTION = """
CREATE FUNCTION symcat_model_id(name text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT greatest(1, ('x' || substr(encode(sha256(convert_to(name, 'UTF8')), 'hex'), 1, 8))
                       ::bit(32)::integer & 2147483647)
$$
"""

TRIGGER_FUNCTIONS = {
    # Lab side (origin mode): ids and flags, whoever writes the row.
    "symcat_model_id_from_name": """
        BEGIN NEW.id := symcat_model_id(NEW.name); RETURN NEW; END""",
    "symcat_channel_shared": """
        BEGIN
          NEW.shared := coalesce((SELECT share_channels FROM scans WHERE id = NEW.scan_id),
                                 NEW.shared);
          RETURN NEW;
        END""",
    "symcat_embedding_shared": """
        BEGIN
          NEW.shared := coalesce((SELECT share_embeddings FROM scans WHERE id = NEW.scan_id),
                                 NEW.shared);
          RETURN NEW;
        END""",
    "symcat_original_shared": """
        BEGIN
          NEW.shared := NEW.shared OR EXISTS (SELECT 1 FROM scans
              WHERE file_sha256 = NEW.file_sha256 AND share_original);
          RETURN NEW;
        END""",
    # Hub side (replica mode): one row per model; the hub keeps its own calibration.
    "symcat_hub_model": """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM embedding_models WHERE id = NEW.id) THEN
              RETURN NULL;
            END IF;
            RETURN NEW;
          END IF;
          RETURN NULL;  -- updates (calibration) and deletes stay at the lab
        END""",
    # Hub side: one copy of identical bytes; kept while another lab still shares them.
    "symcat_hub_original": """
        BEGIN
          IF TG_OP = 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM original_files WHERE file_sha256 = NEW.file_sha256) THEN
              RETURN NULL;
            END IF;
            RETURN NEW;
          END IF;
          IF EXISTS (SELECT 1 FROM scans WHERE file_sha256 = OLD.file_sha256
                     AND share_original) THEN
            RETURN NULL;
          END IF;
          RETURN OLD;
        END""",
}

TRIGGERS = [
    # name, table, timing/events, function, replica-only
    ("symcat_model_id", "embedding_models", "BEFORE INSERT", "symcat_model_id_from_name", False),
    ("symcat_shared", "channels", "BEFORE INSERT", "symcat_channel_shared", False),
    ("symcat_shared", "embeddings", "BEFORE INSERT", "symcat_embedding_shared", False),
    ("symcat_shared", "original_files", "BEFORE INSERT", "symcat_original_shared", False),
    ("symcat_hub", "embedding_models", "BEFORE INSERT OR UPDATE OR DELETE", "symcat_hub_model",
     True),
    ("symcat_hub", "original_files", "BEFORE INSERT OR DELETE", "symcat_hub_original", True),
]


def _flag(comment: str) -> sa.Column:
    return sa.Column("shared", sa.Boolean(), server_default=sa.text("false"), nullable=False,
                     comment=comment)


def upgrade() -> None:
    op.create_table(
        "sharing_rules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("where_text", sa.Text(), nullable=False,
                  comment="The filter expression, as given"),
        sa.Column("predicate_sql", sa.Text(), nullable=False,
                  comment="where_text compiled by symcat to SQL over scans (never typed by hand)"),
        sa.Column("channels", sa.Boolean(), server_default=sa.text("false"), nullable=False,
                  comment="Share channel rows: pixels and thumbnails"),
        sa.Column("embeddings", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("originals", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_sharing_rules_name")),
    )
    op.create_table(
        "federation_labs",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("subscription", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False, comment="The lab's URL without its password"),
        sa.Column("system_identifier", sa.Text(), nullable=False,
                  comment="The lab server's system identifier and database: recognises a lab"),
        sa.Column("sites", postgresql.ARRAY(sa.Text()), nullable=False,
                  comment="Sites the lab's scans carry"),
        sa.Column("schema_revision", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_federation_labs")),
        sa.UniqueConstraint("subscription", name=op.f("uq_federation_labs_subscription")),
    )
    op.add_column("scans", _flag("A sharing rule matches: published to hubs"))
    for name, comment in (("share_channels", "Its channels (pixels, thumbnails) are shared"),
                          ("share_embeddings", "Its vectors are shared"),
                          ("share_original", "Its original file is shared")):
        op.add_column("scans", sa.Column(name, sa.Boolean(), server_default=sa.text("false"),
                                         nullable=False, comment=comment))
    op.add_column("channels", _flag("Copied from scans.share_channels"))
    op.add_column("embeddings", _flag("Copied from scans.share_embeddings"))
    op.add_column("original_files", _flag("A shared scan of this file carries its original"))

    op.drop_constraint("uq_scans_file_sha256", "scans", type_="unique")
    op.create_unique_constraint("uq_scans_site_file_sha256", "scans", ["site", "file_sha256"])
    for table, key in PUBLISHED_KEYS.items():
        op.create_index(f"ix_{table}_replica", table, [*key, "shared"], unique=True)
        op.execute(f"ALTER TABLE {table} REPLICA IDENTITY USING INDEX ix_{table}_replica")

    op.execute(MODEL_ID_FUNCTION)
    for function, body in TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
                   f"SET search_path FROM CURRENT AS $${body}$$")
    for trigger, table, when, function, replica in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} {when} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
        if replica:
            op.execute(f"ALTER TABLE {table} ENABLE REPLICA TRIGGER {trigger}")
    _renumber_models()


def _renumber_models() -> None:
    """Give existing models their name-derived id, moving every row that refers to them
    (found through the foreign keys, so tables of later migrations follow) and rebuilding
    their HNSW indexes, whose predicate names the id."""
    conn = op.get_bind()
    moves = conn.execute(sa.text(
        "SELECT id, symcat_model_id(name) AS new_id FROM embedding_models "
        "WHERE id <> symcat_model_id(name)")).all()
    if not moves:
        return
    foreign_keys = conn.execute(sa.text(
        "SELECT c.conrelid::regclass::text AS tbl, c.conname, "
        "pg_get_constraintdef(c.oid) AS definition, a.attname AS col "
        "FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND c.confrelid = 'embedding_models'::regclass")).all()
    for fk in foreign_keys:
        op.execute(f'ALTER TABLE {fk.tbl} DROP CONSTRAINT "{fk.conname}"')
    op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    for old, new in moves:
        for fk in foreign_keys:
            conn.execute(sa.text(f'UPDATE {fk.tbl} SET "{fk.col}" = :new WHERE "{fk.col}" = :old'),
                         {"new": new, "old": old})
        conn.execute(sa.text("UPDATE embedding_models SET id = :new WHERE id = :old"),
                     {"new": new, "old": old})
        index = conn.execute(sa.text("SELECT pg_get_indexdef(to_regclass(:n))"),
                             {"n": f"ix_embeddings_hnsw_model_{old}"}).scalar()
        if index:
            op.execute(f"DROP INDEX ix_embeddings_hnsw_model_{old}")
            op.execute(index.replace(f"ix_embeddings_hnsw_model_{old}",
                                     f"ix_embeddings_hnsw_model_{new}")
                       .replace(f"(model_id = {old})", f"(model_id = {new})"))
    for fk in foreign_keys:
        op.execute(f'ALTER TABLE {fk.tbl} ADD CONSTRAINT "{fk.conname}" {fk.definition}')


def downgrade() -> None:
    # Model ids keep their name-derived values: they are valid ids either way.
    for trigger, table, *_ in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP FUNCTION IF EXISTS symcat_model_id(text)")
    for table in PUBLISHED_KEYS:
        op.execute(f"ALTER TABLE {table} REPLICA IDENTITY DEFAULT")
        op.drop_index(f"ix_{table}_replica", table_name=table)
    op.drop_constraint("uq_scans_site_file_sha256", "scans", type_="unique")
    op.create_unique_constraint("uq_scans_file_sha256", "scans", ["file_sha256"])
    for table in ("original_files", "embeddings", "channels"):
        op.drop_column(table, "shared")
    for name in ("share_original", "share_embeddings", "share_channels", "shared"):
        op.drop_column("scans", name)
    op.drop_table("federation_labs")
    op.drop_table("sharing_rules")
