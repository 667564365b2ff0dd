"""2-D maps of a set of scans (UMAP projections), with the lineage that reproduces them.

A projection is made from a filter (a root) or from a selection of another projection's
points (a child, `parent_id`), so a chain of recursive selections is a path of rows.
Everything that decided the coordinates is stored: the model, the filter, the hash of
the exact subset of scans, the parameters (with the seed actually used) and, for a
child, how its points were selected. `cache_key` hashes the request, so an identical
request is answered from this table instead of being recomputed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import REAL, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now, uuid_pk


class Projection(Base):
    """One computed map: what it was made from, with which parameters, and its parent."""

    __tablename__ = "projections"
    __table_args__ = (CheckConstraint("n_points >= 0", name="n_points"),)

    id: Mapped[uuid_pk]
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projections.id", ondelete="CASCADE"), index=True,
        comment="The projection this one re-projects a selection of; null for a root",
    )
    model_id: Mapped[int] = mapped_column(
        ForeignKey("embedding_models.id", ondelete="CASCADE"), index=True,
    )
    where_text: Mapped[str | None] = mapped_column(
        Text, comment="The filter expression of a root projection, as given"
    )
    filters: Mapped[dict[str, Any]] = mapped_column(comment="Keyword filters of a root projection")
    selection: Mapped[dict[str, Any] | None] = mapped_column(
        comment="How a child's points were chosen from its parent (ids, box or polygon)"
    )
    params: Mapped[dict[str, Any]] = mapped_column(
        comment="UMAP parameters as used (seed and epochs included), and the kNN method"
    )
    params_repr: Mapped[str] = mapped_column(Text, comment="The parameters as requested")
    subset_sha256: Mapped[str] = mapped_column(
        String(64), index=True, comment="sha256 of the sorted scan ids projected"
    )
    n_points: Mapped[int] = mapped_column(Integer)
    cache_key: Mapped[str] = mapped_column(
        String(64), unique=True, comment="sha256 of the request; identical requests reuse the row"
    )
    timings: Mapped[dict[str, Any]] = mapped_column(comment="Seconds per stage, library versions")
    created_at: Mapped[created_now]


class ProjectionPoint(Base):
    """One scan's position in one projection."""

    __tablename__ = "projection_points"

    projection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projections.id", ondelete="CASCADE"), primary_key=True
    )
    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    x: Mapped[float] = mapped_column(REAL)
    y: Mapped[float] = mapped_column(REAL)
