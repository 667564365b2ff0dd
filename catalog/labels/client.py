"""`catalog.labels`: label sets, human labels, imports, propagation and the label-next queue
from Python, returning DataFrames."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from symcat.labels import store
from symcat.labels.csv_import import ImportOutcome, import_labels


class Labels:
    """Labels of one catalog; every write is one transaction (all or nothing)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_set(self, name: str, classes: Sequence[str], *, description: str | None = None,
                   by: str | None = None) -> list[str]:
        """Create a label set (or add classes to it); returns its classes."""
        with self.engine.begin() as conn:
            return list(store.create_set(conn, name, classes, description=description,
                                         by=by).classes)

    def sets(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return store.label_sets_frame(conn)

    def label(self, label_set: str, value: str, scans: Sequence[str | uuid.UUID] | None = None,
              *, where: str | None = None, by: str | None = None,
              source: str = "client") -> store.LabelOutcome:
        """Label scans (ids, and/or every scan a filter expression selects) as `value`."""
        with self.engine.begin() as conn:
            return store.label_scans(conn, label_set, value, scan_ids=scans, where=where,
                                     by=by, source=source)

    def unlabel(self, label_set: str, scans: Sequence[str | uuid.UUID] | None = None, *,
                where: str | None = None) -> store.LabelOutcome:
        with self.engine.begin() as conn:
            return store.unlabel_scans(conn, label_set, scan_ids=scans, where=where)

    def import_csv(self, label_set: str, path: str | Path, *,
                   by: str | None = None) -> ImportOutcome:
        """Labels from a CSV (`scan_id|file_sha256|file_name,label`): all lines or none."""
        with self.engine.begin() as conn:
            return import_labels(conn, label_set, path, by=by)

    def frame(self, label_set: str | None = None, *, where: str | None = None,
              predictions: bool = True) -> pd.DataFrame:
        """One row per (scan, set) with a human label and/or a prediction, with provenance."""
        with self.engine.connect() as conn:
            return store.labels_frame(conn, label_set, where=where, predictions=predictions)

    def propagate(self, label_set: str, *, model: str | None = None, where: str | None = None,
                  method: str = "poisson", k: int | None = None, new_only: bool = False,
                  progress: bool = False) -> Any:
        """Extend the human labels to the other scans with a vector under `model`
        (`symcat.labels.propagate`); `new_only` predicts only scans without a prediction
        from their neighbours, without re-running the whole graph."""
        from symcat.embed.registry import default_extractor
        from symcat.labels.propagate import predict_new, propagate_catalog

        name = model or default_extractor()
        if new_only:
            return predict_new(self.engine, label_set, model=name, where=where)
        return propagate_catalog(self.engine, label_set, model=name, where=where,
                                 method=method, k=k, progress=progress)

    def next(self, label_set: str, n: int = 10, *, where: str | None = None) -> pd.DataFrame:
        """The unlabelled scans whose label would help most (highest uncertainty of the
        latest propagation)."""
        from symcat.labels.propagate import label_next

        with self.engine.connect() as conn:
            return label_next(conn, label_set, n, where=where)
