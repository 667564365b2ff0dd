"""embeddings: feature vectors per (scan, model), and the models that made them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

The HNSW indexes are not created here: there is one partial index per model
(``symcat.store.models.embedding.hnsw_index_ddl``), made when a model is first used.
"""

from __future__ import annotations

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "embedding_models",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "name", sa.Text(), nullable=False,
            comment="Stable id: registry name, weights sha256 prefix and preprocessing version",
        ),
        sa.Column(
            "family", sa.Text(), nullable=False, comment="Registry name without the version parts"
        ),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column(
            "config", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
            comment="The extractor's configuration (weights sha256, input policy, taps, licence)",
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("dim > 0 AND dim <= 16000", name=op.f("ck_embedding_models_dim")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embedding_models")),
        sa.UniqueConstraint("name", name=op.f("uq_embedding_models_name")),
    )
    op.create_table(
        "embeddings",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column(
            "vector", pgvector.sqlalchemy.HALFVEC(), nullable=False,
            comment="Mean-centred, unit-length features; cosine distance = correlation",
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"],
            name=op.f("fk_embeddings_model_id_embedding_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_embeddings_scan_id_scans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "model_id", name=op.f("pk_embeddings")),
    )
    op.create_index("ix_embeddings_model_id", "embeddings", ["model_id"], unique=False)
    # Keep vectors inline: a 1024-d halfvec is just over the default TOAST threshold,
    # and detoasting every row would dominate exact scans. Vectors too long for a page
    # (VGG's 4096-d) may still go out of line (MAIN), so nothing is refused.
    op.execute("ALTER TABLE embeddings ALTER COLUMN vector SET STORAGE MAIN")
    op.execute("ALTER TABLE embeddings SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    # Dropping the table drops the per-model HNSW indexes with it. The vector
    # extension stays: other schemas in the database may use it.
    op.drop_index("ix_embeddings_model_id", table_name="embeddings")
    op.drop_table("embeddings")
    op.drop_table("embedding_models")
