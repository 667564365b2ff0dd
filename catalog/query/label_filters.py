"""Filter fields over labels: `label.<set>`, `predicted.<set>`, `predicted_p[.<set>]`.

    label.domain_type = stripe
    predicted.domain_type = bubble and predicted_p >= 0.9
    label.domain_type is null and predicted.domain_type in (stripe, bubble)

Each field is a correlated subquery on the scan, so it composes with every operator
of the filter language (`=`, `in`, `is null`, `~`, ...). A bare `predicted_p` is the
confidence of the one set named by a `predicted.<set>` in the same expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from symcat.query.filters import FilterError
from symcat.store.models import Prediction, Scan, ScanLabel

PREFIXES = ("label.", "predicted.", "predicted_p.")


def _predicted_sets(words: Sequence[str]) -> set[str]:
    return {w.split(".", 1)[1] for w in words if w.lower().startswith("predicted.")}


def label_column(name: str, words: Sequence[str] = ()) -> Any | None:
    """The column a label field stands for, or None when `name` is not a label field.
    `words` are the expression's other names (to resolve a bare `predicted_p`)."""
    lowered = name.lower()
    if lowered == "predicted_p":
        sets = _predicted_sets(words)
        if len(sets) != 1:
            raise FilterError(
                "predicted_p needs its label set: write predicted_p.<set>, or name exactly one "
                f"predicted.<set> in the expression (it names {len(sets)})")
        return _subquery(Prediction.confidence, Prediction, sets.pop())
    prefix = next((p for p in PREFIXES if lowered.startswith(p)), None)
    if prefix is None:
        return None
    label_set = name[len(prefix):]
    if not label_set:
        raise FilterError(f"{name!r} needs a label set name after the dot, "
                          f"e.g. {prefix}domain_type")
    if prefix == "label.":
        return _subquery(ScanLabel.value, ScanLabel, label_set)
    if prefix == "predicted.":
        return _subquery(Prediction.value, Prediction, label_set)
    return _subquery(Prediction.confidence, Prediction, label_set)


def _subquery(column: Any, table: Any, label_set: str) -> Any:
    return (select(column)
            .where(table.scan_id == Scan.id, table.label_set == label_set)
            .scalar_subquery())
