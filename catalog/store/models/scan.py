"""Scans, their channels, their original files, and refused files.

Columns people filter on are real, indexed SQL columns; the complete metadata
document (``schemas/scan/v1.json``) is kept as JSONB beside them, so a field
can be promoted to a column later by a migration without re-reading files.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from symcat.store.base import Base, created_now, uuid_pk

SHA256_CHECK = "char_length(file_sha256) = 64"
PATH_BYTES = "The path's bytes when the file name is not UTF-8 (source_path shows escapes)"


def shared_flag(comment: str) -> Mapped[bool]:
    """A sharing flag (symcat.store.sharing): false until a sharing rule says otherwise."""
    return mapped_column(Boolean, server_default=false(), default=False, comment=comment)


def replica_index(table: str, *columns: str) -> Index:
    """The key plus `shared`: the replica identity that lets a publication filter on
    `shared` (PostgreSQL requires row-filter columns in the replica identity)."""
    return Index(f"ix_{table}_replica", *columns, "shared", unique=True)


class OriginalFile(Base):
    """The instrument file, byte for byte, addressed by its sha256.

    Kept in Postgres (not on a file share) so that one transaction stores a file
    and its record together, one backup holds everything, and a remote client
    needs nothing but a database connection to get the original back.
    """

    __tablename__ = "original_files"
    __table_args__ = (
        CheckConstraint(SHA256_CHECK, name="sha256_length"),
        replica_index("original_files", "file_sha256"),
    )

    file_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary, comment="The file's exact bytes")
    stored_at: Mapped[created_now]
    shared: Mapped[bool] = shared_flag("A shared scan of this file carries its original")


class Scan(Base):
    """One accepted file: an image, a force curve, a spectrum or another wave."""

    __tablename__ = "scans"
    __table_args__ = (
        CheckConstraint(SHA256_CHECK, name="sha256_length"),
        CheckConstraint(
            "record_kind IN ('image', 'force_curve', 'spectrum', 'wave', 'spectroscopy_map')",
            name="record_kind",
        ),
        Index("ix_scans_channel_names", "channel_names", postgresql_using="gin"),
        Index("ix_scans_site_instrument", "site", "instrument"),
        Index("ix_scans_document", "document", postgresql_using="gin"),
        # One lab catalogues a file once; a hub holds it once per lab (federation).
        UniqueConstraint("site", "file_sha256", name="uq_scans_site_file_sha256"),
        replica_index("scans", "id"),
    )

    id: Mapped[uuid_pk]
    file_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("original_files.file_sha256")
    )
    record_kind: Mapped[str] = mapped_column(String(16), index=True)
    schema_version: Mapped[str] = mapped_column(String(32))
    parser_version: Mapped[str] = mapped_column(String(64))

    site: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(Text)
    source_path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, comment=PATH_BYTES)
    file_name: Mapped[str] = mapped_column(Text, index=True)
    file_size_bytes: Mapped[int] = mapped_column(BigInteger)
    ingested_at: Mapped[created_now]
    acquired_at: Mapped[datetime | None] = mapped_column(index=True)

    vendor: Mapped[str | None] = mapped_column(Text)
    instrument_model: Mapped[str | None] = mapped_column(Text, index=True)
    software_version: Mapped[str | None] = mapped_column(Text)
    imaging_mode: Mapped[str] = mapped_column(String(32), index=True)
    imaging_mode_raw: Mapped[str | None] = mapped_column(Text)
    base_name: Mapped[str | None] = mapped_column(Text)

    sample_name: Mapped[str | None] = mapped_column(Text, index=True)
    material: Mapped[str | None] = mapped_column(Text, index=True)
    operator: Mapped[str | None] = mapped_column(Text, index=True)
    project: Mapped[str | None] = mapped_column(Text, index=True)

    channel_names: Mapped[list[str]] = mapped_column(ARRAY(Text))
    scan_size_x_m: Mapped[float | None] = mapped_column(Float, index=True)
    scan_size_y_m: Mapped[float | None] = mapped_column(Float)
    pixels_x: Mapped[int | None]
    pixels_y: Mapped[int | None]
    pixel_size_m: Mapped[float | None] = mapped_column(Float)
    scan_rate_hz: Mapped[float | None] = mapped_column(Float)
    scan_angle_deg: Mapped[float | None] = mapped_column(Float)

    drive_frequency_hz: Mapped[float | None] = mapped_column(Float, index=True)
    drive_amplitude_v: Mapped[float | None] = mapped_column(Float)
    tip_bias_v: Mapped[float | None] = mapped_column(Float)
    sample_bias_v: Mapped[float | None] = mapped_column(Float)
    spring_constant_n_m: Mapped[float | None] = mapped_column(Float)
    invols_m_v: Mapped[float | None] = mapped_column(Float)
    uncalibrated: Mapped[bool | None]

    document: Mapped[dict[str, Any]] = mapped_column(
        comment="The full record, valid against schemas/scan/v1.json, raw note included"
    )
    previous_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scans.id", ondelete="SET NULL"), index=True,
        comment="The scan this file replaced at the same path on the same instrument",
    )

    shared: Mapped[bool] = shared_flag("A sharing rule matches: published to hubs")
    share_channels: Mapped[bool] = shared_flag("Its channels (pixels, thumbnails) are shared")
    share_embeddings: Mapped[bool] = shared_flag("Its vectors are shared")
    share_original: Mapped[bool] = shared_flag("Its original file is shared")

    channels: Mapped[list[Channel]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="Channel.index"
    )


class Channel(Base):
    """One layer of a scan, with statistics, a thumbnail, and its pixels as uint16.

    The pixels are quantized linearly between the channel's min and max (kept
    beside them), so thumbnails and embeddings can be recomputed from the
    catalog alone at 1/65535 of the range, at half the size of float32.
    """

    __tablename__ = "channels"
    __table_args__ = (replica_index("channels", "scan_id", "index"),)

    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, index=True)
    quantity: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(8))
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    mean: Mapped[float | None] = mapped_column(Float)
    std: Mapped[float | None] = mapped_column(Float)
    nan_fraction: Mapped[float] = mapped_column(Float)
    shape: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    pixels_u16: Mapped[bytes] = mapped_column(
        LargeBinary, comment="uint16 little-endian, C order, 0 = min, 65535 = max, NaN = 0"
    )
    thumbnail_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    shared: Mapped[bool] = shared_flag("Copied from scans.share_channels")

    scan: Mapped[Scan] = relationship(back_populates="channels")


class Refusal(Base):
    """A file that was not catalogued, with the reason, so nothing disappears silently.

    A refusal is never deleted: when the file (or a later, complete version at
    its path) is catalogued after all, it is marked resolved by that scan (a
    trigger of migration 0006 checks the scan matches).
    """

    __tablename__ = "refusals"

    id: Mapped[uuid_pk]
    file_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    source_path: Mapped[str] = mapped_column(Text)
    source_path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, comment=PATH_BYTES)
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    parser_version: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[created_now]
    last_seen_at: Mapped[created_now]
    times_seen: Mapped[int] = mapped_column(default=1, server_default="1")
    resolved_at: Mapped[datetime | None] = mapped_column(
        comment="When the file (or a later version at its path) was catalogued after all"
    )
    resolved_scan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scans.id", ondelete="SET NULL"), comment="The scan that resolved this refusal"
    )
