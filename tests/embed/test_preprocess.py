"""Preprocessing: channel choice, levelling, phase wrap, robust scaling, aspect-kept resize."""

from __future__ import annotations

import numpy as np
import pytest

from symcat.embed.preprocess import (
    PAD_VALUE,
    NoUsableChannel,
    StoredChannel,
    choose_channels,
    level_height,
    preprocess,
    resize_pad,
    robust_scale,
    unwrap_phase,
)


def _ch(name: str, shape: tuple[int, ...] = (8, 8), unit: str | None = None) -> StoredChannel:
    return StoredChannel(name, unit, np.zeros(shape, np.float32))


def test_dart_takes_height_amplitude1_phase1_retrace_first() -> None:
    channels = [_ch("HeightTrace"), _ch("HeightRetrace"), _ch("Amplitude2Retrace"),
                _ch("Amplitude1Retrace"), _ch("Phase2Retrace"), _ch("Phase1Trace"),
                _ch("Phase1Retrace"), _ch("FrequencyRetrace")]
    names = [c.name for c in choose_channels("dart_pfm", channels)]
    assert names == ["HeightRetrace", "Amplitude1Retrace", "Phase1Retrace"]


def test_pfm_takes_any_amplitude_and_skips_nap_channels() -> None:
    channels = [_ch("HeightRetrace"), _ch("NapPhaseRetrace"), _ch("AmplitudeRetrace"),
                _ch("PhaseRetrace")]
    names = [c.name for c in choose_channels("pfm", channels)]
    assert names == ["HeightRetrace", "AmplitudeRetrace", "PhaseRetrace"]


def test_missing_channels_are_filled_with_the_first_found() -> None:
    names = [c.name for c in choose_channels("ac", [_ch("AmplitudeRetrace")])]
    assert names == ["AmplitudeRetrace"] * 3
    names = [c.name for c in choose_channels("ac", [_ch("UserIn0Retrace")])]
    assert names == ["UserIn0Retrace"] * 3


def test_no_image_channel_is_refused_clearly() -> None:
    with pytest.raises(NoUsableChannel, match="no 2-D channel"):
        choose_channels("force_curve", [_ch("Raw", (100,)), _ch("Defl", (100,))])


def test_levelling_removes_tilt_and_line_offsets() -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.indices((64, 64))
    pattern = np.where((xx // 8) % 2 == 0, 1.0, -1.0)  # columns: not removed by line medians
    offsets = rng.normal(0, 5, (64, 1))
    image = 3.0 * xx - 2.0 * yy + 40.0 + offsets + pattern
    levelled = level_height(image)
    assert np.ptp(image) > 300 and np.ptp(levelled) < 3  # tilt and offsets are gone
    assert np.corrcoef(levelled.ravel(), pattern.ravel())[0, 1] > 0.95  # the domains stay
    assert np.abs(np.median(levelled, axis=1)).max() < 1e-9


def test_phase_domains_across_the_wrap_stay_together() -> None:
    rng = np.random.default_rng(1)
    image = np.where(rng.random((32, 32)) < 0.5, 175.0, -175.0) + rng.normal(0, 1, (32, 32))
    unwrapped = unwrap_phase(image, 360.0)
    up, down = unwrapped[image > 0], unwrapped[image < 0]
    assert abs(np.median(up) - np.median(down)) == pytest.approx(10.0, abs=2.0)
    plain = robust_scale(image)  # without unwrapping, the two domains look opposite
    assert abs(np.median(plain[image > 0]) - np.median(plain[image < 0])) > 0.9


def test_robust_scaling_ignores_spikes_and_fills_gaps() -> None:
    image = np.tile(np.linspace(0.0, 1.0, 100), (10, 1))
    image[0, 0] = 1e6
    image[1, 1] = np.nan
    scaled = robust_scale(image)
    assert scaled.dtype == np.float32 and scaled.min() >= 0 and scaled.max() <= 1
    assert scaled[5, 50] == pytest.approx(0.5, abs=0.02)  # contrast kept despite the spike
    assert scaled[1, 1] == PAD_VALUE
    assert (robust_scale(np.ones((4, 4))) == PAD_VALUE).all()


def test_resize_keeps_aspect_and_pads_mid_grey() -> None:
    image = np.zeros((32, 64), np.float32)
    out = resize_pad(image, 128)
    assert out.shape == (128, 128)
    assert (out[32:96] == 0).all()  # 64 rows of content, centred
    assert (out[:32] == PAD_VALUE).all() and (out[96:] == PAD_VALUE).all()


def test_preprocess_gives_three_8_bit_planes() -> None:
    rng = np.random.default_rng(2)
    channels = [StoredChannel("HeightRetrace", "m", rng.normal(size=(48, 64))),
                StoredChannel("Amplitude1Retrace", "m", rng.random((48, 64))),
                StoredChannel("Phase1Retrace", "deg", rng.uniform(-180, 180, (48, 64)))]
    out = preprocess("dart_pfm", channels, 64)
    assert out.shape == (3, 64, 64) and out.dtype == np.uint8
    assert out.min() == 0 and out.max() == 255  # the percentiles span the whole range
