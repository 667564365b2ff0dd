"""Import human labels from a CSV file: every line checked, all stored or none.

The file has a header. One column names the scan: `scan_id` (or `id`, `scan`), or
`file_sha256` (`sha256`), or `file_name` (`file`, unique in the catalog); another holds
the class: `label` (or `value`). Bad lines are reported by line number, and one bad line
stores nothing.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, select

from symcat.labels.store import LabelError, current_user, get_set, write_labels
from symcat.store.models import Scan

SCAN_KEYS = {"scan_id": "id", "id": "id", "scan": "id", "file_sha256": "sha", "sha256": "sha",
             "file_name": "name", "file": "name"}
LABEL_KEYS = ("label", "value")
MAX_REPORTED = 20


class LabelImportError(LabelError):
    """Some lines are bad; `errors` has one "line N: reason" each; nothing was stored."""

    def __init__(self, path: str, errors: list[str]) -> None:
        self.errors = errors
        shown = errors[:MAX_REPORTED]
        extra = len(errors) - MAX_REPORTED
        more = f"\n  ... and {extra} more" if extra > 0 else ""
        super().__init__(f"{path}: {len(errors)} bad line(s), nothing imported:\n  "
                         + "\n  ".join(shown) + more)


@dataclass(frozen=True)
class ImportOutcome:
    label_set: str
    n_rows: int
    n_changed: int


def _columns(header: list[str], path: str) -> tuple[int, str, int]:
    names = [h.strip().lower() for h in header]
    scan = next(((i, SCAN_KEYS[n]) for i, n in enumerate(names) if n in SCAN_KEYS), None)
    label = next((i for i, n in enumerate(names) if n in LABEL_KEYS), None)
    if scan is None or label is None:
        raise LabelImportError(path, [
            f"line 1: the header must name a scan column ({', '.join(SCAN_KEYS)}) and a label "
            f"column ({', '.join(LABEL_KEYS)}); found {', '.join(header) or 'nothing'}"])
    return scan[0], scan[1], label


def _lookup(conn: Connection, kind: str, keys: set[str]) -> dict[str, list[uuid.UUID]]:
    if not keys:
        return {}
    if kind == "id":
        valid = []
        for k in keys:
            try:
                valid.append(uuid.UUID(k))
            except ValueError:
                continue
        rows = conn.execute(select(Scan.id, Scan.id).where(Scan.id.in_(valid))).all()
        return {str(a): [b] for a, b in rows}
    column = Scan.file_sha256 if kind == "sha" else Scan.file_name
    rows = conn.execute(select(column, Scan.id).where(
        (func.lower(column) if kind == "sha" else column).in_(
            [k.lower() for k in keys] if kind == "sha" else list(keys)))).all()
    found: dict[str, list[uuid.UUID]] = {}
    for key, scan_id in rows:
        found.setdefault(key.lower() if kind == "sha" else key, []).append(scan_id)
    return found


def import_labels(conn: Connection, label_set: str, path: str | Path, *,
                  by: str | None = None) -> ImportOutcome:
    """Check every line of the CSV, then store all its labels in the caller's transaction."""
    stored = get_set(conn, label_set)
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LabelError(f"{name}: cannot read ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        raise LabelError(f"{name}: empty file; expected a header such as `scan_id,label`")
    scan_col, kind, label_col = _columns(rows[0][1], name)
    wanted = max(scan_col, label_col) + 1
    errors: list[str] = []
    parsed: list[tuple[int, str, str]] = []
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < wanted:
            errors.append(f"line {line}: {len(row)} field(s), expected at least {wanted}")
            continue
        key, value = row[scan_col].strip(), row[label_col].strip()
        if not key:
            errors.append(f"line {line}: no scan given")
        elif not value:
            errors.append(f"line {line}: no label given")
        elif value not in stored.classes:
            errors.append(f"line {line}: {value!r} is not a class of {label_set!r} "
                          f"(classes: {', '.join(stored.classes)})")
        else:
            parsed.append((line, key, value))
    found = _lookup(conn, kind, {k.lower() if kind == "sha" else k for _, k, _ in parsed})
    pairs: dict[uuid.UUID, tuple[int, str]] = {}
    for line, key, value in parsed:
        ids = found.get(key.lower() if kind == "sha" else key, [])
        if not ids:
            errors.append(f"line {line}: no scan with {_what(kind)} {key!r} in the catalog")
        elif len(ids) > 1:
            errors.append(f"line {line}: {len(ids)} scans have file name {key!r}; "
                          "use scan_id or file_sha256")
        elif ids[0] in pairs and pairs[ids[0]][1] != value:
            errors.append(f"line {line}: scan {key!r} already labelled {pairs[ids[0]][1]!r} "
                          f"on line {pairs[ids[0]][0]}")
        else:
            pairs[ids[0]] = (line, value)
    if errors:
        errors.sort(key=lambda e: int(e.split(":")[0].removeprefix("line ")))
        raise LabelImportError(name, errors)
    changed = write_labels(conn, label_set, [(s, v) for s, (_, v) in pairs.items()],
                           by=by or current_user(), source="csv")
    return ImportOutcome(label_set, len(pairs), changed)


def _what(kind: str) -> str:
    return {"id": "id", "sha": "sha256", "name": "file name"}[kind]
