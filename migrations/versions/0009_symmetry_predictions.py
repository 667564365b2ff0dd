"""symmetry predictions: plane group or none, calibrated probability, per scan and model

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LABELS = ("p1", "p2", "pm", "pg", "cm", "pmm", "pmg", "pgg", "cmm", "p4", "p4m", "p4g", "p3",
          "p3m1", "p31m", "p6", "p6m", "none")


def upgrade() -> None:
    labels = ", ".join(f"'{x}'" for x in LABELS)
    op.create_table(
        "symmetry_predictions",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("symmetry", sa.Text(), nullable=False,
                  comment="Plane group, or 'none' (abstained)"),
        sa.Column("probability", sa.REAL(), nullable=False,
                  comment="Calibrated probability of top_group (also when symmetry is 'none')"),
        sa.Column("top_group", sa.Text(), nullable=False, comment="The likeliest plane group"),
        sa.Column("p_none", sa.REAL(), nullable=False,
                  comment="Probability of the 'no lattice' class"),
        sa.Column("reason", sa.Text(), nullable=True,
                  comment="Why it abstained; null otherwise"),
        sa.Column("period_a_px", sa.REAL(), nullable=True, comment="Shorter lattice period"),
        sa.Column("period_b_px", sa.REAL(), nullable=True, comment="Longer lattice period"),
        sa.Column("angle_deg", sa.REAL(), nullable=True,
                  comment="Direction of the shorter lattice vector, degrees from the fast axis"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(f"symmetry IN ({labels})",
                           name=op.f("ck_symmetry_predictions_symmetry")),
        sa.CheckConstraint("probability >= 0 AND probability <= 1",
                           name=op.f("ck_symmetry_predictions_probability")),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"],
            name=op.f("fk_symmetry_predictions_model_id_embedding_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"],
            name=op.f("fk_symmetry_predictions_scan_id_scans"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "model_id", name=op.f("pk_symmetry_predictions")),
    )
    op.create_index("ix_symmetry_predictions_symmetry", "symmetry_predictions",
                    ["symmetry", "probability"])


def downgrade() -> None:
    op.drop_index("ix_symmetry_predictions_symmetry", table_name="symmetry_predictions")
    op.drop_table("symmetry_predictions")
