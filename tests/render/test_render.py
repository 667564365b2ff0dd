"""Channels drawn the way the field reads them: colour maps per kind, contrast, colour and
scale bars, the channel shown by default (no database)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from symcat.render import (
    COLORMAPS,
    channel_kind,
    colourize,
    contrast_range,
    default_role,
    format_value,
    panel_png,
    pick_channel,
    thumbnail_png,
)
from symcat.render.image import _block_mean, format_range, nice_length
from symcat.render.scan import role_image, scan_panels

ASYLUM = ["HeightTrace", "HeightRetrace", "AmplitudeTrace", "AmplitudeRetrace", "PhaseTrace",
          "PhaseRetrace", "FrequencyRetrace"]


def test_every_map_is_a_256_colour_table_and_kinds_differ() -> None:
    for cmap in COLORMAPS.values():
        assert cmap.lut.shape == (256, 3) and cmap.lut.dtype == np.uint8
    assert COLORMAPS["phase_cyclic"].lut[0].tolist() == COLORMAPS["phase_cyclic"].lut[-1].tolist()
    assert COLORMAPS["height"].lut[0].tolist() == [0, 0, 0]  # afmhot: black to white
    assert COLORMAPS["height"].lut[-1].tolist() == [255, 255, 255]
    ends = {name: tuple(c.lut[255]) for name, c in COLORMAPS.items()}
    assert len(set(ends.values())) >= 6


@pytest.mark.parametrize(("name", "quantity", "kind"), [
    ("HeightRetrace", "height", "height"), ("AmplitudeRetrace", "amplitude", "amplitude"),
    ("PhaseRetrace", "phase", "phase"), ("NapPhaseRetrace", None, "phase"),
    ("FrequencyRetrace", "frequency", "frequency"), ("PotentialRetrace", "potential",
                                                     "potential"),
    ("ZSensorRetrace", None, "height"), ("UserIn0", "user", "grey"),
])
def test_channel_kinds(name: str, quantity: str | None, kind: str) -> None:
    assert channel_kind(name, quantity) == kind


def test_default_channel_follows_the_imaging_mode() -> None:
    assert default_role("dart_pfm", ASYLUM) == "amplitude"
    assert default_role("pfm") == "amplitude"
    assert default_role("ac", ASYLUM) == "height"
    assert default_role("dart_pfm", ["HeightRetrace"]) == "height"  # what the scan has
    assert pick_channel(ASYLUM, "phase") == "PhaseRetrace"  # retrace preferred
    assert pick_channel(ASYLUM, "potential") is None


def test_contrast_is_centred_for_diverging_maps() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(5.0, 1.0, (64, 64))
    low, high = contrast_range(image, "frequency")
    assert abs((low + high) / 2 - np.median(image)) < 1e-9
    low, high = contrast_range(image - 5.0, "composite")
    assert abs(low + high) < 1e-9
    low, high = contrast_range(image, "height")
    assert low == pytest.approx(np.percentile(image, 1))
    assert contrast_range(np.full((4, 4), np.nan), "height") == (0.0, 1.0)


def test_colourize_uses_the_map_and_puts_row_zero_at_the_bottom() -> None:
    image = np.array([[0.0, 0.0], [1.0, 1.0]])
    rgb = colourize(image, "height", (0.0, 1.0))
    assert rgb[1].tolist() == [[0, 0, 0]] * 2 and rgb[0].tolist() == [[255, 255, 255]] * 2
    holes = colourize(np.array([[np.nan, 1.0]]), "amplitude", (0.0, 1.0))
    assert holes[0, 0].tolist() == [128, 128, 128]


def test_thumbnail_is_coloured_by_kind() -> None:
    ramp = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (256, 1))
    height = np.asarray(Image.open(io.BytesIO(thumbnail_png(ramp, "height"))).convert("RGB"))
    phase = np.asarray(Image.open(io.BytesIO(thumbnail_png(ramp, "phase"))).convert("RGB"))
    assert height.shape == (128, 128, 3) and not np.array_equal(height, phase)
    assert np.ptp(height[..., 0].astype(int) - height[..., 2].astype(int)) > 100  # not grey


def test_units_and_scale_bars() -> None:
    assert format_value(3.2e-9, "m") == "3.2 nm"
    assert format_value(2e-6, "m") == "2 µm"
    assert format_value(-90.0, "deg") == "-90°"
    assert format_range(-1e-12, 3e-11, "m") == ("30", "-1", "pm")
    assert format_range(1.0, 2.0, None) == ("2", "1", "")
    high, low, unit = format_range(386.1e3, 388.1e3, "Hz")
    assert (high, low, unit) == ("388.1", "386.1", "kHz")
    assert nice_length(3.1e-6) == pytest.approx(2e-6) and nice_length(0.9e-6) == pytest.approx(
        5e-7)


def test_panel_has_image_colour_bar_and_scale_bar() -> None:
    image = np.tile(np.linspace(-1e-9, 1e-9, 100), (100, 1))
    png = panel_png(image, kind="height", unit="m", scan_size_m=5e-6, title="HeightRetrace",
                    size=100)
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert picture.shape[1] > 150  # image + colour bar with labels
    bar = picture[30:100, 108:118]  # the colour bar strip, bright at the top
    assert bar[0].mean() > bar[-1].mean() + 100
    # the scale bar: a white run near the bottom left of the image
    bottom = picture[18 + 100 - 7, 6:26]  # 1 µm of a 5 µm scan: 20 px
    assert (bottom > 240).all()


def test_scan_panels_put_the_default_channel_first_and_add_the_composite() -> None:
    y, x = np.mgrid[0:32, 0:32]
    doc = {"imaging_mode": "dart_pfm", "scan": {"size_x_m": 2e-6}, "channels": [
        {"name": "HeightRetrace", "quantity": "height", "unit": "m"},
        {"name": "AmplitudeRetrace", "quantity": "amplitude", "unit": "m"},
        {"name": "PhaseRetrace", "quantity": "phase", "unit": "deg"}]}
    phase = np.where(x < 16, 90.0, -90.0)
    channels = {"HeightRetrace": x * 1e-10, "AmplitudeRetrace": np.ones((32, 32)) * 1e-11,
                "PhaseRetrace": phase}
    panels = scan_panels(doc, channels)
    assert [p.name for p in panels] == ["AmplitudeRetrace", "HeightRetrace", "PhaseRetrace",
                                        "A·cos φ"]
    label, mixed, kind, unit = role_image(doc, channels, "composite")
    assert kind == "composite" and unit == "m"
    assert np.sign(mixed[:, :16]).max() <= 0 + 1e-12 or np.allclose(mixed, 0, atol=1e-12)


@pytest.mark.parametrize("kind", ["height", "amplitude", "phase", "phase_cyclic", "composite"])
def test_palette_thumbnail_draws_the_colours_of_the_rgb_path(kind: str) -> None:
    # Thumbnails without NaN are palette PNGs (cheap at ingest); they must look exactly as
    # the RGB drawing would, and NaN pixels still come out grey.
    image = np.random.default_rng(3).standard_normal((256, 200)).cumsum(0).astype(np.float32)
    drawn = np.asarray(Image.open(io.BytesIO(thumbnail_png(image, kind))).convert("RGB"))
    assert np.array_equal(drawn, colourize(_block_mean(image, 128), kind))
    image[:40, :40] = np.nan
    holed = Image.open(io.BytesIO(thumbnail_png(image, kind)))
    assert holed.mode == "RGB"
    assert np.array_equal(np.asarray(holed), colourize(_block_mean(image, 128), kind))
    assert (np.asarray(holed)[-1, 0] == 128).all()  # row 0 is drawn at the bottom
