"""symcat.render: channels drawn the way the field reads them, in one place.

A colour map per channel kind (height, amplitude, phase, frequency, potential...), a
contrast range that suits the kind, a colour bar with range and unit, a scale bar in µm,
and the channel a scan is shown by default (from its imaging mode). Stored thumbnails
(at ingest), the dashboard, matplotlib figures and Jupyter all draw through it.

It is a leaf: it imports nothing else from symcat, only numpy and Pillow (matplotlib in
`symcat.render.figures`, the `project` extra), so an instrument PC that installs the base
dependencies writes the same thumbnails a workstation draws.
"""

from symcat.render.channels import (
    ROLES,
    ChannelInfo,
    channel_infos,
    channel_kind,
    composite_channels,
    default_role,
    pick_channel,
    role_needle,
)
from symcat.render.colormaps import COLORMAPS, Colormap, colormap_for
from symcat.render.image import (
    colour_bar_png,
    colourize,
    composite,
    contrast_range,
    format_value,
    panel_png,
    thumbnail_png,
)

__all__ = [
    "COLORMAPS", "ROLES", "ChannelInfo", "Colormap", "channel_infos", "channel_kind",
    "colormap_for", "composite", "composite_channels", "role_needle",
    "colour_bar_png", "colourize", "contrast_range", "default_role", "format_value",
    "panel_png", "pick_channel", "thumbnail_png",
]
