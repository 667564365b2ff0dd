"""The one write path from ingest: a `ScanRecord` (or a `Refused`) becomes rows.

Idempotent on the file's sha256: a file that is already catalogued adds
nothing, even when two processes store it at the same moment (the unique key
decides, the loser's transaction stores nothing). The caller owns the
transaction, so a record and its original are stored together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert

from symcat.ingest.records import PARSER_VERSION, Refused, ScanRecord
from symcat.render.channels import channel_kind
from symcat.store.models import Channel, OriginalFile, Refusal, Scan
from symcat.store.pixels import quantize_u16, thumbnail_png
from symcat.store.sharing import flags_for

Status = Literal["new", "present", "refused"]


@dataclass(frozen=True)
class LoadOutcome:
    """What happened to one file, for the ingest summary."""

    path: str
    status: Status
    file_sha256: str | None
    scan_id: uuid.UUID | None = None
    kind: str | None = None
    reason: str | None = None


# One round trip for both questions, built once: it runs before every file is parsed.
_KNOWN = select(
    select(Scan.id).where(Scan.file_sha256 == bindparam("b_sha")).exists(),
    select(Refusal.parser_version)
    .where(Refusal.file_sha256 == bindparam("b_sha"), Refusal.resolved_at.is_(None))
    .scalar_subquery(),
)


def known_status(conn: Connection, file_sha256: str) -> Status | None:
    """'present' if catalogued, 'refused' if this parser version already refused it."""
    present, refused_by = conn.execute(_KNOWN, {"b_sha": file_sha256}).one()
    if present:
        return "present"
    if refused_by == PARSER_VERSION:
        return "refused"
    return None


def _timestamp(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def scan_columns(doc: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns, taken from the standard document (which stays whole in JSONB)."""
    scan = doc.get("scan") or {}
    sample = doc.get("sample") or {}
    excitation = doc.get("excitation") or {}
    cantilever = doc.get("cantilever") or {}
    return {
        "file_sha256": doc["file_sha256"],
        "record_kind": doc["record_kind"],
        "schema_version": doc["schema_version"],
        "parser_version": doc["parser_version"],
        "site": doc.get("site") or "local",
        "instrument": doc.get("instrument") or "unknown",
        "source_path": doc["source_path"],
        "file_name": doc["file_name"],
        "file_size_bytes": doc["file_size_bytes"],
        "ingested_at": _timestamp(doc.get("ingested_at")) or datetime.now(UTC),
        "acquired_at": _timestamp(doc.get("acquired_at")),
        "vendor": doc.get("vendor"),
        "instrument_model": doc.get("instrument_model"),
        "software_version": doc.get("software_version"),
        "imaging_mode": doc["imaging_mode"],
        "imaging_mode_raw": doc.get("imaging_mode_raw"),
        "base_name": doc.get("base_name"),
        "sample_name": sample.get("name"),
        "material": sample.get("material"),
        "operator": sample.get("operator"),
        "project": sample.get("project"),
        "channel_names": [c["name"] for c in doc.get("channels", [])],
        "scan_size_x_m": scan.get("size_x_m"),
        "scan_size_y_m": scan.get("size_y_m"),
        "pixels_x": scan.get("pixels_x"),
        "pixels_y": scan.get("pixels_y"),
        "pixel_size_m": scan.get("pixel_size_x_m"),
        "scan_rate_hz": scan.get("rate_hz"),
        "scan_angle_deg": scan.get("angle_deg"),
        "drive_frequency_hz": excitation.get("drive_frequency_hz"),
        "drive_amplitude_v": excitation.get("drive_amplitude_v"),
        "tip_bias_v": excitation.get("tip_bias_v"),
        "sample_bias_v": excitation.get("sample_bias_v"),
        "spring_constant_n_m": cantilever.get("spring_constant_n_m"),
        "invols_m_v": cantilever.get("invols_m_v"),
        "uncalibrated": cantilever.get("uncalibrated"),
        "document": doc,
    }


def channel_rows(scan_id: uuid.UUID, record: ScanRecord) -> list[dict[str, Any]]:
    rows = []
    for meta, values in zip(record.document.get("channels", []), record.arrays, strict=True):
        stats = meta.get("stats") or {}
        lo, hi = stats.get("min"), stats.get("max")
        rows.append(
            {
                "scan_id": scan_id,
                "index": meta["index"],
                "name": meta["name"],
                "quantity": meta["quantity"],
                "unit": meta.get("unit"),
                "direction": meta.get("direction"),
                "min": lo,
                "max": hi,
                "mean": stats.get("mean"),
                "std": stats.get("std"),
                "nan_fraction": stats.get("nan_fraction", 0.0),
                "shape": list(values.shape),
                "pixels_u16": quantize_u16(values, lo, hi),
                "thumbnail_png": (thumbnail_png(values, channel_kind(meta["name"],
                                                                     meta["quantity"]))
                                  if values.ndim == 2 else None),
            }
        )
    return rows


# Built once and executed with parameters: SQLAlchemy then reuses their compiled form (a
# statement built per file with .values() cost ~4 ms of CPU per file; issue 17). Core
# tables, not the ORM classes: the ORM's bulk-insert layer added as much again.
# No arbiter named for originals: the replica-identity index (file_sha256, shared) is
# unique too, and two ingests storing one file at once would otherwise collide on it.
_INSERT_ORIGINAL = insert(OriginalFile.__table__).on_conflict_do_nothing()
_INSERT_SCAN = (insert(Scan.__table__)
                .on_conflict_do_nothing(index_elements=["site", "file_sha256"])
                .returning(Scan.__table__.c.id))
_INSERT_CHANNELS = insert(Channel.__table__)


@dataclass(frozen=True)
class PreparedRecord:
    """A record with its rows computed (pixels quantised, thumbnails drawn): the CPU work of
    storing it, done before the transaction, so that it can overlap another file's commit."""

    record: ScanRecord
    scan_id: uuid.UUID
    columns: dict[str, Any]
    channels: list[dict[str, Any]]


def prepare_record(record: ScanRecord) -> PreparedRecord:
    scan_id = uuid.uuid4()
    return PreparedRecord(record, scan_id, scan_columns(record.document),
                          channel_rows(scan_id, record))


def store_record(conn: Connection, record: ScanRecord | PreparedRecord, content: bytes
                 ) -> LoadOutcome:
    """Store the original, the scan and its channels in the caller's transaction."""
    prepared = record if isinstance(record, PreparedRecord) else prepare_record(record)
    scan = prepared.record
    doc = scan.document
    sha = scan.file_sha256
    scan_id = prepared.scan_id
    flags = flags_for(conn, prepared.columns)  # the lab's sharing rules (symcat.store.sharing)
    conn.execute(_INSERT_ORIGINAL, {"file_sha256": sha, "size_bytes": len(content),
                                    "content": content, "shared": flags["share_original"]})
    inserted = conn.execute(_INSERT_SCAN, {
        "id": scan_id, **prepared.columns, "source_path_bytes": scan.source_path_bytes,
        **flags,
    }).first()
    if inserted is None:
        return LoadOutcome(doc["source_path"], "present", sha, kind=scan.kind)
    if prepared.channels:
        conn.execute(_INSERT_CHANNELS, prepared.channels)
    resolve_refusals(conn, scan_id, sha, doc["source_path"], doc.get("instrument") or "unknown")
    return LoadOutcome(doc["source_path"], "new", sha, scan_id=scan_id, kind=scan.kind)


def resolve_refusals(
    conn: Connection, scan_id: uuid.UUID, file_sha256: str, source_path: str, instrument: str
) -> int:
    """Mark refusals that this new scan makes moot; returns how many.

    A file refused by an older parser and accepted now, and the refusals left
    at the same path on the same instrument by earlier contents (a slow writer's
    half-written file, a file that was briefly a FIFO), stop being refusals.
    They are marked, never deleted: the ingest role has no DELETE.
    """
    return conn.execute(_RESOLVE_REFUSALS, {
        "b_sha": file_sha256, "b_path": source_path, "b_instrument": instrument,
        "b_scan": scan_id}).rowcount


_REFUSALS = Refusal.__table__.c
_RESOLVE_REFUSALS = (
    update(Refusal.__table__)
    .where(_REFUSALS.resolved_at.is_(None),
           (_REFUSALS.file_sha256 == bindparam("b_sha"))
           | ((_REFUSALS.source_path == bindparam("b_path"))
              & (_REFUSALS.instrument == bindparam("b_instrument"))))
    .values(resolved_at=func.now(), resolved_scan_id=bindparam("b_scan"))
)


def store_refusal(
    conn: Connection, refused: Refused, *, site: str, instrument: str
) -> LoadOutcome:
    """Record why a file was not catalogued; seeing it again only bumps its counters.

    The same file is recognised by its sha256, or by its path when it could not be read
    at all (no sha256).
    """
    seen_again = {"last_seen_at": func.now(), "times_seen": Refusal.times_seen + 1}
    if refused.file_sha256 is None:
        bumped = conn.execute(
            update(Refusal)
            .where(Refusal.file_sha256.is_(None), Refusal.source_path == refused.path,
                   Refusal.resolved_at.is_(None))
            .values(reason=refused.reason, **seen_again)
        ).rowcount
        if bumped:
            return LoadOutcome(refused.path, "refused", None, reason=refused.reason)
    values = {
        "file_sha256": refused.file_sha256,
        "source_path": refused.path,
        "source_path_bytes": refused.path_bytes,
        "file_size_bytes": refused.file_size_bytes,
        "reason": refused.reason,
        "parser_version": PARSER_VERSION,
        "site": site,
        "instrument": instrument,
    }
    statement = insert(Refusal).values(id=uuid.uuid4(), **values)
    if refused.file_sha256 is not None:
        statement = statement.on_conflict_do_update(
            index_elements=["file_sha256"],
            set_={
                "reason": statement.excluded.reason,
                "parser_version": statement.excluded.parser_version,
                "source_path": statement.excluded.source_path,
                **seen_again,
            },
        )
    conn.execute(statement)
    return LoadOutcome(refused.path, "refused", refused.file_sha256, reason=refused.reason)


def store_result(
    conn: Connection, result: ScanRecord | PreparedRecord | Refused, content: bytes, *,
    site: str, instrument: str,
) -> LoadOutcome:
    """Store what the reader made of a file: the record (prepared or not), or the refusal."""
    if isinstance(result, Refused):
        return store_refusal(conn, result, site=site, instrument=instrument)
    return store_record(conn, result, content)
