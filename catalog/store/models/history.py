"""Which content each path held, in order: the truth behind a file's version chain."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now


class PathVersion(Base):
    """One observation that `source_path` on `instrument` held the file of `scan_id`.

    Insert-only. A row is added when the content at a path differs from the
    last one recorded there, also when it returns to an older content (A, B, A):
    the scan of A is not stored twice (one scan per sha256), but the history says
    the path holds A again, so the next new content's previous version is A.
    """

    __tablename__ = "path_versions"
    __table_args__ = (Index("ix_path_versions_path", "instrument", "source_path", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                               index=True)
    instrument: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[created_now]

