"""symmetry_summary: each scan's plane group and cell from SQL, as the filters read them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

One row per scan that has a symmetry prediction: the newest symmetry model's (by version
number, as `symcat.query.filters.newest_symmetry_first` orders them, so re-running an
older version does not change it), with the cell edges in micrometres (stored in the
scan's pixel widths; converted with the scan's x size over its columns, as the
`lattice_a_m` filter does). For people who only know SQL (docs/sql.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYMMETRY_SUMMARY_VIEW = r"""
CREATE VIEW symmetry_summary AS
SELECT DISTINCT ON (p.scan_id)
    p.scan_id,
    p.symmetry,
    p.probability AS symmetry_p,
    p.top_group,
    p.p_none,
    p.reason,
    p.period_a_px * s.scan_size_x_m / NULLIF(s.pixels_x, 0) * 1e6 AS lattice_a_um,
    p.period_b_px * s.scan_size_x_m / NULLIF(s.pixels_x, 0) * 1e6 AS lattice_b_um,
    p.period_a_px AS lattice_a_px,
    p.period_b_px AS lattice_b_px,
    p.angle_deg,
    m.name AS model,
    p.created_at AS predicted_at
FROM symmetry_predictions AS p
JOIN embedding_models AS m ON m.id = p.model_id
JOIN scans AS s ON s.id = p.scan_id
ORDER BY p.scan_id,
         CAST(substring(m.name FROM '\.v([0-9]+)(?:@[^@]*)?$') AS integer) DESC NULLS LAST,
         m.created_at DESC, p.model_id DESC
"""


def upgrade() -> None:
    op.execute(SYMMETRY_SUMMARY_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS symmetry_summary")
