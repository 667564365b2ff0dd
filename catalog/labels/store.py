"""Label sets and human labels: create a vocabulary, label scans, read labels back.

Every write is one transaction and checks everything first (the set exists, the value
is in its vocabulary, every scan exists), so a bad request changes nothing. A human
label is replaced only by another human label; predictions live in their own table.
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from symcat.query.expr import scan_conditions
from symcat.store.models import EmbeddingModel, LabelSet, Prediction, PropagationRun, Scan
from symcat.store.models.label import LABEL_SOURCES, ScanLabel

MAX_LISTED = 5


class LabelError(ValueError):
    """A label request that cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class StoredSet:
    name: str
    classes: list[str]
    description: str | None


@dataclass(frozen=True)
class LabelOutcome:
    label_set: str
    value: str | None
    n_scans: int
    n_changed: int


def current_user() -> str:
    """Who is labelling: SYMCAT_USER, else the login name."""
    try:
        return os.environ.get("SYMCAT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _listed(items: Iterable[object]) -> str:
    items = [str(i) for i in items]
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


def create_set(conn: Connection, name: str, classes: Sequence[str], *,
               description: str | None = None, by: str | None = None) -> StoredSet:
    """Create a label set, or add classes to an existing one (classes are never removed)."""
    name = name.strip()
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise LabelError(f"label set name {name!r} must be letters, digits, _ or -")
    cleaned = [c.strip() for c in classes if c.strip()]
    exists = conn.execute(select(LabelSet.name).where(LabelSet.name == name)).first()
    if exists is None:
        if not cleaned:
            raise LabelError(f"give label set {name!r} at least one class (its vocabulary)")
        conn.execute(insert(LabelSet).values(
            name=name, classes=list(dict.fromkeys(cleaned)), description=description,
            created_by=by or current_user()))
    else:
        merged = list(dict.fromkeys([*get_set(conn, name).classes, *cleaned]))
        values: dict[str, object] = {"classes": merged}
        if description is not None:
            values["description"] = description
        conn.execute(LabelSet.__table__.update().where(LabelSet.name == name).values(**values))
    return get_set(conn, name)


def get_set(conn: Connection, name: str) -> StoredSet:
    row = conn.execute(select(LabelSet.name, LabelSet.classes, LabelSet.description)
                       .where(LabelSet.name == name)).first()
    if row is None:
        known = conn.execute(select(LabelSet.name).order_by(LabelSet.name)).scalars().all()
        hint = f"known: {_listed(known)}" if known else "there are none yet"
        raise LabelError(f"unknown label set {name!r} ({hint}); create it with "
                         f"`symcat labels create {name} CLASS [CLASS ...]`")
    return StoredSet(row.name, list(row.classes), row.description)


def check_value(label_set: StoredSet, value: str) -> str:
    if value not in label_set.classes:
        raise LabelError(
            f"{value!r} is not a class of label set {label_set.name!r} (classes: "
            f"{', '.join(label_set.classes)}); add it with "
            f"`symcat labels create {label_set.name} {value}`")
    return value


def parse_scan_ids(items: Iterable[str | uuid.UUID]) -> list[uuid.UUID]:
    ids = []
    for item in items:
        try:
            ids.append(uuid.UUID(str(item)))
        except ValueError:
            raise LabelError(f"{item!r} is not a scan id (a UUID, as `symcat scans` shows)") \
                from None
    return ids


def resolve_scans(conn: Connection, scan_ids: Sequence[str | uuid.UUID] | None,
                  where: str | None) -> list[uuid.UUID]:
    """The scans a request names: explicit ids (all must exist) and/or a filter's result."""
    if not scan_ids and (where is None or not where.strip()):
        raise LabelError("name the scans: give scan ids or a filter (--where EXPR)")
    found: list[uuid.UUID] = []
    if scan_ids:
        wanted = parse_scan_ids(scan_ids)
        present = set(conn.execute(select(Scan.id).where(Scan.id.in_(wanted))).scalars())
        missing = [i for i in wanted if i not in present]
        if missing:
            raise LabelError(f"{len(missing)} scan(s) not in the catalog: {_listed(missing)}; "
                             "nothing was labelled")
        found.extend(wanted)
    if where is not None and where.strip():
        found.extend(conn.execute(select(Scan.id).where(*scan_conditions(where, {}))).scalars())
    return list(dict.fromkeys(found))


def write_labels(conn: Connection, label_set: str, pairs: Sequence[tuple[uuid.UUID, str]], *,
                 by: str, source: str) -> int:
    """Upsert human labels (checked by the caller); returns how many rows changed."""
    if source not in LABEL_SOURCES:
        raise LabelError(f"label source must be one of {LABEL_SOURCES}, got {source!r}")
    if not pairs:
        return 0
    rows = [{"scan_id": s, "label_set": label_set, "value": v, "labelled_by": by,
             "source": source} for s, v in pairs]
    changed = 0
    for start in range(0, len(rows), 5000):
        statement = insert(ScanLabel).values(rows[start:start + 5000])
        statement = statement.on_conflict_do_update(
            index_elements=["scan_id", "label_set"],
            set_={"value": statement.excluded.value, "labelled_by": statement.excluded.labelled_by,
                  "source": statement.excluded.source, "labelled_at": func.now()},
            where=ScanLabel.value != statement.excluded.value,
        ).returning(ScanLabel.scan_id)
        changed += len(conn.execute(statement).all())
    return changed


def label_scans(conn: Connection, label_set: str, value: str, *,
                scan_ids: Sequence[str | uuid.UUID] | None = None, where: str | None = None,
                by: str | None = None, source: str = "client") -> LabelOutcome:
    """Give every named scan (ids and/or a filter's result) the human label `value`."""
    stored = get_set(conn, label_set)
    check_value(stored, value)
    ids = resolve_scans(conn, scan_ids, where)
    changed = write_labels(conn, label_set, [(i, value) for i in ids],
                           by=by or current_user(), source=source)
    return LabelOutcome(label_set, value, len(ids), changed)


def unlabel_scans(conn: Connection, label_set: str, *,
                  scan_ids: Sequence[str | uuid.UUID] | None = None,
                  where: str | None = None) -> LabelOutcome:
    """Remove the human labels of the named scans in one set (predictions stay)."""
    get_set(conn, label_set)
    ids = resolve_scans(conn, scan_ids, where)
    removed = conn.execute(delete(ScanLabel).where(
        ScanLabel.label_set == label_set, ScanLabel.scan_id.in_(ids))).rowcount
    return LabelOutcome(label_set, None, len(ids), removed)


def label_sets_frame(conn: Connection) -> pd.DataFrame:
    """Every label set with its classes and how many labels and predictions it has."""
    labels = (select(ScanLabel.label_set, func.count().label("n"))
              .group_by(ScanLabel.label_set).subquery())
    predicted = (select(Prediction.label_set, func.count().label("n"))
                 .group_by(Prediction.label_set).subquery())
    rows = conn.execute(
        select(LabelSet.name, LabelSet.classes, LabelSet.description,
               func.coalesce(labels.c.n, 0), func.coalesce(predicted.c.n, 0),
               LabelSet.created_by, LabelSet.created_at)
        .outerjoin(labels, labels.c.label_set == LabelSet.name)
        .outerjoin(predicted, predicted.c.label_set == LabelSet.name)
        .order_by(LabelSet.name)).all()
    return pd.DataFrame(rows, columns=["label_set", "classes", "description", "n_labels",
                                       "n_predictions", "created_by", "created_at"])


LABEL_COLUMNS = ["scan_id", "label_set", "label", "labelled_by", "labelled_at", "label_source",
                 "predicted", "predicted_p", "uncertainty", "predicted_how", "model", "method",
                 "predicted_at"]


def labels_frame(conn: Connection, label_set: str | None = None, *,
                 where: str | None = None, predictions: bool = True) -> pd.DataFrame:
    """Human labels (and predictions) per scan, one row per (scan, set) that has either."""
    if label_set is not None:
        get_set(conn, label_set)
    human = select(ScanLabel.scan_id, ScanLabel.label_set, ScanLabel.value.label("label"),
                   ScanLabel.labelled_by, ScanLabel.labelled_at,
                   ScanLabel.source.label("label_source"))
    if label_set is not None:
        human = human.where(ScanLabel.label_set == label_set)
    if where:
        human = human.where(ScanLabel.scan_id.in_(
            select(Scan.id).where(*scan_conditions(where, {}))))
    frame = pd.DataFrame(conn.execute(human).all(),
                         columns=["scan_id", "label_set", "label", "labelled_by",
                                  "labelled_at", "label_source"])
    if predictions:
        machine = (select(Prediction.scan_id, Prediction.label_set,
                          Prediction.value.label("predicted"),
                          Prediction.confidence.label("predicted_p"), Prediction.uncertainty,
                          Prediction.how.label("predicted_how"),
                          EmbeddingModel.name.label("model"), PropagationRun.method,
                          Prediction.predicted_at)
                   .join(PropagationRun, PropagationRun.id == Prediction.run_id)
                   .join(EmbeddingModel, EmbeddingModel.id == PropagationRun.model_id))
        if label_set is not None:
            machine = machine.where(Prediction.label_set == label_set)
        if where:
            machine = machine.where(Prediction.scan_id.in_(
                select(Scan.id).where(*scan_conditions(where, {}))))
        predicted = pd.DataFrame(conn.execute(machine).all(),
                                 columns=["scan_id", "label_set", "predicted", "predicted_p",
                                          "uncertainty", "predicted_how", "model", "method",
                                          "predicted_at"])
        frame = frame.merge(predicted, on=["scan_id", "label_set"], how="outer")
    for column in LABEL_COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[LABEL_COLUMNS].sort_values(["label_set", "scan_id"], ignore_index=True)


def wide_labels(conn: Connection, scan_ids: Sequence[uuid.UUID]) -> pd.DataFrame:
    """Columns `label.<set>`, `predicted.<set>`, `predicted_p.<set>` for these scans, for
    joining onto a scans DataFrame (index: scan id)."""
    if not scan_ids:
        return pd.DataFrame()
    long = labels_frame(conn)
    long = long[long["scan_id"].isin(set(scan_ids))]
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="id"))
    wide = long.pivot(index="scan_id", columns="label_set",
                      values=["label", "predicted", "predicted_p"])
    wide.columns = [f"{kind}.{name}" for kind, name in wide.columns]
    wide.index.name = "id"
    return wide
