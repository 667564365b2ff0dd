"""Plane-group predictions of scans: a group or "none", its calibrated probability, why.

One row per (scan, symmetry model), written when scans are embedded with a model that
predicts symmetry (``symcat.embed.symmetry_store``). ``symmetry`` is "none" when the
model abstained (no lattice, too few cells, low confidence); ``probability`` is the
calibrated probability of ``top_group`` either way. Filters ``symmetry``,
``symmetry_p`` use the newest model's row of each scan. A row follows its scan to hubs
(``shared``, migration 0016); at a hub, ``received`` marks a lab's rows.
"""

from __future__ import annotations

import uuid

from sqlalchemy import REAL, CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now
from symcat.store.models.label import RECEIVED
from symcat.store.models.scan import replica_index, shared_flag

LABELS = ("p1", "p2", "pm", "pg", "cm", "pmm", "pmg", "pgg", "cmm", "p4", "p4m", "p4g", "p3",
          "p3m1", "p31m", "p6", "p6m", "none")
_IN_LABELS = ", ".join(f"'{x}'" for x in LABELS)


class SymmetryPrediction(Base):
    """A scan's plane group under one symmetry model, with calibrated probability."""

    __tablename__ = "symmetry_predictions"
    __table_args__ = (
        CheckConstraint(f"symmetry IN ({_IN_LABELS})", name="symmetry"),
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        Index("ix_symmetry_predictions_symmetry", "symmetry", "probability"),
        replica_index("symmetry_predictions", "scan_id", "model_id"),
    )

    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[int] = mapped_column(
        ForeignKey("embedding_models.id", ondelete="CASCADE"), primary_key=True
    )
    symmetry: Mapped[str] = mapped_column(Text, comment="Plane group, or 'none' (abstained)")
    probability: Mapped[float] = mapped_column(
        REAL, comment="Calibrated probability of top_group (also when symmetry is 'none')")
    top_group: Mapped[str] = mapped_column(Text, comment="The likeliest plane group")
    p_none: Mapped[float] = mapped_column(REAL, comment="Probability of the 'no lattice' class")
    reason: Mapped[str | None] = mapped_column(Text, comment="Why it abstained; null otherwise")
    period_a_px: Mapped[float | None] = mapped_column(REAL, comment="Shorter lattice period")
    period_b_px: Mapped[float | None] = mapped_column(REAL, comment="Longer lattice period")
    angle_deg: Mapped[float | None] = mapped_column(
        REAL, comment="Direction of the shorter lattice vector, degrees from the fast axis")
    created_at: Mapped[created_now]
    shared: Mapped[bool] = shared_flag("Copied from scans.shared")
    received: Mapped[bool] = shared_flag(RECEIVED)
