"""Instrument clock readings to ISO-8601 UTC strings.

Igor and Asylum count seconds since 1904-01-01 on the instrument PC's local
wall clock: in every fixture, the note's ``Seconds`` equals its ``Date`` and
``Time`` read as local time, with no zone stated anywhere in the file. So a
reading is converted to UTC through the site's IANA time zone when the site
configures one; without it the wall-clock time is stored as if it were UTC,
and the document's ``acquired_at_timezone`` is null to say so.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

IGOR_EPOCH = datetime(1904, 1, 1)
# Readings outside this window are corrupt or placeholders (e.g. 0).
_EARLIEST = datetime(1985, 1, 1)
_LATEST = datetime(2100, 1, 1)

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp])?\.?[Mm]?\.?\s*$")


def iso_utc(moment: datetime) -> str:
    """`moment` (aware) as "YYYY-MM-DDTHH:MM:SS.mmmZ"."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _to_utc(local: datetime, timezone: str | None) -> str | None:
    if not _EARLIEST <= local < _LATEST:
        return None
    zone = zoneinfo.ZoneInfo(timezone) if timezone else UTC
    return iso_utc(local.replace(tzinfo=zone))


def from_igor_seconds(seconds: float, timezone: str | None) -> str | None:
    """Seconds since 1904-01-01 (instrument local time) to UTC, or None if implausible."""
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    try:
        local = IGOR_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    return _to_utc(local, timezone)


def parse_time_of_day(text: str) -> tuple[int, int, int, int] | None:
    """(hour, minute, second, microsecond) from "08:30:46" or "7:09:19 PM"."""
    match = _TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3] or 0)
    micro = int((match[4] or "0")[:6].ljust(6, "0"))
    meridiem = (match[5] or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, micro


def from_date_time(date: str, time: str, timezone: str | None) -> str | None:
    """A note's Date ("2024-08-20") and Time (12- or 24-hour) to UTC, or None."""
    d = _DATE.match(date)
    t = parse_time_of_day(time)
    if d is None or t is None:
        return None
    try:
        local = datetime(int(d[1]), int(d[2]), int(d[3]), *t)
    except ValueError:
        return None
    return _to_utc(local, timezone)
