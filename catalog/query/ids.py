"""Ids as people type them: a full UUID or any unique prefix of at least 6 hex digits.

`symcat scans` shows 8-digit prefixes; every place that takes an id (the CLI, the
client, the dashboard) resolves them here, with one query on the primary key
(a range scan: the prefix padded with 0s and with fs), so a prefix costs no more
than a full id.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID

MIN_PREFIX = 6
SHOWN_MATCHES = 5
_HEX = re.compile(r"[0-9a-f]+")


class IdError(LookupError):
    """An id that names no row, several rows, or is not an id at all."""


class InvalidId(IdError, ValueError):
    """Text that cannot be an id (not hex, too short, too long)."""


class ScanNotFound(IdError):
    """No row has this id (or an id starting with this prefix)."""


class AmbiguousId(IdError):
    """A prefix that starts more than one id; the message lists them."""


def parse_id(text: Any, what: str = "scan") -> uuid.UUID | str:
    """A full UUID, or the normalized hex prefix (lower case, no hyphens) to look up."""
    if isinstance(text, uuid.UUID):
        return text
    raw = str(text).strip().lower()
    digits = raw.replace("-", "")
    if not digits or not _HEX.fullmatch(digits):
        raise InvalidId(f"{what} id {str(text)!r} is not an id: use the hex digits that "
                        f"`symcat scans` shows (at least {MIN_PREFIX})")
    if len(digits) > 32:
        raise InvalidId(f"{what} id {str(text)!r} is longer than a UUID (32 hex digits)")
    if len(digits) == 32:
        return uuid.UUID(digits)
    if len(digits) < MIN_PREFIX:
        raise InvalidId(f"{what} id {str(text)!r} is too short: give at least {MIN_PREFIX} "
                        "hex digits")
    return digits


def resolve_id(conn: Connection, column: Any, text: Any, what: str = "scan") -> uuid.UUID:
    """The one id in `column` equal to `text` or starting with it.

    Raises InvalidId, ScanNotFound or AmbiguousId (all `IdError`), each one line.
    """
    parsed = parse_id(text, what)
    if isinstance(parsed, uuid.UUID):
        found = conn.execute(select(column).where(column == parsed)).scalar()
        if found is None:
            raise ScanNotFound(f"no {what} with id {parsed}")
        return parsed
    low = uuid.UUID(parsed.ljust(32, "0"))
    high = uuid.UUID(parsed.ljust(32, "f"))
    rows = conn.execute(
        select(column).where(column.between(low, high)).order_by(column)
        .limit(SHOWN_MATCHES + 1)
    ).scalars().all()
    if not rows:
        raise ScanNotFound(f"no {what} id starts with {parsed!r}")
    if len(rows) > 1:
        shown = ", ".join(str(r) for r in rows[:SHOWN_MATCHES])
        more = " and more" if len(rows) > SHOWN_MATCHES else ""
        raise AmbiguousId(f"{what} id prefix {parsed!r} matches several: {shown}{more}; "
                          "give more digits")
    return uuid.UUID(str(rows[0]))


def short_ids(conn: Connection, column: Any, ids: list[uuid.UUID], min_len: int = 8
              ) -> dict[uuid.UUID, str]:
    """The shortest prefix (at least `min_len` hex digits) of each id that no other id in
    `column` shares: what listings print, so every printed id is accepted back."""
    if not ids:
        return {}
    col = column
    wanted = sorted({uuid.UUID(str(i)) for i in ids})
    given = func.unnest(bindparam("ids", wanted, type_=ARRAY(UUID(as_uuid=True)))) \
        .table_valued("id").render_derived(name="given")
    before = select(col).where(col < given.c.id).order_by(col.desc()).limit(1).scalar_subquery()
    after = select(col).where(col > given.c.id).order_by(col).limit(1).scalar_subquery()
    rows = conn.execute(select(given.c.id, before, after)).all()
    shown: dict[uuid.UUID, str] = {}
    for key, prev, nxt in rows:
        digits = uuid.UUID(str(key)).hex
        common = max(_common(digits, uuid.UUID(str(other)).hex) for other in (prev, nxt)
                     if other is not None) if (prev or nxt) else 0
        shown[uuid.UUID(str(key))] = digits[:max(min_len, common + 1)]
    return shown


def _common(a: str, b: str) -> int:
    n = 0
    while n < len(a) and a[n] == b[n]:
        n += 1
    return n


__all__ = ["MIN_PREFIX", "AmbiguousId", "IdError", "InvalidId", "ScanNotFound", "parse_id",
           "resolve_id", "short_ids"]
