"""labels: label sets, human labels, propagation runs and predictions, and a view

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One row per (scan, label set) that has a human label or a prediction (docs/sql.md).
LABEL_SUMMARY_VIEW = """
CREATE VIEW label_summary AS
SELECT
    COALESCE(l.scan_id, p.scan_id) AS scan_id,
    COALESCE(l.label_set, p.label_set) AS label_set,
    l.value AS label,
    l.labelled_by,
    l.labelled_at,
    l.source AS label_source,
    p.value AS predicted,
    p.confidence AS predicted_p,
    p.uncertainty,
    p.how AS predicted_how,
    p.predicted_at,
    m.name AS model,
    r.method,
    p.run_id,
    COALESCE(l.value, p.value) AS effective
FROM scan_labels AS l
FULL OUTER JOIN predictions AS p ON p.scan_id = l.scan_id AND p.label_set = l.label_set
LEFT JOIN propagation_runs AS r ON r.id = p.run_id
LEFT JOIN embedding_models AS m ON m.id = r.model_id
"""


def _label_set_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["label_set"], ["label_sets.name"], name=op.f(f"fk_{table}_label_set_label_sets"),
        ondelete="CASCADE", onupdate="CASCADE",
    )


def _scan_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["scan_id"], ["scans.id"], name=op.f(f"fk_{table}_scan_id_scans"), ondelete="CASCADE",
    )


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    now = sa.text("now()")
    op.create_table(
        "label_sets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("classes", postgresql.ARRAY(sa.Text()), nullable=False,
                  comment="The allowed label values, in the order they were added"),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_label_sets")),
    )
    op.create_table(
        "scan_labels",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("label_set", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("labelled_by", sa.Text(), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), server_default=now,
                  nullable=False),
        sa.Column("source", sa.Text(), nullable=False, comment="cli, client, dashboard or csv"),
        sa.CheckConstraint("source IN ('cli', 'client', 'dashboard', 'csv')",
                           name=op.f("ck_scan_labels_source")),
        _scan_fk("scan_labels"),
        _label_set_fk("scan_labels"),
        sa.PrimaryKeyConstraint("scan_id", "label_set", name=op.f("pk_scan_labels")),
    )
    op.create_index("ix_scan_labels_label_set_value", "scan_labels", ["label_set", "value"])
    op.create_table(
        "propagation_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("label_set", sa.Text(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False,
                  comment="poisson or laplace (graphlearning)"),
        sa.Column("where_text", sa.Text(), nullable=True, comment="The subset's filter"),
        sa.Column("graph", jsonb, nullable=False,
                  comment="kNN graph: k, metric, how the neighbours were found, weights"),
        sa.Column("label_snapshot", jsonb, nullable=False,
                  comment="The human labels used: count per class, sha256 of (scan, value) "
                          "pairs, latest labelled_at"),
        sa.Column("n_scans", sa.Integer(), nullable=False),
        sa.Column("timings", jsonb, nullable=False, comment="Seconds per stage, versions"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        _label_set_fk("propagation_runs"),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"],
            name=op.f("fk_propagation_runs_model_id_embedding_models"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_propagation_runs")),
    )
    op.create_index(op.f("ix_propagation_runs_label_set"), "propagation_runs", ["label_set"])
    op.create_index(op.f("ix_propagation_runs_model_id"), "propagation_runs", ["model_id"])
    op.create_table(
        "predictions",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("label_set", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("confidence", sa.REAL(), nullable=False,
                  comment="The predicted class's share of the positive class scores, 0..1"),
        sa.Column("uncertainty", sa.REAL(), nullable=False,
                  comment="1 - margin between the two best classes: high = label this next"),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("how", sa.Text(), nullable=False,
                  comment="'graph' (in a full run) or 'neighbours' (a new scan, from its kNN)"),
        sa.Column("predicted_at", sa.DateTime(timezone=True), nullable=False),
        _scan_fk("predictions"),
        _label_set_fk("predictions"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["propagation_runs.id"],
            name=op.f("fk_predictions_run_id_propagation_runs"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "label_set", name=op.f("pk_predictions")),
    )
    op.create_index("ix_predictions_label_set_value", "predictions", ["label_set", "value"])
    op.create_index(op.f("ix_predictions_run_id"), "predictions", ["run_id"])
    op.execute(LABEL_SUMMARY_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS label_summary")
    op.drop_index(op.f("ix_predictions_run_id"), table_name="predictions")
    op.drop_index("ix_predictions_label_set_value", table_name="predictions")
    op.drop_table("predictions")
    op.drop_index(op.f("ix_propagation_runs_model_id"), table_name="propagation_runs")
    op.drop_index(op.f("ix_propagation_runs_label_set"), table_name="propagation_runs")
    op.drop_table("propagation_runs")
    op.drop_index("ix_scan_labels_label_set_value", table_name="scan_labels")
    op.drop_table("scan_labels")
    op.drop_table("label_sets")
