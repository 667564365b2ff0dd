"""A whole scan drawn for people: one captioned panel per image channel (plus the PFM
composite when the scan has amplitude and phase), from its document and arrays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from symcat.render.channels import channel_infos, composite_channels, default_role, pick_channel
from symcat.render.image import composite, panel_png


@dataclass(frozen=True)
class Panel:
    """One drawn channel: its name, its colour-map kind and the PNG."""

    name: str
    kind: str
    png: bytes


def role_image(document: Mapping[str, Any], channels: Mapping[str, np.ndarray], role: str
               ) -> tuple[str, np.ndarray, str, str | None] | None:
    """(label, image, kind, unit) of the channel playing `role` ("composite": A·cos φ)."""
    infos = channel_infos(document, channels)
    images = {n: a for n, a in channels.items() if a.ndim == 2}
    if role == "composite":
        pair = composite_channels(images)
        if pair is None:
            return None
        amplitude, phase = pair
        return ("A·cos φ", composite(images[amplitude], images[phase], infos[phase].unit),
                "composite", infos[amplitude].unit)
    name = pick_channel(images, role)
    if name is None:
        return None
    return name, images[name], infos[name].kind, infos[name].unit


def scan_panels(document: Mapping[str, Any], channels: Mapping[str, np.ndarray], *,
                size: int = 160, limit: int = 8) -> list[Panel]:
    """Panels for the scan's image channels (at most `limit`), the default role first, and
    the composite last when there is one."""
    infos = channel_infos(document, channels)
    scan_size = (document.get("scan") or {}).get("size_x_m")
    names = [n for n, a in channels.items() if a.ndim == 2]
    first = pick_channel(names, default_role(document.get("imaging_mode"), names))
    names = ([first] if first else []) + [n for n in names if n != first]
    panels = [Panel(n, infos[n].kind, panel_png(channels[n], kind=infos[n].kind,
                                                 unit=infos[n].unit, scan_size_m=scan_size,
                                                 title=n, size=size))
              for n in names[:limit]]
    mixed = role_image(document, channels, "composite")
    if mixed is not None:
        label, image, kind, unit = mixed
        panels.append(Panel(label, kind, panel_png(image, kind=kind, unit=unit,
                                                   scan_size_m=scan_size, title=label,
                                                   size=size)))
    return panels
