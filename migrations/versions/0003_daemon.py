"""daemon: link a scan to the scan it replaced at the same path (file versions)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

The ingestion daemon catalogues a file that is replaced later by new content
as a new scan, and links it to the one it replaced. The database roles the
daemon uses are not made here (see `symcat.store.roles`): roles belong to the
whole server, not to one database, and making them needs a privilege that the
account running migrations should not need.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "scans",
        sa.Column(
            "previous_version_id", sa.UUID(), nullable=True,
            comment="The scan this file replaced at the same path on the same instrument",
        ),
    )
    op.create_foreign_key(
        op.f("fk_scans_previous_version_id_scans"), "scans", "scans",
        ["previous_version_id"], ["id"], ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_scans_previous_version_id"), "scans", ["previous_version_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scans_previous_version_id"), table_name="scans")
    op.drop_constraint(op.f("fk_scans_previous_version_id_scans"), "scans", type_="foreignkey")
    op.drop_column("scans", "previous_version_id")
