"""projections: 2-D maps of scans with their lineage, and their points

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "projections",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "parent_id", sa.UUID(), nullable=True,
            comment="The projection this one re-projects a selection of; null for a root",
        ),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column(
            "where_text", sa.Text(), nullable=True,
            comment="The filter expression of a root projection, as given",
        ),
        sa.Column("filters", jsonb, nullable=False,
                  comment="Keyword filters of a root projection"),
        sa.Column(
            "selection", jsonb, nullable=True,
            comment="How a child's points were chosen from its parent (ids, box or polygon)",
        ),
        sa.Column(
            "params", jsonb, nullable=False,
            comment="UMAP parameters as used (seed and epochs included), and the kNN method",
        ),
        sa.Column("params_repr", sa.Text(), nullable=False,
                  comment="The parameters as requested"),
        sa.Column("subset_sha256", sa.String(length=64), nullable=False,
                  comment="sha256 of the sorted scan ids projected"),
        sa.Column("n_points", sa.Integer(), nullable=False),
        sa.Column(
            "cache_key", sa.String(length=64), nullable=False,
            comment="sha256 of the request; identical requests reuse the row",
        ),
        sa.Column("timings", jsonb, nullable=False,
                  comment="Seconds per stage, library versions"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("n_points >= 0", name=op.f("ck_projections_n_points")),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"],
            name=op.f("fk_projections_model_id_embedding_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["projections.id"],
            name=op.f("fk_projections_parent_id_projections"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projections")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_projections_cache_key")),
    )
    op.create_index(op.f("ix_projections_parent_id"), "projections", ["parent_id"])
    op.create_index(op.f("ix_projections_model_id"), "projections", ["model_id"])
    op.create_index(op.f("ix_projections_subset_sha256"), "projections", ["subset_sha256"])
    op.create_table(
        "projection_points",
        sa.Column("projection_id", sa.UUID(), nullable=False),
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("x", sa.REAL(), nullable=False),
        sa.Column("y", sa.REAL(), nullable=False),
        sa.ForeignKeyConstraint(
            ["projection_id"], ["projections.id"],
            name=op.f("fk_projection_points_projection_id_projections"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"],
            name=op.f("fk_projection_points_scan_id_scans"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("projection_id", "scan_id", name=op.f("pk_projection_points")),
    )
    op.create_index(op.f("ix_projection_points_scan_id"), "projection_points", ["scan_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_projection_points_scan_id"), table_name="projection_points")
    op.drop_table("projection_points")
    op.drop_index(op.f("ix_projections_subset_sha256"), table_name="projections")
    op.drop_index(op.f("ix_projections_model_id"), table_name="projections")
    op.drop_index(op.f("ix_projections_parent_id"), table_name="projections")
    op.drop_table("projections")
