"""Labels on scans: named vocabularies, human labels, and predictions kept apart from them.

A human label and a prediction live in different tables, so no propagation run can
overwrite what a person said; the views and filters show both side by side. Every row
that concerns a scan carries `scan_id` and the label set's *name* (not a local number),
so a lab can publish these rows under the same sharing rules as their scans and a hub
can merge them without renumbering.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import REAL, CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from symcat.store.base import Base, created_now, uuid_pk
from symcat.store.models.scan import replica_index, shared_flag

RECEIVED = "Arrived from a lab (at a hub); false for rows written in this catalog"

LABEL_SOURCES = ("cli", "client", "dashboard", "csv")


class LabelSet(Base):
    """A named vocabulary, e.g. `domain_type` = stripe, bubble, written_box, tip_artefact."""

    __tablename__ = "label_sets"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    classes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), comment="The allowed label values, in the order they were added"
    )
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_now]


class ScanLabel(Base):
    """What a person said a scan is, in one label set: who, when and through what."""

    __tablename__ = "scan_labels"
    __table_args__ = (
        CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in LABEL_SOURCES) + ")", name="source"
        ),
        Index("ix_scan_labels_label_set_value", "label_set", "value"),
        replica_index("scan_labels", "scan_id", "label_set"),
    )

    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    label_set: Mapped[str] = mapped_column(
        ForeignKey("label_sets.name", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    labelled_by: Mapped[str] = mapped_column(Text)
    labelled_at: Mapped[created_now]
    source: Mapped[str] = mapped_column(Text, comment="cli, client, dashboard or csv")
    shared: Mapped[bool] = shared_flag("Copied from scans.shared")
    received: Mapped[bool] = shared_flag(RECEIVED)


class PropagationRun(Base):
    """One propagation: the graph, the labels it started from, and when it ran."""

    __tablename__ = "propagation_runs"
    __table_args__ = (replica_index("propagation_runs", "id"),)

    id: Mapped[uuid_pk]
    label_set: Mapped[str] = mapped_column(
        ForeignKey("label_sets.name", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    model_id: Mapped[int] = mapped_column(
        ForeignKey("embedding_models.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(Text, comment="poisson or laplace (graphlearning)")
    where_text: Mapped[str | None] = mapped_column(Text, comment="The subset's filter")
    graph: Mapped[dict[str, Any]] = mapped_column(
        comment="kNN graph: k, metric, how the neighbours were found, weights"
    )
    label_snapshot: Mapped[dict[str, Any]] = mapped_column(
        comment="The human labels used: count per class, sha256 of (scan, value) pairs, "
                "latest labelled_at"
    )
    n_scans: Mapped[int] = mapped_column(Integer)
    timings: Mapped[dict[str, Any]] = mapped_column(comment="Seconds per stage, versions")
    created_at: Mapped[created_now]
    shared: Mapped[bool] = shared_flag("One of its predictions is shared")


class Prediction(Base):
    """A propagated label: the class, its confidence and the run that made it."""

    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_label_set_value", "label_set", "value"),
                      replica_index("predictions", "scan_id", "label_set"))

    scan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    label_set: Mapped[str] = mapped_column(
        ForeignKey("label_sets.name", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(
        REAL, comment="The predicted class's share of the positive class scores, 0..1"
    )
    uncertainty: Mapped[float] = mapped_column(
        REAL, comment="1 - margin between the two best classes: high = label this next"
    )
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("propagation_runs.id", ondelete="CASCADE"), index=True
    )
    how: Mapped[str] = mapped_column(
        Text, comment="'graph' (in a full run) or 'neighbours' (a new scan, from its kNN)"
    )
    predicted_at: Mapped[datetime] = mapped_column(nullable=False)
    shared: Mapped[bool] = shared_flag("Copied from scans.shared")
    received: Mapped[bool] = shared_flag(RECEIVED)
