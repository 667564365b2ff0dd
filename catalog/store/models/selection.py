"""Saved selections: a named set of scans (picked on a map or by a filter) that can be
reopened, exported and used in filters (`selection = "bubbles-2024"`)."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now, uuid_pk


class SavedSelection(Base):
    """A named set of scans, with where it came from."""

    __tablename__ = "selections"
    __table_args__ = (CheckConstraint("length(name) > 0", name="name"),)

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(Text, unique=True, comment="What people call it")
    where_text: Mapped[str | None] = mapped_column(
        Text, comment="The filter in force when it was saved, as given")
    projection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("projections.id", ondelete="SET NULL"),
        comment="The map it was selected on, if any")
    n_scans: Mapped[int] = mapped_column(Integer, comment="How many scans it held when saved")
    created_at: Mapped[created_now]


class SelectionScan(Base):
    """One scan of one saved selection."""

    __tablename__ = "selection_scans"

    selection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True)
    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True, index=True)
