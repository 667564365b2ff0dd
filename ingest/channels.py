"""Channel names to quantity, unit and trace direction.

An Asylum image stores one unit string for all its layers, so the unit of a
layer comes from its name ("Phase1Retrace" -> phase, deg), through
`vocab.CHANNEL_QUANTITIES`. The header unit is only trusted for a wave with a
single channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symcat.ingest.notes import Note
from symcat.ingest.vocab import CHANNEL_QUANTITIES, UNIT_QUANTITIES

_NAME = re.compile(r"^(?P<nap>Nap)?(?P<base>[A-Za-z]+?)(?P<num>\d*)(?P<dir>Trace|Retrace)?$")


@dataclass(frozen=True)
class ChannelName:
    """A layer's name split into the parts the document needs."""

    name: str
    base: str  # lower case, no Nap prefix, digits or direction: "amplitude"
    number: str  # "1" in Amplitude1Retrace, "" when none
    nap: bool
    direction: str | None


def clean_label(label: str) -> str:
    """Printable, trimmed label text (NUL junk is already cut by the reader)."""
    return "".join(ch for ch in label if ch.isprintable()).strip()


def split_name(name: str) -> ChannelName:
    """Split "NapPhase1Retrace" into nap, base "phase", number "1", "retrace"."""
    match = _NAME.match(name)
    if match is None:
        return ChannelName(name, name.lower(), "", False, None)
    direction = match["dir"].lower() if match["dir"] else None
    base = match["base"]
    if match["nap"] and not base:
        base = "nap"
    return ChannelName(name, base.lower(), match["num"], bool(match["nap"]), direction)


def quantity_and_unit(
    parts: ChannelName, note: Note | None, header_unit: str | None
) -> tuple[str, str | None]:
    """The channel's physical quantity and SI unit symbol (None when unknown)."""
    row = CHANNEL_QUANTITIES.get(parts.base)
    if row is None:
        if header_unit:
            return UNIT_QUANTITIES.get(header_unit, "unknown"), header_unit
        return "unknown", None
    quantity, unit = row
    if quantity == "user" and note is not None:
        key = "UserCalcUnit" if parts.base == "usercalc" else f"UserIn{parts.number}Unit"
        unit = (note.get(key) or "").strip() or None
    return quantity, unit
