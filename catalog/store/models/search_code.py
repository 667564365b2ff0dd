"""The compact search copy of the vectors: one narrow row per (scan, model) for exact passes.

A filtered exact kNN pass over the full vectors costs 4-8 microseconds a passing row (a
primary-key lookup of a 2 kB halfvec each, after a scan of the wide `scans` table), so a
filter that excludes a query's neighbourhood took 0.5-2 s at a million scans. This table
holds, per vector, a 2-bit code (each coordinate's quartile level: below -0.674/sqrt(d),
below 0, below +0.674/sqrt(d) or above, thermometer-coded in 3 bits so that pgvector's
Hamming distance `<~>` is the L1 distance between levels; sign bits alone needed 4 times
the candidates for the same recall on isotropic vectors) and the scan columns filters use
most, so the pass reads about 450 bytes a row (1024-d) in one sequential scan instead of a
2 kB vector lookup, ranks by Hamming distance, and re-ranks a few hundred candidates with
the full vectors (`symcat.query.compact`). The code function `symcat_search_code` is SQL
(migration 0012), so the query's code is computed the same way as the rows'.

Rows are written only by triggers of migration 0012 (enabled ALWAYS, so they also fire for
replicated rows at a hub): an embedding's insert or new vector writes its row, an update of
a copied scan column updates it, a deleted embedding (or scan) deletes it. Nothing in
Python writes here, so every writer (COPY, `symcat embed`, replication) keeps it in step.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import HALFVEC
from sqlalchemy import DateTime, Float, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, BIT
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base

# The scan columns copied beside the code (each indexed): a filter on these alone never
# reads `scans`, and a selective one reads only its rows.
COPIED_COLUMNS = ("site", "imaging_mode", "sample_name", "acquired_at", "scan_size_x_m",
                  "drive_frequency_hz")


class SearchCode(Base):
    """One vector's 2-bit code and its scan's most-filtered columns (kept by triggers)."""

    __tablename__ = "search_codes"
    __table_args__ = (
        ForeignKeyConstraint(["scan_id", "model_id"],
                             ["embeddings.scan_id", "embeddings.model_id"],
                             ondelete="CASCADE", name="fk_search_codes_embedding"),
        Index("ix_search_codes_model_id_list_id", "model_id", "list_id"),
    )

    scan_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Any] = mapped_column(
        BIT(varying=True), comment="symcat_search_code(vector): 3 bits per dimension")
    site: Mapped[str] = mapped_column(Text, index=True)
    imaging_mode: Mapped[str] = mapped_column(String(32), index=True)
    sample_name: Mapped[str | None] = mapped_column(Text, index=True)
    acquired_at: Mapped[datetime | None] = mapped_column(index=True)
    scan_size_x_m: Mapped[float | None] = mapped_column(Float, index=True)
    drive_frequency_hz: Mapped[float | None] = mapped_column(Float, index=True)
    list_id: Mapped[int | None] = mapped_column(comment="nearest centroid in search_lists")


# Copied columns summarised per list by their range, and by their distinct values.
RANGED_COLUMNS = ("acquired_at", "scan_size_x_m", "drive_frequency_hz")
LISTED_COLUMNS = ("site", "imaging_mode", "sample_name")
MAX_VALUES = 32  # distinct values a list names; more: NULL, any value may be there


class SearchList(Base):
    """One list of a model's compact copy: its centroid and a conservative summary (zone
    map) of the copied columns of its rows, so a filter can rule the whole list out.

    Built by `symcat.store.search_lists` (migration 0013, index builds); widened by a
    trigger when a row written to `search_codes` falls outside it; never narrowed."""

    __tablename__ = "search_lists"
    __table_args__ = (
        ForeignKeyConstraint(["model_id"], ["embedding_models.id"], ondelete="CASCADE",
                             name="fk_search_lists_model_id_embedding_models"),
    )

    model_id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(primary_key=True)
    centroid: Mapped[Any] = mapped_column(HALFVEC(), comment="unit vector")
    centroid_code: Mapped[Any] = mapped_column(
        BIT(varying=True),
        comment="symcat_search_code(centroid): new codes' list by Hamming distance")
    rows: Mapped[int] = mapped_column(Integer, comment="rows assigned when the lists were built")
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    min_acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_acquired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    min_scan_size_x_m: Mapped[float | None] = mapped_column(Float)
    max_scan_size_x_m: Mapped[float | None] = mapped_column(Float)
    min_drive_frequency_hz: Mapped[float | None] = mapped_column(Float)
    max_drive_frequency_hz: Mapped[float | None] = mapped_column(Float)
    sites: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), comment=f"distinct site values; NULL: more than {MAX_VALUES}")
    imaging_modes: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), comment=f"distinct imaging_mode values; NULL: more than {MAX_VALUES}")
    sample_names: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), comment=f"distinct sample_name values; NULL: more than {MAX_VALUES}")
