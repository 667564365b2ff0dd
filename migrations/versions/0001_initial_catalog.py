"""initial catalog: scans, channels, originals, refusals

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import pgvector.sqlalchemy  # noqa: F401  (vector columns in later revisions)
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Views for people who only know SQL (documented in docs/sql.md).
SCAN_SUMMARY_VIEW = """
CREATE VIEW scan_summary AS
SELECT
    s.id,
    s.record_kind,
    s.imaging_mode,
    s.acquired_at,
    s.site,
    s.instrument,
    s.instrument_model,
    s.sample_name,
    s.material,
    s.operator,
    s.project,
    s.scan_size_x_m * 1e6 AS scan_size_x_um,
    s.scan_size_y_m * 1e6 AS scan_size_y_um,
    s.pixels_x,
    s.pixels_y,
    s.drive_frequency_hz / 1e3 AS drive_frequency_khz,
    s.spring_constant_n_m,
    s.uncalibrated,
    array_to_string(s.channel_names, ', ') AS channels,
    s.file_name,
    s.source_path,
    s.file_sha256,
    s.ingested_at
FROM scans AS s
"""

REFUSAL_SUMMARY_VIEW = """
CREATE VIEW refusal_summary AS
SELECT source_path, reason, file_sha256, file_size_bytes, site, instrument,
       times_seen, first_seen_at, last_seen_at
FROM refusals
ORDER BY last_seen_at DESC
"""


def upgrade() -> None:
    op.create_table(
        "original_files",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False, comment="The file's exact bytes"),
        sa.Column(
            "stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "char_length(file_sha256) = 64", name=op.f("ck_original_files_sha256_length")
        ),
        sa.PrimaryKeyConstraint("file_sha256", name=op.f("pk_original_files")),
    )
    op.create_table(
        "refusals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parser_version", sa.String(length=64), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("times_seen", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusals")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_refusals_file_sha256")),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_kind", sa.String(length=16), nullable=False),
        sa.Column("schema_version", sa.String(length=32), nullable=False),
        sa.Column("parser_version", sa.String(length=64), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("instrument_model", sa.Text(), nullable=True),
        sa.Column("software_version", sa.Text(), nullable=True),
        sa.Column("imaging_mode", sa.String(length=32), nullable=False),
        sa.Column("imaging_mode_raw", sa.Text(), nullable=True),
        sa.Column("base_name", sa.Text(), nullable=True),
        sa.Column("sample_name", sa.Text(), nullable=True),
        sa.Column("material", sa.Text(), nullable=True),
        sa.Column("operator", sa.Text(), nullable=True),
        sa.Column("project", sa.Text(), nullable=True),
        sa.Column("channel_names", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("scan_size_x_m", sa.Float(), nullable=True),
        sa.Column("scan_size_y_m", sa.Float(), nullable=True),
        sa.Column("pixels_x", sa.Integer(), nullable=True),
        sa.Column("pixels_y", sa.Integer(), nullable=True),
        sa.Column("pixel_size_m", sa.Float(), nullable=True),
        sa.Column("scan_rate_hz", sa.Float(), nullable=True),
        sa.Column("scan_angle_deg", sa.Float(), nullable=True),
        sa.Column("drive_frequency_hz", sa.Float(), nullable=True),
        sa.Column("drive_amplitude_v", sa.Float(), nullable=True),
        sa.Column("tip_bias_v", sa.Float(), nullable=True),
        sa.Column("sample_bias_v", sa.Float(), nullable=True),
        sa.Column("spring_constant_n_m", sa.Float(), nullable=True),
        sa.Column("invols_m_v", sa.Float(), nullable=True),
        sa.Column("uncalibrated", sa.Boolean(), nullable=True),
        sa.Column(
            "document",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The full record, valid against schemas/scan/v1.json, raw note included",
        ),
        sa.CheckConstraint(
            "record_kind IN ('image', 'force_curve', 'spectrum', 'wave')",
            name=op.f("ck_scans_record_kind"),
        ),
        sa.CheckConstraint("char_length(file_sha256) = 64", name=op.f("ck_scans_sha256_length")),
        sa.ForeignKeyConstraint(
            ["file_sha256"],
            ["original_files.file_sha256"],
            name=op.f("fk_scans_file_sha256_original_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_scans_file_sha256")),
    )
    op.create_index(op.f("ix_scans_acquired_at"), "scans", ["acquired_at"], unique=False)
    op.create_index("ix_scans_document", "scans", ["document"], postgresql_using="gin")
    op.create_index(
        "ix_scans_channel_names", "scans", ["channel_names"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        op.f("ix_scans_drive_frequency_hz"), "scans", ["drive_frequency_hz"], unique=False
    )
    op.create_index(op.f("ix_scans_file_name"), "scans", ["file_name"], unique=False)
    op.create_index(op.f("ix_scans_imaging_mode"), "scans", ["imaging_mode"], unique=False)
    op.create_index(op.f("ix_scans_instrument_model"), "scans", ["instrument_model"], unique=False)
    op.create_index(op.f("ix_scans_material"), "scans", ["material"], unique=False)
    op.create_index(op.f("ix_scans_operator"), "scans", ["operator"], unique=False)
    op.create_index(op.f("ix_scans_project"), "scans", ["project"], unique=False)
    op.create_index(op.f("ix_scans_record_kind"), "scans", ["record_kind"], unique=False)
    op.create_index(op.f("ix_scans_sample_name"), "scans", ["sample_name"], unique=False)
    op.create_index(op.f("ix_scans_scan_size_x_m"), "scans", ["scan_size_x_m"], unique=False)
    op.create_index("ix_scans_site_instrument", "scans", ["site", "instrument"], unique=False)
    op.create_table(
        "channels",
        sa.Column("scan_id", sa.UUID(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("std", sa.Float(), nullable=True),
        sa.Column("nan_fraction", sa.Float(), nullable=False),
        sa.Column("shape", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column(
            "pixels_u16",
            sa.LargeBinary(),
            nullable=False,
            comment="uint16 little-endian, C order, 0 = min, 65535 = max, NaN = 0",
        ),
        sa.Column("thumbnail_png", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_channels_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("scan_id", "index", name=op.f("pk_channels")),
    )
    op.create_index(op.f("ix_channels_name"), "channels", ["name"], unique=False)
    # Large binaries are stored uncompressed: they are already dense, and pglz on
    # megabytes per file would make ingest CPU-bound in the database.
    op.execute("ALTER TABLE original_files ALTER COLUMN content SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE channels ALTER COLUMN pixels_u16 SET STORAGE EXTERNAL")
    op.execute(SCAN_SUMMARY_VIEW)
    op.execute(REFUSAL_SUMMARY_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS refusal_summary")
    op.execute("DROP VIEW IF EXISTS scan_summary")
    op.drop_index(op.f("ix_channels_name"), table_name="channels")
    op.drop_table("channels")
    op.drop_index("ix_scans_site_instrument", table_name="scans")
    op.drop_index(op.f("ix_scans_scan_size_x_m"), table_name="scans")
    op.drop_index(op.f("ix_scans_sample_name"), table_name="scans")
    op.drop_index(op.f("ix_scans_record_kind"), table_name="scans")
    op.drop_index(op.f("ix_scans_project"), table_name="scans")
    op.drop_index(op.f("ix_scans_operator"), table_name="scans")
    op.drop_index(op.f("ix_scans_material"), table_name="scans")
    op.drop_index(op.f("ix_scans_instrument_model"), table_name="scans")
    op.drop_index(op.f("ix_scans_imaging_mode"), table_name="scans")
    op.drop_index(op.f("ix_scans_file_name"), table_name="scans")
    op.drop_index(op.f("ix_scans_drive_frequency_hz"), table_name="scans")
    op.drop_index("ix_scans_channel_names", table_name="scans", postgresql_using="gin")
    op.drop_index(op.f("ix_scans_acquired_at"), table_name="scans")
    op.drop_index("ix_scans_document", table_name="scans", postgresql_using="gin")
    op.drop_table("scans")
    op.drop_table("refusals")
    op.drop_table("original_files")
