"""Which kind a channel is, which channel plays a role (height, amplitude, phase), and
which role a scan is shown by by default.

Kinds come from the standard document's channel `quantity` (set at ingest from Asylum's
names and units) and, when that is missing, from the name itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ROLES: tuple[str, ...] = ("height", "amplitude", "phase", "composite")
# quantity (ingest vocabulary) -> colour-map kind
QUANTITY_KINDS: dict[str, str] = {
    "height": "height", "zsensor": "height", "raw": "height",
    "amplitude": "amplitude", "deflection": "amplitude", "dissipation": "amplitude",
    "phase": "phase", "frequency": "frequency", "potential": "potential",
    "bias": "potential", "current": "current",
}
# substrings of a lower-case channel name, when the quantity is unknown
NAME_KINDS: tuple[tuple[str, str], ...] = (
    ("height", "height"), ("zsensor", "height"), ("zsnsr", "height"), ("amp", "amplitude"),
    ("phase", "phase"), ("freq", "frequency"), ("potential", "potential"),
    ("current", "current"), ("defl", "amplitude"),
)
# substrings that find a role's channel in a scan's channel names (Asylum naming)
ROLE_NEEDLES: dict[str, tuple[str, ...]] = {
    "height": ("height", "zsensor", "zsnsr"), "amplitude": ("amp",), "phase": ("phase",),
}
# imaging mode -> the role that shows what the scientist looks for
MODE_ROLES: dict[str, str] = {
    "dart_pfm": "amplitude", "pfm": "amplitude", "ss_pfm": "amplitude", "efm": "phase",
    "kpfm": "height", "ac": "height", "contact": "height", "stm": "height",
}


@dataclass(frozen=True)
class ChannelInfo:
    """What drawing a channel needs to know besides its pixels."""

    name: str
    kind: str
    unit: str | None = None

    @classmethod
    def from_document(cls, meta: Mapping[str, Any]) -> ChannelInfo:
        """From one entry of a scan document's `channels` list."""
        name = str(meta.get("name", ""))
        return cls(name, channel_kind(name, meta.get("quantity")), meta.get("unit"))


def channel_kind(name: str, quantity: str | None = None) -> str:
    """The colour-map kind of a channel: by its quantity, else by its name, else grey.
    ("phase_cyclic", for phase that wraps round the circle, is asked for explicitly.)"""
    if quantity and quantity in QUANTITY_KINDS:
        return QUANTITY_KINDS[quantity]
    lowered = name.lower()
    if "nap" in lowered and "phase" in lowered:
        return "phase"
    for needle, kind in NAME_KINDS:
        if needle in lowered:
            return kind
    return "grey"


def pick_channel(names: Iterable[str], role: str) -> str | None:
    """The channel playing `role` among `names` (retrace preferred, as Asylum saves both
    directions); None when the scan has none. "composite" needs two channels: see
    `composite_channels`."""
    needles = ROLE_NEEDLES.get(role, (role.lower(),))
    found = [n for n in names if any(k in n.lower() for k in needles)]
    if not found:
        return None
    retrace = [n for n in found if "retrace" in n.lower()]
    return (retrace or found)[0]


def composite_channels(names: Iterable[str]) -> tuple[str, str] | None:
    """The (amplitude, phase) pair the PFM composite A·cos(φ) is made of, if both exist."""
    names = list(names)
    amplitude, phase = pick_channel(names, "amplitude"), pick_channel(names, "phase")
    return (amplitude, phase) if amplitude and phase else None


def default_role(imaging_mode: str | None, names: Iterable[str] = ()) -> str:
    """The role a scan is shown by: amplitude for PFM modes, height for topography modes,
    falling back to a role the scan actually has."""
    names = list(names)
    role = MODE_ROLES.get(imaging_mode or "", "height")
    if not names or pick_channel(names, role) is not None:
        return role
    return next((r for r in ROLES[:3] if pick_channel(names, r) is not None), role)


def channel_infos(document: Mapping[str, Any], names: Iterable[str]) -> dict[str, ChannelInfo]:
    """Kind and unit of each of a scan's channels, keyed by the names `Catalog.scan` gives
    them (which follow the document's channel order)."""
    metas = list(document.get("channels") or [])
    infos: dict[str, ChannelInfo] = {}
    for i, name in enumerate(names):
        meta = metas[i] if i < len(metas) else {"name": name}
        info = ChannelInfo.from_document(meta)
        infos[name] = ChannelInfo(name, info.kind, info.unit)
    return infos


def role_needle(role: str) -> str:
    """The substring that finds a role's stored thumbnail by channel name ("composite"
    has none stored: its amplitude is used)."""
    return ROLE_NEEDLES.get(role if role != "composite" else "amplitude", (role,))[0]
