"""hardening: non-UTF-8 path bytes, refusals resolved by marking, spectroscopy maps

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

* `scans.source_path_bytes`, `refusals.source_path_bytes`: the path's exact
  bytes when the file name is not UTF-8 (`source_path` shows it with
  backslash escapes, so it stays searchable text).
* `refusals.resolved_at`, `refusals.resolved_scan_id`: a refusal that stops
  being one (the file, or a later complete version at the same path, was
  catalogued) is marked, never deleted, so the ingest role needs no DELETE.
  A trigger allows the mark only with a scan of the same content or path, so
  marking cannot be used to hide refusals either. `refusal_summary` shows
  the unresolved ones.
* `path_versions`: which content each path held, in order (insert-only), so a
  file that returns to older content (A, B, A) keeps a true version chain.
* `scans.record_kind` may be 'spectroscopy_map' (CITS volumes: a grid of
  spectra, one channel, a sweep axis), a kind of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "record_kind IN ('image', 'force_curve', 'spectrum', 'wave')"
NEW_KINDS = "record_kind IN ('image', 'force_curve', 'spectrum', 'wave', 'spectroscopy_map')"

REFUSAL_SUMMARY = """
CREATE OR REPLACE VIEW refusal_summary AS
SELECT source_path, reason, file_sha256, file_size_bytes, site, instrument,
       times_seen, first_seen_at, last_seen_at
FROM refusals
{where}ORDER BY last_seen_at DESC
"""

RESOLVE_CHECK = """
CREATE FUNCTION symcat_refusal_resolve_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.file_sha256 IS DISTINCT FROM OLD.file_sha256 THEN
        RAISE EXCEPTION 'refusals.file_sha256 cannot be changed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.resolved_at IS DISTINCT FROM OLD.resolved_at
       OR NEW.resolved_scan_id IS DISTINCT FROM OLD.resolved_scan_id THEN
        IF OLD.resolved_at IS NOT NULL THEN
            RAISE EXCEPTION 'refusal % is already resolved', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.resolved_at IS NULL OR NOT EXISTS (
            SELECT FROM scans s WHERE s.id = NEW.resolved_scan_id
              AND (s.file_sha256 = NEW.file_sha256 OR s.source_path = NEW.source_path)
        ) THEN
            RAISE EXCEPTION 'a refusal is resolved only by a scan of the same file or path'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    comment = "The path's bytes when the file name is not UTF-8 (source_path shows escapes)"
    for table in ("scans", "refusals"):
        op.add_column(table, sa.Column("source_path_bytes", sa.LargeBinary(), nullable=True,
                                       comment=comment))
    op.add_column("refusals", sa.Column(
        "resolved_at", sa.DateTime(timezone=True), nullable=True,
        comment="When the file (or a later version at its path) was catalogued after all",
    ))
    op.add_column("refusals", sa.Column("resolved_scan_id", sa.UUID(), nullable=True,
                                        comment="The scan that resolved this refusal"))
    op.create_foreign_key(
        op.f("fk_refusals_resolved_scan_id_scans"), "refusals", "scans",
        ["resolved_scan_id"], ["id"], ondelete="SET NULL",
    )
    op.execute(RESOLVE_CHECK)
    op.execute(
        "CREATE TRIGGER refusal_resolve_check BEFORE UPDATE ON refusals "
        "FOR EACH ROW EXECUTE FUNCTION symcat_refusal_resolve_check()"
    )
    op.execute(REFUSAL_SUMMARY.format(where="WHERE resolved_at IS NULL\n"))
    op.create_table(
        "path_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"],
                                name=op.f("fk_path_versions_scan_id_scans"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_versions")),
    )
    op.create_index("ix_path_versions_path", "path_versions",
                    ["instrument", "source_path", "id"], unique=False)
    op.create_index(op.f("ix_path_versions_scan_id"), "path_versions", ["scan_id"],
                    unique=False)
    op.drop_constraint(op.f("ck_scans_record_kind"), "scans", type_="check")
    op.create_check_constraint(op.f("ck_scans_record_kind"), "scans", NEW_KINDS)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_scans_record_kind"), "scans", type_="check")
    # Kept, as the generic kind the older schema knows.
    op.execute("UPDATE scans SET record_kind = 'wave' WHERE record_kind = 'spectroscopy_map'")
    op.create_check_constraint(op.f("ck_scans_record_kind"), "scans", OLD_KINDS)
    op.drop_table("path_versions")
    op.execute(REFUSAL_SUMMARY.format(where=""))
    op.execute("DROP TRIGGER refusal_resolve_check ON refusals")
    op.execute("DROP FUNCTION symcat_refusal_resolve_check()")
    op.drop_constraint(op.f("fk_refusals_resolved_scan_id_scans"), "refusals",
                       type_="foreignkey")
    op.drop_column("refusals", "resolved_scan_id")
    op.drop_column("refusals", "resolved_at")
    for table in ("refusals", "scans"):
        op.drop_column(table, "source_path_bytes")
