"""selections: named sets of scans, reusable in filters (`selection = "name"`)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selections",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, comment="What people call it"),
        sa.Column("where_text", sa.Text(), nullable=True,
                  comment="The filter in force when it was saved, as given"),
        sa.Column("projection_id", sa.UUID(), nullable=True,
                  comment="The map it was selected on, if any"),
        sa.Column("n_scans", sa.Integer(), nullable=False,
                  comment="How many scans it held when saved"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_selections_name")),
        sa.ForeignKeyConstraint(["projection_id"], ["projections.id"],
                                name=op.f("fk_selections_projection_id_projections"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selections")),
        sa.UniqueConstraint("name", name=op.f("uq_selections_name")),
    )
    op.create_table(
        "selection_scans",
        sa.Column("selection_id", sa.UUID(), nullable=False),
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["selection_id"], ["selections.id"],
                                name=op.f("fk_selection_scans_selection_id_selections"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"],
                                name=op.f("fk_selection_scans_scan_id_scans"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("selection_id", "scan_id", name=op.f("pk_selection_scans")),
    )
    op.create_index(op.f("ix_selection_scans_scan_id"), "selection_scans", ["scan_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_selection_scans_scan_id"), table_name="selection_scans")
    op.drop_table("selection_scans")
    op.drop_table("selections")
